"""The callbacks' logic as plain functions, and the router on every page."""

from __future__ import annotations

from typing import Any

import pytest
from dash import html

from dashboard.callbacks.build import details, step_details, suggestions
from dashboard.callbacks.compare import pair_search
from dashboard.callbacks.runs import compare_link, filters_search
from dashboard.callbacks.trends import controls_search
from dashboard.routing import render_page
from dashboard.sources import Catalog
from tests.dashboard.conftest import SAMPLE_FILES, SAMPLES
from tests.dashboard.test_layout import texts


def test_filters_go_into_the_query_string() -> None:
    assert filters_search(None, None, None) == ""
    assert filters_search("main", ["arch=amd64", "bad"], "failed") == (
        "?branch=main&label=arch%3Damd64&status=failed"
    )


def test_two_ticks_make_a_compare_link() -> None:
    assert compare_link([[], None, []]) == (
        "/compare",
        "button disabled",
        "tick two runs to compare them",
    )
    assert compare_link([["9"], [], []])[2] == "tick one more run"
    assert compare_link([["9"], [], ["f2"]]) == ("/compare?a=f2&b=9", "button", "")
    assert compare_link([["9"], ["8"], ["7"]]) == (
        "/compare",
        "button disabled",
        "3 runs ticked: compare takes exactly two",
    )


def test_pickers_and_trend_controls_go_into_the_query_string() -> None:
    assert pair_search("1", "f2") == "?a=1&b=f2"
    assert pair_search(None, None) == ""
    assert controls_search("main", ["arch=arm64"], "slow", 50) == (
        "?branch=main&label=arch%3Darm64&stage=slow&last=50"
    )
    assert controls_search(None, [], None, 0) == ""


def test_step_details_of_a_click(files_catalog: Catalog) -> None:
    index = SAMPLE_FILES.index(SAMPLES / "failing-test" / "failed.rawjson") + 1
    ref = f"f{index}"
    build, _ = files_catalog.build(ref)
    failed = next(step for step in build if step.status.value == "failed")
    panel = html.Div(step_details(files_catalog, ref, {"points": [{"customdata": failed.digest}]}))
    assert failed.name in texts(panel)
    assert any("AssertionError" in text for text in texts(panel))
    nothing = html.Div(step_details(files_catalog, ref, None))
    assert "Click a bar" in texts(nothing)[0]


def test_details_of_a_run(files_catalog: Catalog) -> None:
    assert "Critical path" in texts(html.Div(details(files_catalog, "f1")))
    assert details(files_catalog, None) == []
    assert "no run" in " ".join(texts(html.Div(details(files_catalog, "f9999"))))


def test_suggestions_of_a_run(files_catalog: Catalog) -> None:
    index = SAMPLE_FILES.index(SAMPLES / "secret-mount" / "secret.rawjson") + 1
    panel = html.Div(suggestions(files_catalog, f"f{index}"))
    assert any(text.startswith("saves ~") for text in texts(panel))
    assert "could not be computed" in " ".join(texts(html.Div(suggestions(files_catalog, None))))
    assert "could not be computed" in " ".join(texts(html.Div(suggestions(files_catalog, "f9999"))))


@pytest.mark.parametrize(
    ("path", "search", "page", "expected"),
    [
        ("/", "", "runs", "Runs"),
        ("/", "?branch=develop&page=7", "runs", "Runs"),
        ("/build/3", "", "build", "critical path"),
        ("/build/f1", "", "build", "Suggestions"),
        ("/build/404404", "", "build", "Not found"),
        ("/build/zz", "", "build", "Not found"),
        ("/compare", "", "compare", "Compare two runs"),
        ("/compare", "?a=1&b=11", "compare", "Per-stage change (busy time)"),
        ("/compare", "?a=1&b=999", "compare", "Nothing to compare yet"),
        ("/trends", "?branch=main&stage=slow&last=20", "trends", "Trends"),
        ("/elsewhere", "", "not-found", "Not found"),
    ],
)
def test_router(catalog: Catalog, path: str, search: str, page: str, expected: str) -> None:
    active, layout = render_page(catalog, path, search)
    assert active == page
    assert expected in texts(layout)


def test_router_reports_an_unreadable_history(catalog: Catalog, monkeypatch: Any) -> None:
    from profiler.store import StoreError

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("history database error at sqlite:///x: disk I/O error")

    monkeypatch.setattr(catalog.sources[0], "count", broken)
    _, layout = render_page(catalog, "/", "")
    assert "Cannot show this page" in texts(layout)
