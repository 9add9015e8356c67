"""Size changes between two builds read from Docker's records (figures read off the
records' provenance ``layers`` by hand)."""

from __future__ import annotations

from pathlib import Path

from profiler.analysis import analyze
from profiler.analysis.compare import step_keys
from profiler.analysis.size_changes import SizeChanges, size_changes
from profiler.model import Build
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
COLD = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
CACHED = read_build(SAMPLES / "parallel-stages" / "modern" / "cached.dockerbuild")
SECRET = read_build(SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild")


def changes(a: Build, b: Build) -> SizeChanges | None:
    return size_changes(a, b, analyze(a).sizes, analyze(b).sizes, step_keys(a), step_keys(b))


def test_a_cached_rebuild_exports_the_same_layers() -> None:
    same = changes(COLD, CACHED)
    assert same is not None
    assert same.image_a == same.image_b == 1084159 and same.image_delta == 0
    assert same.steps == () and same.stages == ()


def test_steps_and_stages_that_changed_largest_first() -> None:
    moved = changes(COLD, SECRET)
    assert moved is not None
    assert moved.image_delta == 1083782 - 1084159
    assert [(c.key, c.a, c.b) for c in moved.steps] == [
        ("[final] COPY --from=backend /out/ /app/bin/", 193, None),
        ("[final] COPY --from=frontend /out/ /app/www/", 188, None),
        ("[stage-1] COPY --from=deps /app/ /app/", None, 162),
        ("[final] COPY --from=tools /out/ /app/tools/", 158, None),
        # the two last RUNs: both an empty 29 B layer, keys differ
        ('[final] RUN echo "smoke test" && sleep 0.7 && ls -R /app && echo "ok"', 29, None),
        ('[stage-1] RUN test ! -e /run/secrets/token && echo "no secret in the final image"'
         " && sleep 0.5", None, 29),
    ]  # fmt: skip
    # the base image is one FROM in both (matched by image): unchanged, not listed;
    # by stage it moved from "base" to "deps", the stage its vertex is named after
    assert [(c.stage, c.delta) for c in moved.stages][:2] == [
        ("base", -1083591),
        ("deps", 1083591),
    ]


def test_nothing_to_say_without_sizes_on_both_sides() -> None:
    stream = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.rawjson")
    assert changes(stream, COLD) is None and changes(COLD, stream) is None


def test_a_grown_data_step_is_the_size_change_of_a_real_rebuild() -> None:
    # sample_builds/layer-sizes/modern: size.txt 200000 → 300000 between the builds
    folder = SAMPLES / "layer-sizes" / "modern"
    cold, grown = (read_build(folder / f"{n}.dockerbuild") for n in ("cold", "grown"))
    change = changes(cold, grown)
    assert change is not None
    assert (change.image_a, change.image_b) == (1285635, 1386613)
    assert change.image_delta == 100978
    data = (
        '[stage-0] RUN head -c "$(cat size.txt)" /dev/urandom > /app/data.bin'
        " && ls -l /app/data.bin"
    )
    assert [(c.key, c.a, c.b) for c in change.steps] == [
        (data, 201151, 302125),
        ("[stage-0] COPY . .", 743, 747),
    ]
    assert [(c.key, c.delta) for c in change.stages] == [("stage-0", 100978)]
    # the rawjson streams of the same builds know nothing of it
    streams = [read_build(folder / f"{n}.rawjson") for n in ("cold", "grown")]
    assert changes(*streams) is None
