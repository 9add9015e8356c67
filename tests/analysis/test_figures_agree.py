"""The headline figures never contradict each other, on every recorded sample.

Each test names the contradiction a reviewer saw and the sample that showed it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.analysis import analyze, path_start
from profiler.analysis.compare import compare_builds
from profiler.model import StepStatus
from profiler.render.format import change_percent
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
STREAMS = sorted(SAMPLES.glob("*/*.rawjson"))
# Timestamps are rounded to the microsecond in the streams.
TOLERANCE = 1e-6


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_lower_bound_le_critical_path_le_wall(path: Path) -> None:
    analysis = analyze(read_build(path))
    assert analysis.lower_bound_seconds <= analysis.critical_path_seconds + TOLERANCE
    assert analysis.critical_path_seconds <= analysis.wall_seconds + TOLERANCE


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_critical_path_goes_forward_in_time(path: Path) -> None:
    build = read_build(path)
    starts = [path_start(build.step(digest)) for digest in analyze(build).critical_path]
    assert all(start is not None for start in starts)
    assert starts == sorted(starts)  # type: ignore[type-var]


def test_bake_path_runs_through_the_shared_stage_it_waited_for() -> None:
    # Was: critical path 4.03 s < lower bound 4.24 s, the path skipping the shared
    # base stage that web's cached copy of it waited for.
    build = read_build(SAMPLES / "bake-two-targets" / "bake.rawjson")
    analysis = analyze(build)
    names = [build.step(digest).name for digest in analysis.critical_path]
    assert any(name.startswith("[api base 4/4] RUN") for name in names)
    assert analysis.critical_path_seconds > 5.0  # base 1.5 s + web 3.1 s + 0.85 s
    exporter = build.step(analysis.critical_path[-1])
    assert exporter.name == "[api] exporting to image"
    # It ran twice (once per target): the path counts its last run.
    assert len(exporter.intervals) == 2
    assert path_start(exporter) == exporter.intervals[-1].start


def test_a_failed_build_is_bounded_by_its_failure() -> None:
    # Was: the bound ran through a sibling cancelled after the failure.
    build = read_build(SAMPLES / "failing-test" / "failed.rawjson")
    analysis = analyze(build)
    last = build.step(analysis.lower_bound_path[-1])
    assert last.status is StepStatus.FAILED
    assert all(build.step(d).status is not StepStatus.CANCELLED for d in analysis.lower_bound_path)
    assert analysis.lower_bound_seconds == pytest.approx(analysis.critical_path_seconds)


def test_a_fully_cached_rebuild_does_not_move_the_critical_path() -> None:
    cold = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    cached = read_build(SAMPLES / "parallel-stages" / "cached.rawjson")
    comparison = compare_builds(cold, cached)
    assert comparison.critical_path_b == ()
    assert not comparison.critical_path_moved
    assert "cached steps only" in comparison.critical_path_summary
    assert comparison.critical_path_a  # the cold build's path did run steps


def test_a_from_step_is_matched_whichever_stage_buildkit_named_it_after() -> None:
    cold = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    cached = read_build(SAMPLES / "parallel-stages" / "cached.rawjson")
    froms = {s.name for s in (*cold, *cached) if s.parsed.instruction == "FROM"}
    assert len(froms) == 2  # "[base 1/4] FROM …" in one, "[final 1/5] FROM …" in the other
    comparison = compare_builds(cold, cached)
    only_a = {change.key for change in comparison.removed}
    only_b = {change.key for change in comparison.added}
    assert not only_a & only_b
    assert not any("FROM" in key for key in only_a | only_b)
    assert any(change.key.startswith("FROM ") for change in comparison.steps)


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        (7.66, 0.036, "-99.5%"),
        (7.66, 0.04, "-99%"),
        (7.66, 0.0, "-100%"),
        (100.0, 0.001, "-99.999%"),
        (2.0, 3.0, "+50%"),
        (2.0, 2.0, "+0%"),
    ],
)
def test_a_change_reads_minus_100_percent_only_when_nothing_is_left(
    before: float, after: float, shown: str
) -> None:
    assert change_percent((after - before) / before) == shown
