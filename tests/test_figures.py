from __future__ import annotations

import io
from pathlib import Path

import pytest

from profiler.analysis import analyze
from profiler.figures import (
    concurrency_figure,
    gantt_figure,
    stage_figure,
    time_budget_figure,
)
from profiler.model import Build
from profiler.sources import read_build
from tests.streams import Stream, parallel_build

SAMPLES = Path(__file__).resolve().parent.parent / "sample_builds"


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.indented()))


def bars(figure: object) -> dict[str, dict[str, object]]:
    """digest → the bar's properties, across all traces."""
    found: dict[str, dict[str, object]] = {}
    for trace in figure.data:  # type: ignore[attr-defined]
        if trace.customdata is None:
            continue  # a legend key, not bars
        widths = trace.marker.line.width
        for index, digest in enumerate(trace.customdata):
            found[digest] = {
                "status": trace.name,
                "base": trace.base[index],
                "width": trace.x[index],
                "outlined": widths[index] > 0,
                "label": trace.y[index],
            }
    return found


def test_gantt_has_every_timed_vertex_with_its_time_and_status() -> None:
    build = build_of(parallel_build())
    found = bars(gantt_figure(build))
    assert set(found) == {step.digest for step in build}
    assert found["sha256:slow"]["base"] == 1.4
    assert found["sha256:slow"]["width"] == pytest.approx(3.0)
    assert found["sha256:slow"]["status"] == "done"


def test_gantt_outlines_exactly_the_critical_path() -> None:
    build = build_of(parallel_build())
    analysis = analyze(build)
    found = bars(gantt_figure(build, analysis))
    outlined = {digest for digest, bar in found.items() if bar["outlined"]}
    assert outlined == set(analysis.critical_path)
    assert "sha256:fast" not in outlined


def test_gantt_groups_steps_by_stage_in_start_order() -> None:
    figure = gantt_figure(read_build(SAMPLES / "parallel-stages" / "cold.rawjson"))
    order = list(reversed(figure.layout.yaxis.categoryarray))
    stages = [label.split("]")[0].split()[0].lstrip("[") for label in order]
    # Each stage's steps are contiguous on the axis.
    seen: list[str] = []
    for stage in stages:
        if not seen or seen[-1] != stage:
            assert stage not in seen, f"{stage} split on the axis: {stages}"
            seen.append(stage)


def test_failed_and_cancelled_steps_are_separate_traces() -> None:
    figure = gantt_figure(read_build(SAMPLES / "failing-test" / "failed.rawjson"))
    assert {trace.name for trace in figure.data} >= {"done", "failed", "cancelled"}


def test_names_are_escaped_so_no_markup_reaches_the_page() -> None:
    stream = Stream().step("x", "[s 1/1] RUN echo <img src=x onerror=alert(1)>", 0.0, 1.0)
    figure = gantt_figure(build_of(stream))
    trace = figure.data[0]
    assert "<img" not in trace.y[0] and "&lt;img" in trace.y[0]
    assert "<img" not in trace.hovertext[0]


def test_quotes_in_names_show_as_quotes() -> None:
    # Plotly does not decode &quot;: an escaped quote would reach the page as "&quot;".
    stream = Stream().step("x", '[s 1/1] RUN echo "hello"', 0.0, 1.0)
    trace = gantt_figure(build_of(stream)).data[0]
    assert 'echo "hello"' in trace.y[0] and "&quot;" not in trace.hovertext[0]


def test_stage_figure_marks_critical_stages() -> None:
    build = build_of(parallel_build())
    figure = stage_figure(build)
    colors = dict(zip(figure.data[0].y, figure.data[0].marker.color, strict=True))
    assert colors["slow"] != colors["fast"]


def test_concurrency_and_budget_figures() -> None:
    analysis = analyze(build_of(parallel_build()))
    concurrency = concurrency_figure(analysis.concurrency)
    assert max(concurrency.data[0].y) == 2
    budget = time_budget_figure(analysis)
    assert list(budget.data[0].y) == ["sequential", "wall", "critical path", "lower bound"]
    assert budget.data[0].x[1] == analysis.wall_seconds
