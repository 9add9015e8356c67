"""Small, exact builds of one Dockerfile over time, for history tests.

    base: FROM alpine → RUN apk add make (1 s, or cached)
    fast: RUN make fast (1 s)    slow: RUN make slow (``slow`` s)     in parallel
    final: COPY --from=slow (0.5 s) → exporting to image (0.5 s)

``at`` shifts the whole build in time (runs an hour apart sort as they were made);
every distinct argument set gives a distinct stream, hence a distinct run.
"""

from __future__ import annotations

from tests.streams import Stream


def app_build(
    *,
    at: float = 0.0,
    slow: float = 3.0,
    base_cached: bool = False,
    extra_step: bool = False,
    fail: bool = False,
) -> Stream:
    t = at
    stream = (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", t, t + 0.1)
        .step("sha256:from", "[base 1/2] FROM docker.io/library/alpine:3", t + 0.1, t + 0.2)
    )
    if base_cached:
        stream.step(
            "sha256:base",
            "[base 2/2] RUN apk add make",
            t + 0.2,
            t + 0.2,
            inputs=["sha256:from"],
            cached=True,
        )
        ready = t + 0.2
    else:
        stream.step(
            "sha256:base", "[base 2/2] RUN apk add make", t + 0.2, t + 1.2, inputs=["sha256:from"]
        )
        ready = t + 1.2
    stream.step("sha256:fast", "[fast 1/1] RUN make fast", ready, ready + 1, inputs=["sha256:base"])
    if fail:
        stream.step(
            "sha256:slow",
            "[slow 1/1] RUN make slow",
            ready,
            ready + slow,
            inputs=["sha256:base"],
            error='process "/bin/sh -c make slow" did not complete successfully: exit code: 2',
        )
        return stream.text("ERROR: failed to solve: make slow: exit code: 2")
    stream.step(
        "sha256:slow", "[slow 1/1] RUN make slow", ready, ready + slow, inputs=["sha256:base"]
    )
    end = ready + slow
    if extra_step:
        stream.step(
            "sha256:lint", "[final 2/3] RUN make lint", end, end + 2.0, inputs=["sha256:slow"]
        )
        end += 2.0
    count = 3 if extra_step else 2
    stream.step(
        "sha256:copy",
        f"[final {count}/{count}] COPY --from=slow /out /out",
        end,
        end + 0.5,
        inputs=["sha256:from", "sha256:slow"],
    )
    return stream.step("sha256:export", "exporting to image", end + 0.5, end + 1.0)


def history_streams(count: int, *, slow: float = 3.0, jitter: float = 0.1) -> list[bytes]:
    """``count`` runs an hour apart, slow step ``slow`` ± a deterministic wobble."""
    wobble = [0.0, 1.0, -1.0, 0.5, -0.5, 0.8, -0.8, 0.3, -0.3, 0.0]
    return [
        app_build(at=index * 3600.0, slow=slow + jitter * wobble[index % len(wobble)]).one_line()
        for index in range(count)
    ]
