"""The stage chart built as plain JSON is the figure plotly's graph objects made.

The reference below is how :func:`profiler.figures.stages_figure` was built before
it became plain dicts (graph objects, which validate every value): the two must give
the same JSON on every recorded build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import plotly.graph_objects as go
import pytest

from profiler.analysis import analyze, stage_label
from profiler.errors import KitprofError
from profiler.figures import (
    CRITICAL_COLOR,
    LEGEND_BESIDE,
    STAGE_REF,
    add_stage_key,
    plotly_text,
    stages_figure,
    stages_figure_json,
)
from profiler.model import Build, Stage
from profiler.palette import FAILED_COLOR, add_key, stage_color
from profiler.render.format import seconds
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parent.parent / "sample_builds"
STREAMS = sorted(SAMPLES.glob("**/*.rawjson"))


def stages_by_graph_objects(all_stages: Sequence[Stage], on_path: Mapping[str, float]) -> go.Figure:
    """The stage chart as graph objects (the code before plain JSON)."""
    stages = [stage for stage in all_stages if stage.start is not None]
    names = [stage_label(stage.target, stage.name, stage.platform) for stage in stages]
    labels = [plotly_text(name) for name in names]
    shares = [on_path.get(name, 0.0) for name in names]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            showlegend=False,
            base=[stage.start for stage in stages],
            x=[max(stage.span, 1e-3) for stage in stages],
            y=labels,
            customdata=[STAGE_REF + name for name in names],
            marker={
                "color": [
                    FAILED_COLOR if stage.failed else stage_color(name)
                    for stage, name in zip(stages, names, strict=True)
                ],
                "line": {
                    "color": [CRITICAL_COLOR if share > 0 else "rgba(0,0,0,0)" for share in shares],
                    "width": [2 if share > 0 else 0 for share in shares],
                },
            },
            hovertext=[
                f"<b>{label}</b><br>start {seconds(stage.start)}, span {seconds(stage.span)}"
                f"<br>busy {seconds(stage.busy)} in {stage.steps} steps ({stage.cached} cached)"
                f"<br>critical path: {seconds(share)}"
                for label, stage, share in zip(labels, stages, shares, strict=True)
            ],
            hoverinfo="text",
        )
    )
    add_stage_key(figure, names)
    add_key(
        figure,
        cached=False,
        failed=any(stage.failed for stage in stages),
        critical=any(share > 0 for share in shares),
    )
    figure.update_layout(
        title="Stages (outlined: on the critical path)",
        xaxis={"title": "seconds from build start", "rangemode": "tozero"},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(labels))},
        height=max(250, 28 * len(labels) + 120),
        legend=LEGEND_BESIDE,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def recorded(path: Path) -> Build:
    try:
        return read_build(path)
    except KitprofError:
        pytest.skip(f"{path.name} is a sample of a stream kitprof refuses")


@pytest.mark.parametrize("path", STREAMS, ids=lambda path: str(path.relative_to(SAMPLES)))
def test_plain_json_is_the_graph_objects_figure(path: Path) -> None:
    build = recorded(path)
    on_path = analyze(build).critical_path_by_stage
    expected = stages_by_graph_objects(build.stages, on_path).to_plotly_json()
    made = stages_figure_json(build.stages, on_path)
    # Graph objects add plotly's default template; the dashboard sets its own.
    layout = {key: value for key, value in expected["layout"].items() if key != "template"}
    assert made == {"data": expected["data"], "layout": layout}
    assert stages_figure(build.stages, on_path).to_plotly_json() == expected


def test_samples_cover_failed_and_critical_stages() -> None:
    """The comparison above sees every kind of bar: failed, outlined, plain."""
    kinds: set[str] = set()
    for path in STREAMS:
        try:
            build = read_build(path)
        except KitprofError:
            continue
        on_path = analyze(build).critical_path_by_stage
        figure = stages_figure_json(build.stages, on_path)
        kinds.update(trace["name"] for trace in figure["data"][1:])
        kinds.update(figure["data"][0]["marker"]["line"]["color"])
    assert {"failed (red)", "critical path (outlined)", "rgba(0,0,0,0)"} <= kinds
