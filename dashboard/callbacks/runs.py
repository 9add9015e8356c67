"""Runs page: filters go into the URL (the router redraws), two ticks make a
comparison link, a click on the trend opens that run."""

from __future__ import annotations

from collections.abc import Sequence

from dash import ALL, Dash, Input, Output, no_update

from dashboard import ids
from dashboard.data import clicked_ref, picked_compare
from dashboard.sources import Catalog, RunFilters
from dashboard.urls import build_href, compare_href, runs_href


def filters_search(
    branch: str | None,
    labels: Sequence[str] | None,
    status: str | None,
    build: str | None = None,
) -> str:
    """The query string of the Runs page for these filters (back to page 1)."""
    pairs = (item.partition("=") for item in labels or ())
    chosen = {key: value for key, sep, value in pairs if sep and key}
    filters = RunFilters(
        build=build or None, branch=branch or None, labels=chosen, status=status or None
    )
    href = runs_href(filters)
    return href[1:]  # without the path "/": "?branch=…" or ""


def compare_link(picks: Sequence[Sequence[str] | None]) -> tuple[str, str, str]:
    """``(href, class, why)`` of the "Compare selected" button for the ticked rows:
    ``why`` says what is missing while it is disabled."""
    refs = [ref for values in picks for ref in values or ()]
    pair = picked_compare(refs)
    if pair is None:
        why = (
            "tick two runs to compare them"
            if not refs
            else "tick one more run"
            if len(refs) == 1
            else f"{len(refs)} runs ticked: compare takes exactly two"
        )
        return "/compare", "button disabled", why
    return compare_href(*pair), "button", ""


def register(app: Dash, catalog: Catalog) -> None:
    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.RUNS_BRANCH, "value"),
        Input(ids.RUNS_LABELS, "value"),
        Input(ids.RUNS_STATUS, "value"),
        Input(ids.RUNS_BUILD, "value"),
        prevent_initial_call=True,
    )
    def filter_runs(
        branch: str | None, labels: list[str] | None, status: str | None, build: str | None
    ) -> str:
        return filters_search(branch, labels, status, build)

    @app.callback(
        Output(ids.RUNS_COMPARE, "href"),
        Output(ids.RUNS_COMPARE, "className"),
        Output(ids.RUNS_COMPARE_WHY, "children"),
        Input({"type": ids.RUNS_PICK, "ref": ALL}, "value"),
    )
    def pick(picks: list[list[str] | None]) -> tuple[str, str, str]:
        return compare_link(picks)

    @app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.RUNS_TREND, "clickData"),
        prevent_initial_call=True,
    )
    def open_run(click: object) -> tuple[object, object]:
        ref = clicked_ref(click)
        return (build_href(ref), "") if ref else (no_update, no_update)
