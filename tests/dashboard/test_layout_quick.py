"""The stage chart of the quick Build page: the figure graph objects drew, built as
plain JSON, and its first screen of rows drawn first."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from dashboard.layout.common import styled, styled_json
from dashboard.layout.timeline import CHAR_PX, FIRST_PX, first_rows, stage_timeline
from profiler.analysis import analyze
from profiler.figures import stages_figure_json
from profiler.figures_history import timeline_height
from profiler.model import Stage
from profiler.sources import read_build
from tests.test_figures_json import stages_by_graph_objects


@pytest.fixture(scope="module")
def many_stages(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Stage], dict[str, float]]:
    """A generated build of about 150 stages, one of them failed."""
    from benchmarks.generate_stream import generate

    path = tmp_path_factory.mktemp("quick") / "stages.rawjson"
    generate(path, steps=1500, megabytes=0.3, steps_per_stage=10, fail=True)
    build = read_build(path)
    return list(build.stages), analyze(build).critical_path_by_stage


def graph_objects_chart(stages: list[Stage], on_path: dict[str, float]) -> dict[str, Any]:
    """The quick page's chart as it was drawn with graph objects."""
    figure = stages_by_graph_objects(stages, on_path)
    figure.update_layout(
        title=f"{len(stages)} stages: click one for its steps · {figure.layout.title.text}",
        height=timeline_height(len(stages), per_row=24),
        clickmode="event",
    )
    longest = max(len(str(label)) for label in figure.layout.yaxis.categoryarray)
    figure.update_layout(
        margin={"l": min(420, 20 + CHAR_PX * longest), "b": 55},
        xaxis_automargin=False,
        yaxis_automargin=False,
    )
    return styled(figure).to_plotly_json()  # type: ignore[no-any-return]


def quick_chart(stages: list[Stage], on_path: dict[str, float]) -> dict[str, Any]:
    return styled_json(stage_timeline(stages_figure_json(stages, on_path), len(stages)))


def test_the_quick_chart_is_the_graph_objects_one(
    many_stages: tuple[list[Stage], dict[str, float]],
) -> None:
    stages, on_path = many_stages
    assert len(stages) > 100 and any(stage.failed for stage in stages)
    assert quick_chart(stages, on_path) == graph_objects_chart(stages, on_path)


def test_the_first_rows_fill_a_screen_on_the_whole_charts_axis(
    many_stages: tuple[list[Stage], dict[str, float]],
) -> None:
    stages, on_path = many_stages
    chart = quick_chart(stages, on_path)
    first = first_rows(chart)
    bars, shown = chart["data"][0], first["data"][0]
    rows = len(bars["y"])
    layout, margin = chart["layout"], chart["layout"]["margin"]
    row_px = (layout["height"] - margin["t"] - margin["b"]) / rows
    count = math.ceil(FIRST_PX / row_px)
    assert count < rows
    # The top rows of the chart, every per-row value with them.
    assert shown["y"] == bars["y"][:count]
    assert shown["customdata"] == bars["customdata"][:count]
    assert shown["hovertext"] == bars["hovertext"][:count]
    assert shown["marker"]["color"] == bars["marker"]["color"][:count]
    assert shown["marker"]["line"]["width"] == bars["marker"]["line"]["width"][:count]
    assert first["layout"]["yaxis"]["categoryarray"] == list(reversed(bars["y"][:count]))
    # Rows as tall as the whole chart's, on its time axis: an unseen bar spans it.
    height = first["layout"]["height"] - margin["t"] - margin["b"]
    assert height / count == pytest.approx(row_px, abs=0.1)
    span = first["data"][-1]
    ends = [base + x for base, x in zip(bars["base"], bars["x"], strict=True)]
    assert span["base"] == [min(bars["base"])]
    assert span["base"][0] + span["x"][0] == pytest.approx(max(ends))
    assert span["marker"]["opacity"] == 0 and span["hoverinfo"] == "skip"
    assert first["data"][1:-1] == chart["data"][1:]  # the legend's keys
    # The whole chart is left as it was.
    assert chart == quick_chart(stages, on_path)


def test_a_chart_no_taller_than_a_screen_is_drawn_whole() -> None:
    build = read_build(Path(__file__).parents[2] / "sample_builds/parallel-stages/cold.rawjson")
    chart = quick_chart(list(build.stages), analyze(build).critical_path_by_stage)
    assert first_rows(chart) is chart
