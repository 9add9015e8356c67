"""Layer size per step and per stage, from Docker's build record (figures read off the
records' provenance ``layers`` by hand; see tests/sources/test_llb.py)."""

from __future__ import annotations

from pathlib import Path

from profiler.analysis import analyze
from profiler.analysis.sizes import layer_sizes
from profiler.sources import read_build, read_builds

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"


def test_stage_sizes_add_up_their_steps_and_the_image_is_all_of_them() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
    sizes = analyze(build).sizes
    assert sizes is not None
    # the FROM vertex carries the base stage's name: the base image counts there
    assert dict(sizes.stages) == {
        (None, None, "base"): 1083591,
        (None, None, "final"): 188 + 193 + 158 + 29,
    }
    assert sizes.stage(None, "final") == 568 and sizes.stage(None, "backend") is None
    assert sizes.image == sum(sizes.steps.values()) == 1084159


def test_bake_targets_have_sizes_of_their_own() -> None:
    builds = read_builds(SAMPLES / "bake-two-targets" / "modern" / "bake.dockerbuild")
    for build in builds:
        sizes = layer_sizes(build)
        assert sizes is not None
        assert sizes.stage(build.name, "base") == 1083591 + 92 + 150 + 29
        assert sizes.stage(build.name, build.name or "") == 29 + 29
        assert sizes.image == 1083920


def test_no_sizes_without_a_record_or_in_a_failed_one() -> None:
    stream = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.rawjson")
    assert analyze(stream).sizes is None
    failed = read_build(SAMPLES / "failing-test" / "modern" / "failed.dockerbuild")
    assert layer_sizes(failed) is None
