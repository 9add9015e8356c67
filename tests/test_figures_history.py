"""Figures of several builds: history, trends, two runs compared."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta

import pytest

from profiler.analysis import analyze
from profiler.analysis.compare import compare_builds
from profiler.analysis.trends import RunMetrics, StageMetrics, trends
from profiler.figures_history import (
    CAPPED_HEIGHT,
    MAX_ROWS_FULL_HEIGHT,
    compare_figure,
    history_figure,
    stage_delta_figure,
    stage_trend_figure,
    timeline_height,
    trend_figure,
)
from profiler.model import Build
from profiler.sources import read_build
from tests.store.builds import app_build
from tests.streams import Stream

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def run(index: int, wall: float, status: str = "success", slow: float | None = None) -> RunMetrics:
    return RunMetrics(
        run_id=index,
        started_at=T0 + timedelta(hours=index),
        status=status,
        wall_seconds=wall,
        critical_path_seconds=wall * 0.9,
        sequential_seconds=wall * 1.5,
        lower_bound_seconds=wall * 0.8,
        cache_hit_ratio=0.5,
        git_branch="main",
        git_commit=f"{index:040x}",
        stages={
            "slow": StageMetrics(slow if slow is not None else wall / 2, wall / 2, 1.0, 2, 1),
            "<b>bold</b>": StageMetrics(1.0, 1.0, 0.0, 1, 0),
        },
    )


def build(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.one_line()))


def test_history_figure_points_carry_refs_and_status_colours() -> None:
    runs = [run(1, 5.0), run(2, 6.0, "failed"), run(3, 5.5)]
    figure = history_figure(runs, ["1", "2", "f3"])
    wall = next(trace for trace in figure.data if trace.name == "wall")
    assert list(wall.customdata) == ["1", "2", "f3"]
    assert list(wall.x) == ["#1", "#2", "f3"]  # run order, never parsed as numbers
    assert wall.marker.color[1] != wall.marker.color[0]
    assert figure.layout.xaxis.type == "category"
    with pytest.raises(ValueError, match="refs"):
        history_figure(runs, ["1"])
    assert list(history_figure(runs).data[1].customdata) == ["1", "2", "3"]


def test_trend_figure_marks_regressions() -> None:
    runs = [run(index, 10.0 + (index % 2) * 0.1) for index in range(8)] + [run(8, 20.0)]
    trend = trends(runs)
    figure = trend_figure(trend, [str(r.run_id) for r in runs])
    names = [trace.name for trace in figure.data]
    assert names[:3] == ["sequential", "wall", "critical path"]
    marked = next(trace for trace in figure.data if trace.name == "regression")
    assert list(marked.customdata) == ["8"]
    assert list(marked.y) == [20.0]
    # A one-stage trend's regressions are the stage's: not on this chart.
    staged = trends(runs, stage="slow")
    assert "regression" not in [t.name for t in trend_figure(staged, stage="slow").data]
    assert "regression" in [t.name for t in stage_trend_figure(staged).data]


def test_run_charts_put_the_cache_share_on_one_right_axis() -> None:
    runs = [run(1, 5.0), run(2, 6.0), run(3, 5.5)]
    runs[1] = dataclasses.replace(runs[1], cache_hit_ratio=0.25)
    overview = history_figure(runs, cache=True)
    trend = trend_figure(trends(runs))
    shares = [
        next(trace for trace in figure.data if trace.yaxis == "y2") for figure in (overview, trend)
    ]
    assert [trace.name for trace in shares] == ["cached steps (%)", "cached steps (%)"]
    assert list(shares[0].y) == [50.0, 25.0, 50.0]  # ratios drawn in percent
    assert list(shares[1].y) == [50.0, 25.0, 50.0]
    for figure in (overview, trend):
        axis = figure.layout.yaxis2
        assert (axis.title.text, axis.side, axis.overlaying) == ("cached steps (%)", "right", "y")
        assert list(axis.range) == [0, 105]
    assert "y2" not in [trace.yaxis for trace in history_figure(runs).data]


def test_stage_trend_figure_escapes_stage_names() -> None:
    runs = [run(index, 10.0) for index in range(4)]
    figure = stage_trend_figure(trends(runs))
    names = {trace.name for trace in figure.data}
    assert "&lt;b&gt;bold&lt;/b&gt;" in names
    assert "<b>bold</b>" not in names
    ratios = stage_trend_figure(trends(runs), metric="cache_hit_ratio")
    assert max(v for trace in ratios.data for v in trace.y if v is not None) == 50.0


def test_compare_figure_puts_a_step_of_both_runs_on_one_row() -> None:
    a = build(app_build(slow=3.0))
    b = build(app_build(slow=5.0, extra_step=True, base_cached=True))
    figure = compare_figure(a, b, label_a="before", label_b="after <x>")
    side_a, side_b = figure.data
    assert side_a.name == "before" and side_b.name == "after &lt;x&gt;"
    rows_a = dict(zip(side_a.y, side_a.x, strict=True))
    rows_b = dict(zip(side_b.y, side_b.x, strict=True))
    slow = "[slow] RUN make slow"
    assert rows_a[slow] == pytest.approx(3.0) and rows_b[slow] == pytest.approx(5.0)
    assert "[final] RUN make lint" in rows_b and "[final] RUN make lint" not in rows_a
    order = list(figure.layout.yaxis.categoryarray)[::-1]  # top to bottom
    assert order.index("[final] RUN make lint") == order.index(slow) + 1  # after its anchor
    cached = [shape for shape in side_b.marker.pattern.shape if shape]
    assert cached == ["/"]  # the cached base step, hatched
    assert [c[0] for c in side_a.customdata] == ["a"] * len(side_a.y)


def test_stage_delta_figure_largest_first_signed() -> None:
    a = build(app_build(slow=3.0))
    b = build(app_build(slow=5.0))
    figure = stage_delta_figure(compare_builds(a, b, analyze(a), analyze(b)))
    (bars,) = figure.data
    assert bars.y[0] == "slow"
    assert bars.x[0] == pytest.approx(2.0)


def test_timeline_height() -> None:
    assert timeline_height(1) == 300
    assert timeline_height(100) == 18 * 100 + 120
    assert timeline_height(MAX_ROWS_FULL_HEIGHT + 1) == CAPPED_HEIGHT
