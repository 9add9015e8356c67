"""profiler/figures_platforms.py: steps grouped and coloured by platform."""

from __future__ import annotations

from pathlib import Path

from profiler.analysis import analyze
from profiler.figures_platforms import platform_figure
from profiler.model import StepStatus
from profiler.palette import pale, platform_color
from profiler.sources import read_build

SAMPLE = Path(__file__).resolve().parent.parent / "sample_builds" / "multi-platform"


def test_one_block_of_rows_and_one_colour_a_platform() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    analysis = analyze(build)
    figure = platform_figure(build, analysis)
    assert [trace.name for trace in figure.data] == ["linux/386", "linux/amd64", "shared"]
    for trace, summary in zip(figure.data, analysis.platforms, strict=True):
        assert {build.step(d).parsed.platform for d in trace.customdata} == {summary.platform}
        assert set(trace.marker.color) == {platform_color(summary.platform)}
        # Its own critical path is outlined, and nothing else.
        outlined = {d for d, w in zip(trace.customdata, trace.marker.line.width, strict=True) if w}
        assert outlined == set(summary.critical_path) & set(trace.customdata)
    # Rows: the platforms' blocks in order, top to bottom.
    rows = list(reversed(figure.layout.yaxis.categoryarray))
    assert len(rows) == len(build)
    first_shared = min(rows.index(y) for y in figure.data[2].y)
    assert all(rows.index(y) < first_shared for y in figure.data[0].y)


def test_cached_steps_are_pale() -> None:
    build = read_build(SAMPLE / "cached.rawjson")
    figure = platform_figure(build, analyze(build))
    amd64 = figure.data[1]
    cached = [
        color
        for digest, color in zip(amd64.customdata, amd64.marker.color, strict=True)
        if build.step(digest).status is StepStatus.CACHED
    ]
    assert cached and set(cached) == {pale(platform_color("linux/amd64"))}
