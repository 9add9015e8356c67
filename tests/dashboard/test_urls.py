from __future__ import annotations

import pytest

from dashboard.sources import RunFilters
from dashboard.urls import (
    build_home_href,
    build_href,
    compare_href,
    filters_of,
    int_param,
    parse_route,
    ref_label,
    runs_href,
    trends_href,
)


@pytest.mark.parametrize(
    ("path", "page", "ref"),
    [
        (None, "runs", None),
        ("/", "runs", None),
        ("/build/42", "build", "42"),
        ("/build/f3/", "build", "f3"),
        ("/compare", "compare", None),
        ("/trends", "trends", None),
        ("/build", "not-found", None),
        ("/build/1/2", "not-found", None),
        ("/nope", "not-found", None),
    ],
)
def test_parse_route(path: str | None, page: str, ref: str | None) -> None:
    route = parse_route(path)
    assert (route.page, route.ref) == (page, ref)


def test_filters_round_trip_through_the_query_string() -> None:
    filters = RunFilters(branch="main", labels={"arch": "amd64", "os": "a=b"}, status="failed")
    href = runs_href(filters, page=3)
    path, _, search = href.partition("?")
    route = parse_route(path, "?" + search)
    assert filters_of(route) == filters
    assert int_param(route, "page", 1) == 3


def test_filters_ignore_what_they_do_not_understand() -> None:
    route = parse_route("/", "?status=bogus&label=novalue&label==x&page=-4")
    assert filters_of(route) == RunFilters()
    assert int_param(route, "page", 1, minimum=1) == 1


def test_links() -> None:
    assert runs_href() == "/"
    assert build_href("f3") == "/build/f3"
    assert build_href("a/b") == "/build/a%2Fb"
    assert compare_href("1", "f2") == "/compare?a=1&b=f2"
    assert compare_href(None, "f2") == "/compare?b=f2"
    assert trends_href(RunFilters(branch="main"), "build", 50) == (
        "/trends?branch=main&stage=build&last=50"
    )
    assert ref_label("42") == "#42"
    assert ref_label("f1") == "f1"


def test_a_builds_own_page_round_trips_any_name() -> None:
    for name in ("app", "shop/Dockerfile:release", "a b?c&d#e"):
        href = build_home_href(name)
        route = parse_route(href)
        assert route.page == "builds" and route.ref == name
