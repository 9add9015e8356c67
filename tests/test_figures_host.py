"""The host-usage strip: the record's samples under the timeline, on its time axis."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.analysis.host_usage import cpu_bound_windows, host_series
from profiler.figures import gantt_figure
from profiler.figures_host import (
    add_host_strip,
    host_usage_figure,
    host_usage_note,
    share_time_axis,
    time_range,
)
from profiler.palette import HOST_USAGE_COLORS
from profiler.sources import read_build

SAMPLE = Path(__file__).resolve().parents[1] / "sample_builds" / "cpu-bound" / "modern"


@pytest.fixture(scope="module")
def record():  # type: ignore[no-untyped-def]
    return read_build(SAMPLE / "cold.dockerbuild")


def strip_traces(figure):  # type: ignore[no-untyped-def]
    return [t for t in figure.data if t.yaxis == "y2" and t.x and t.x[0] is not None]


def test_the_strip_draws_every_sample_under_the_timeline(record) -> None:  # type: ignore[no-untyped-def]
    figure = gantt_figure(record)
    bars = len(figure.data)
    assert add_host_strip(figure, record)
    series = host_series(record)
    traces = {t.name: t for t in strip_traces(figure)}
    assert len(figure.data) > bars
    busy = next(t for name, t in traces.items() if name.startswith("CPU busy"))
    assert list(busy.x) == list(series.time)
    assert list(busy.y) == list(series.cpu_busy_percent)
    memory = next(t for name, t in traces.items() if name.startswith("memory used"))
    assert list(memory.y) == list(series.memory_used_percent)
    pressure = next(t for name, t in traces.items() if name.startswith("CPU pressure"))
    assert list(pressure.y) == list(series.cpu_pressure)
    # Units in every legend entry and on both axes.
    assert "% of 2 cores" in busy.name and "GiB" in memory.name
    assert all("%" in name for name in traces)
    assert figure.layout.yaxis2.title.text == "host usage (%)"
    assert figure.layout.xaxis2.title.text == "seconds from build start"
    # The strip's x axis follows the timeline's (zoomed together).
    assert figure.layout.xaxis2.matches == "x"
    # Colours come from the palette.
    assert busy.line.color == HOST_USAGE_COLORS["cpu"]
    assert memory.line.color == HOST_USAGE_COLORS["memory"]
    # The CPU-bound spans are shaded, and named in the legend.
    shaded = [(s.x0, s.x1) for s in figure.layout.shapes if s.xref == "x2"]
    assert shaded == cpu_bound_windows(record) != []
    assert any((t.name or "").startswith("CPU-bound") for t in figure.data)


def test_a_build_without_samples_gets_one_line_not_a_chart() -> None:
    stream = read_build(SAMPLE / "cold.rawjson")
    figure = gantt_figure(stream)
    before = figure.to_plotly_json()
    assert not add_host_strip(figure, stream)
    assert figure.to_plotly_json() == before
    assert host_usage_figure(stream) is None
    note = host_usage_note(stream)
    assert note is not None and "\n" not in note and "rawjson" in note


def test_the_strip_alone_and_the_shared_range(record) -> None:  # type: ignore[no-untyped-def]
    figure = host_usage_figure(record)
    assert figure is not None
    assert host_usage_note(record) is None
    low, high = time_range(record)
    assert low == 0.0
    assert high >= max(s.end or 0.0 for s in record)
    assert high >= max(host_series(record).time)
    gantt = gantt_figure(record)
    share_time_axis(record, gantt)
    assert list(gantt.layout.xaxis.range) == [low, high]
