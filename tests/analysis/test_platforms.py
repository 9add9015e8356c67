"""Per-platform rollup of a multi-platform build (profiler/analysis/platforms.py).

The recorded sample (sample_builds/multi-platform/, `--platform linux/amd64,linux/386`
on Docker 28.5) carries its facts, read off the stream by hand, in expected.json; the
small streams here give exact times for what the rollup must compute.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.analysis import analyze, stage_label
from profiler.analysis.platforms import (
    PlatformSummary,
    is_multi_platform,
    platform_summaries,
    platforms_of,
)
from profiler.model import Build
from profiler.names import StepKind
from profiler.sources import read_build
from tests.streams import Stream, parallel_build

SAMPLE = Path(__file__).resolve().parents[2] / "sample_builds" / "multi-platform"
EXPECTED = json.loads((SAMPLE / "expected.json").read_text())["streams"]
RECORDINGS = ("cold", "cached")


def summaries(build: Build) -> dict[str | None, PlatformSummary]:
    return {summary.platform: summary for summary in analyze(build).platforms}


@pytest.mark.parametrize("name", RECORDINGS)
def test_each_platform_counts_the_steps_the_stream_names_for_it(name: str) -> None:
    build = read_build(SAMPLE / f"{name}.rawjson")
    facts = EXPECTED[f"{name}.rawjson"]
    found = summaries(build)
    assert platforms_of(build) == tuple(sorted(facts["platforms"]))
    for platform, want in facts["platforms"].items():
        got = found[platform]
        assert (got.vertices, got.steps, got.cached) == (
            want["vertices"],
            want["steps"],
            want["cached"],
        )
    # The shared steps: exactly the vertices no platform prefix names, reported last.
    assert list(found)[-1] is None
    shared = [s.name for s in build if s.parsed.platform is None]
    assert sorted(shared) == sorted(facts["shared_names"])
    assert found[None].vertices == len(facts["shared_names"])
    assert found[None].critical_path == ()
    # Every vertex is counted once: the platforms and the shared steps add up.
    assert sum(s.vertices for s in found.values()) == len(build)
    assert sum(s.steps for s in found.values()) == analyze(build).cache.steps == facts["step_count"]


def test_each_platform_has_its_own_critical_path_through_what_it_used() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    facts = EXPECTED["cold.rawjson"]
    found = summaries(build)
    for platform, step_name in facts["platform_critical_steps"].items():
        summary = found[platform]
        names = [build.step(d).name for d in summary.critical_path]
        assert any(name.startswith(step_name) for name in names)
        # It ends with the platform's own last step, at the platform's end...
        last = build.step(summary.critical_path[-1])
        assert last.parsed.platform == platform
        assert last.end == summary.end
        # ...and a step of another platform is on it only if the platform used it: a
        # load BuildKit leaves unconnected (linked by time) or the build-platform
        # stage `gen` (FROM --platform=$BUILDPLATFORM), never another's own stages.
        for digest in summary.borrowed(build):
            step = build.step(digest)
            assert (
                step.parsed.platform is None
                or step.kind is not StepKind.STEP
                or (step.parsed.stage == "gen")
            )
        assert summary.lower_bound_seconds <= summary.critical_path_seconds + 1e-6
        assert summary.critical_path_seconds <= (summary.end or 0.0) + 1e-6
        assert summary.busy_seconds <= summary.span_seconds + 1e-6
    # linux/386's compile sleeps a second longer: it is ready last.
    last = max((s for s in found.values() if not s.shared), key=lambda s: s.end or 0.0)
    assert last.platform == facts["last_platform"]


def test_a_build_platform_stage_feeds_the_other_platform() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    ((step_name, input_name),) = EXPECTED["cold.rawjson"]["inputs_across_platforms"].items()
    (step,) = [s for s in build if s.name.startswith(step_name)]
    assert any(s.name.startswith(input_name) for s in build.inputs_of(step))
    assert step.parsed.platform != build.inputs_of(step)[-1].parsed.platform


def test_the_same_stage_of_two_platforms_is_two_stages() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    compile_stages = [s for s in build.stages if s.name == "compile"]
    assert sorted(s.platform for s in compile_stages) == ["linux/386", "linux/amd64"]
    assert all(s.steps == 2 for s in compile_stages)
    labels = [stage_label(s.target, s.name, s.platform) for s in build.stages]
    assert len(labels) == len(set(labels))
    assert "linux/386 compile" in labels
    # The whole build's critical path is told per platform stage too.
    assert "linux/386 compile" in analyze(build).critical_path_by_stage
    assert sum(s.steps for s in build.stages) == len(build)


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_record_gives_the_same_platforms_as_its_stream(name: str) -> None:
    stream = read_build(SAMPLE / f"{name}.rawjson")
    record = read_build(SAMPLE / f"{name}.dockerbuild")
    assert record.source_format == "dockerbuild"
    assert {s.digest: (s.name, s.cached) for s in record} == {
        s.digest: (s.name, s.cached) for s in stream
    }
    a, b = analyze(stream), analyze(record)
    assert b.wall_seconds == pytest.approx(a.wall_seconds, rel=0.02)
    assert b.critical_path == a.critical_path
    assert [p.platform for p in b.platforms] == [p.platform for p in a.platforms]
    for x, y in zip(a.platforms, b.platforms, strict=True):
        assert (y.vertices, y.steps, y.cached) == (x.vertices, x.steps, x.cached)
        assert y.critical_path == x.critical_path
        assert y.critical_path_seconds == pytest.approx(x.critical_path_seconds, rel=0.02)
        assert y.lower_bound_seconds == pytest.approx(x.lower_bound_seconds, rel=0.02)


def two_platforms() -> Stream:
    """Exact times: a shared load, a build-platform stage, two platforms' chains."""
    return (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.5)
        .step("sha256:ma", "[linux/amd64 internal] load metadata for x:1", 0.5, 1.0)
        .step("sha256:mb", "[linux/arm64 internal] load metadata for x:1", 0.5, 1.0)
        .step("sha256:gen", "[linux/amd64 gen 1/1] RUN generate", 1.0, 2.0)
        .step("sha256:a1", "[linux/amd64 app 1/2] RUN build", 1.0, 3.0, inputs=["sha256:ma"])
        .step(
            "sha256:a2",
            "[linux/amd64 app 2/2] COPY --from=gen /g /",
            3.0,
            3.5,
            inputs=["sha256:a1", "sha256:gen"],
        )
        .step("sha256:b1", "[linux/arm64 app 1/2] RUN build", 1.0, 5.0, inputs=["sha256:mb"])
        .step(
            "sha256:b2",
            "[linux/arm64 app 2/2] COPY --from=gen /g /",
            5.0,
            5.5,
            inputs=["sha256:b1", "sha256:gen"],
            cached=True,
        )
        .step("sha256:export", "exporting to image", 5.5, 6.0)
    )


def test_exact_per_platform_figures() -> None:
    build = read_build(two_platforms().one_line())
    found = summaries(build)
    assert list(found) == ["linux/amd64", "linux/arm64", None]
    amd, arm, shared = found["linux/amd64"], found["linux/arm64"], found[None]
    # amd64: its metadata load, the build-platform stage gen, app 1/2, app 2/2.
    assert (amd.vertices, amd.steps, amd.cached) == (4, 3, 0)
    assert (amd.start, amd.end) == pytest.approx((0.5, 3.5))
    assert amd.busy_seconds == pytest.approx(3.0)
    assert amd.sequential_seconds == pytest.approx(0.5 + 1.0 + 2.0 + 0.5)
    path = [build.step(d).name for d in amd.critical_path]
    assert path[-2:] == [
        "[linux/amd64 app 1/2] RUN build",
        "[linux/amd64 app 2/2] COPY --from=gen /g /",
    ]
    assert path[0] == "[internal] load build definition from Dockerfile"
    assert amd.critical_path_seconds == pytest.approx(3.5)
    assert amd.lower_bound_seconds == pytest.approx(3.5)
    # arm64 used amd64's gen (the build platform's stage) but waited for its own build.
    assert (arm.vertices, arm.steps, arm.cached) == (3, 2, 1)
    assert arm.end == pytest.approx(5.5)
    assert arm.critical_path_seconds == pytest.approx(5.5)
    assert [build.step(d).name for d in arm.borrowed(build)] == [
        "[internal] load build definition from Dockerfile"
    ]
    # The shared steps: the definition load and the export.
    assert (shared.vertices, shared.steps) == (2, 0)
    assert shared.busy_seconds == pytest.approx(1.0)
    assert shared.span_seconds == pytest.approx(6.0)


def test_a_build_without_platforms_has_no_rollup() -> None:
    build = read_build(parallel_build().one_line())
    assert platform_summaries(build) == ()
    assert not is_multi_platform(build)
    assert analyze(build).platforms == ()


def test_one_platform_is_not_multi_platform() -> None:
    build = read_build(
        Stream().step("sha256:a", "[linux/arm64 app 1/1] RUN build", 0.0, 1.0).one_line()
    )
    assert not is_multi_platform(build)
    assert [s.platform for s in analyze(build).platforms] == ["linux/arm64"]
