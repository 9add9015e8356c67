"""The Build page's host-usage strip (dashboard/layout/host_usage.py), without a browser."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import data, ids
from dashboard.files import load_files
from dashboard.layout.build import build_page
from dashboard.layout.host_usage import NOTE_CLASS, host_usage_line, with_host_usage
from dashboard.layout.timeline import timeline
from dashboard.sources import Catalog
from profiler.analysis import analyze
from profiler.analysis.host_usage import host_series
from profiler.sources import read_build
from tests.dashboard.conftest import SAMPLES
from tests.dashboard.test_layout import texts, walk

CPU_BOUND = SAMPLES / "cpu-bound" / "modern"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog([load_files([CPU_BOUND / "cold.dockerbuild", CPU_BOUND / "cold.rawjson"])])


def gantt_of(page: Any) -> Any:
    figure = next(n for n in walk(page) if getattr(n, "id", None) == ids.GANTT).figure
    return figure if isinstance(figure, dict) else figure.to_plotly_json()


def test_a_record_s_page_draws_the_strip_in_the_timeline(catalog: Catalog) -> None:
    view = data.build_view(catalog, "f1")
    page = build_page(view)
    figure = gantt_of(page)
    strip = [t for t in figure["data"] if t.get("yaxis") == "y2" and t.get("x") != [None]]
    series = host_series(view.build)
    assert strip and all(list(t["x"]) == list(series.time) for t in strip)
    assert figure["layout"]["xaxis2"]["matches"] == "x"
    assert not [n for n in walk(page) if NOTE_CLASS in (getattr(n, "className", "") or "")]


def test_a_stream_s_page_says_so_in_one_line(catalog: Catalog) -> None:
    view = data.build_view(catalog, "f2")
    page = build_page(view)
    figure = gantt_of(page)
    assert not [t for t in figure["data"] if t.get("yaxis") == "y2"]
    notes = [n for n in walk(page) if getattr(n, "className", None) == NOTE_CLASS]
    assert len(notes) == 1 and "No host usage" in notes[0].children
    assert any("rawjson stream has none" in text for text in texts(page))


@pytest.mark.parametrize("view", ["all", "critical", "slowest", "stages"])
def test_every_timeline_view_keeps_the_strip(view: str) -> None:
    build = read_build(CPU_BOUND / "cold.dockerbuild")
    shown = timeline(build, analyze(build), view)
    figure = with_host_usage(shown.figure, build)
    assert any(t.yaxis == "y2" for t in figure.data)
    assert host_usage_line(build) == []
