"""Comparing two builds: matching by what a step is, cache losses, the critical path."""

from __future__ import annotations

import io

import pytest

from profiler.analysis.compare import compare_builds, step_key, step_keys
from profiler.model import Build
from profiler.sources import read_build
from tests.store.builds import app_build
from tests.streams import Stream


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.one_line()))


def test_step_keys_drop_the_position_and_keep_target_platform_stage() -> None:
    stream = (
        Stream()
        .step("sha256:1", "[api build 3/7] RUN make", 0, 1)
        .step("sha256:2", "[linux/arm64 final 2/2] COPY . .", 1, 2)
        .step("sha256:3", "[2/4] RUN make", 2, 3)
        .step("sha256:4", "[api internal] load build context", 3, 4)
        .step("sha256:5", "[api] exporting to image", 4, 5)
        .step("sha256:6", "[final 10/12] RUN make", 5, 6)
        .step("sha256:7", "[final 11/12] RUN make", 6, 7)
    )
    build = build_of(stream)
    assert [step_key(step) for step in build] == [
        "[api build] RUN make",
        "[linux/arm64 final] COPY . .",
        "[stage-0] RUN make",
        "[api internal] load build context",
        "[api] exporting to image",
        "[final] RUN make",
        "[final] RUN make",
    ]
    keys = step_keys(build)
    assert keys["sha256:6"] == "[final] RUN make"
    assert keys["sha256:7"] == "[final] RUN make #2"


def test_steps_match_across_changed_digests_and_positions() -> None:
    # GIVEN B inserted a step (shifting positions) and every digest changed
    a = build_of(app_build(slow=3.0))
    b_stream = app_build(slow=5.0, extra_step=True)
    for event in b_stream.events:
        if isinstance(event, dict):
            for vertex in event.get("vertexes", []):
                vertex["digest"] += "-new"
                vertex["inputs"] = [d + "-new" for d in vertex.get("inputs", [])]
    b = build_of(b_stream)
    comparison = compare_builds(a, b)
    # THEN the same steps are matched, and only the new one is "added"
    assert [change.key for change in comparison.added] == ["[final] RUN make lint"]
    assert comparison.removed == ()
    slow = next(c for c in comparison.steps if c.key == "[slow] RUN make slow")
    assert slow.delta == pytest.approx(2.0)
    copy = next(c for c in comparison.steps if c.key.startswith("[final] COPY"))
    assert copy.a is not None and copy.b is not None
    assert copy.a.name == "[final 2/2] COPY --from=slow /out /out"
    assert copy.b.name == "[final 3/3] COPY --from=slow /out /out"
    assert comparison.steps[0].key == "[slow] RUN make slow"  # largest change first
    assert comparison.b.wall_seconds - comparison.a.wall_seconds == pytest.approx(4.0)


def test_a_lost_cache_hit_is_named_with_its_cost() -> None:
    a = build_of(app_build(base_cached=True))
    b = build_of(app_build(base_cached=False))
    comparison = compare_builds(a, b)
    assert [change.key for change in comparison.became_uncached] == ["[base] RUN apk add make"]
    assert comparison.uncached_cost_seconds == pytest.approx(1.0)
    assert comparison.became_cached == ()
    assert compare_builds(b, a).became_cached[0].key == "[base] RUN apk add make"
    assert comparison.a.cache_hit_ratio == pytest.approx(0.25)
    assert comparison.b.cache_hit_ratio == 0.0


def test_stage_deltas_cover_stages_of_either_build() -> None:
    a = build_of(app_build(slow=3.0))
    b = build_of(app_build(slow=4.0))
    stages = {change.stage: change for change in compare_builds(a, b).stages}
    assert stages["slow"].delta == pytest.approx(1.0)
    assert stages["fast"].delta == pytest.approx(0.0)
    assert next(iter(stages)) == "slow"


def test_the_critical_path_moves_when_another_branch_becomes_longest() -> None:
    # GIVEN in A the slow stage is longest; in B "fast" is slower than "slow"
    a = build_of(app_build(slow=3.0))
    b = build_of(
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:from", "[base 1/2] FROM docker.io/library/alpine:3", 0.1, 0.2)
        .step("sha256:base", "[base 2/2] RUN apk add make", 0.2, 1.2, inputs=["sha256:from"])
        .step("sha256:fast", "[fast 1/1] RUN make fast", 1.2, 5.2, inputs=["sha256:base"])
        .step("sha256:slow", "[slow 1/1] RUN make slow", 1.2, 1.7, inputs=["sha256:base"])
        .step(
            "sha256:copy",
            "[final 2/2] COPY --from=slow /out /out",
            5.2,
            5.7,
            inputs=["sha256:from", "sha256:slow", "sha256:fast"],
        )
        .step("sha256:export", "exporting to image", 5.7, 6.2)
    )
    comparison = compare_builds(a, b)
    assert comparison.critical_path_moved
    assert comparison.critical_path_joined == ("[fast] RUN make fast",)
    assert comparison.critical_path_left == ("[slow] RUN make slow",)
    assert not compare_builds(a, a).critical_path_moved
