"""Small pieces every page uses: stat cards, badges, tables, graphs, empty states.

Every text reaches the page as a React text node, which the browser shows as text:
a step called ``<img src=x onerror=alert(1)>`` is displayed, never parsed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go
from dash import dcc, html

from profiler.render.format import seconds, size

GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}

Child = Any
"""A Dash component, a string, or a list of them."""


def fmt_seconds(value: float | None) -> str:
    return seconds(value)


def fmt_signed(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{seconds(abs(value))}"


def fmt_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


MEANINGS = {
    "wall time": "From the first step's start to the last step's end.",
    "critical path": (
        "The chain of steps that set the finish time, traced back from the last step "
        "(in a failed build: the failure) through what each one waited for. The figure "
        "is the time those steps ran; the rest of the wall time was waiting."
    ),
    "lower bound": (
        "The longest chain of dependent steps, each taking the time it took here: the "
        "wall time with unlimited parallelism. For a failed build, the earliest its "
        "failure could have come. Never above the critical path."
    ),
    "sequential": "Every step's running time added up: the wall time with no parallelism.",
    "parallelism": "Sequential time / wall time: how many steps ran at once on average.",
    "cached": (
        "Dockerfile steps that came from the cache, out of those that can (FROM and "
        "BuildKit's internal steps are not counted)."
    ),
    "steps": (
        "Dockerfile steps (FROM, RUN, COPY…). BuildKit's internal steps (loading "
        "the definition and context, exporting) are counted apart."
    ),
}
"""What each headline figure means: the tooltip of its card, on every page."""


def stat(label: str, value: str, hint: str | None = None) -> html.Div:
    meaning = MEANINGS.get(label)
    children: list[Child] = [
        html.Div(label, className="label meaning" if meaning else "label"),
        html.Div(value, className="value"),
    ]
    if hint:
        children.append(html.Div(hint, className="hint"))
    if meaning:
        return html.Div(children, className="stat", title=meaning)
    return html.Div(children, className="stat")


def badge(text: str, kind: str | None = None) -> html.Span:
    return html.Span(text, className=f"badge {kind or text}")


def card(*children: Child, title: str | None = None, class_name: str = "") -> html.Div:
    content: list[Child] = [html.H2(title)] if title else []
    content.extend(children)
    return html.Div(content, className=f"card {class_name}".strip())


def empty(title: str, *lines: Child) -> html.Div:
    return html.Div([html.H2(title), *[html.P(line) for line in lines]], className="card empty")


FONT = {"family": 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif'}


def styled(figure: go.Figure) -> go.Figure:
    """``figure`` in the page's look (white template, the page's font)."""
    figure.update_layout(template="plotly_white", font=FONT, title_font_size=15)
    return figure


def styled_json(figure: dict[str, Any]) -> dict[str, Any]:
    """:func:`styled` for a figure built as plotly's JSON (changed in place): the same
    layout, without plotly's graph objects (which deep-copy the template each time)."""
    layout = figure["layout"]
    layout["template"] = _white_template()
    layout["font"] = dict(FONT)
    layout.setdefault("title", {}).setdefault("font", {})["size"] = 15
    return figure


@functools.cache
def _white_template() -> dict[str, Any]:
    """The ``plotly_white`` template as JSON: made once, shared by every figure (and
    so never changed)."""
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()  # type: ignore[no-any-return]


def graph(figure: go.Figure | dict[str, Any], id: str | None = None, **props: Any) -> dcc.Graph:
    """A figure in the page's look (white template, the page's font)."""
    if isinstance(figure, dict):
        styled_json(figure)
    else:
        styled(figure)
    kwargs: dict[str, Any] = {"figure": figure, "config": GRAPH_CONFIG, **props}
    if id is not None:
        kwargs["id"] = id
    return dcc.Graph(**kwargs)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Child]],
    *,
    numeric: Iterable[int] = (),
    name_columns: Iterable[int] = (),
    id: str | None = None,
    sort_keys: Sequence[Sequence[float | str | None]] | None = None,
) -> html.Div:
    """A data table in a box that scrolls sideways on a narrow screen; ``numeric``
    columns align right, ``name_columns`` are monospace. A click on a header sorts
    the rows in the browser (:data:`dashboard.style.SORT_SCRIPT`), by ``sort_keys``
    (one per cell: the number behind "1m05.0s") where given, else by the cell's text."""
    numbers = set(numeric)
    names = set(name_columns)

    def css(index: int) -> str | None:
        if index in numbers:
            return "num"
        return "name" if index in names else None

    def header(index: int, text: str) -> html.Th:
        classes = " ".join(c for c in (css(index), "sortable" if text else None) if c)
        return html.Th(text, className=classes or None)

    def cell(row: int, index: int, value: Child) -> html.Td:
        key = sort_keys[row][index] if sort_keys is not None else None
        if key is None:
            return html.Td(value, className=css(index))
        attributes: dict[str, Any] = {"data-sort": str(key)}
        return html.Td(value, className=css(index), **attributes)

    head = html.Thead(html.Tr([header(i, h) for i, h in enumerate(headers)]))
    body = html.Tbody(
        [html.Tr([cell(r, i, value) for i, value in enumerate(row)]) for r, row in enumerate(rows)]
    )
    kwargs: dict[str, Any] = {"className": "data"}
    if id is not None:
        kwargs["id"] = id
    return html.Div(html.Table([head, body], **kwargs), className="table-scroll")


NUMERIC_KINDS = ("seconds", "count", "bytes")


def record_table(
    columns: Sequence[tuple[str, str, str]],
    rows: Sequence[dict[str, Any]],
    *,
    id: str | None = None,
) -> html.Div:
    """A table of dict rows. ``columns``: ``(key, header, kind)``, kind ``text``,
    ``name`` (monospace), ``seconds``, ``count``, ``bytes`` or ``status`` (a badge).

    Keep these to a hundred rows or so: every cell is a component, and the page's
    renderer revisits each one whenever a callback answers.
    """

    def cell(value: Any, kind: str) -> Child:
        if value is None:
            return ""
        if kind == "seconds":
            return fmt_seconds(float(value))
        if kind == "status":
            return badge(str(value))
        if kind == "bytes":
            return size(int(value))
        return str(value)

    return table(
        [header for _, header, _ in columns],
        [[cell(row.get(key), kind) for key, _, kind in columns] for row in rows],
        sort_keys=[
            [row.get(key) if kind in NUMERIC_KINDS else None for key, _, kind in columns]
            for row in rows
        ],
        numeric=[i for i, (_, _, kind) in enumerate(columns) if kind in NUMERIC_KINDS],
        name_columns=[i for i, (_, _, kind) in enumerate(columns) if kind == "name"],
        id=id,
    )


def build_options(builds: Sequence[Any], *, all_builds: str | None = None) -> list[dict[str, str]]:
    """Dropdown options of a build selector: ``name · N runs``, newest first; with
    ``all_builds`` (the value meaning "every build") first."""
    options = [
        {"label": f"{b.name} · {b.runs} run{'s' if b.runs != 1 else ''}", "value": b.name}
        for b in builds
    ]
    if all_builds is not None:
        options.insert(0, {"label": "all builds", "value": all_builds})
    return options


def link(text: Child, href: str, **props: Any) -> dcc.Link:
    return dcc.Link(text, href=href, **props)


SPARK_WIDTH = 90
SPARK_HEIGHT = 22


def sparkline_svg(values: Sequence[float], color: str = "#4c78a8") -> str:
    """A tiny line chart as an SVG data URI, the last point marked in ``color``.

    An image, not a graph: a page of 50 runs draws 50 of them in no time. The SVG
    holds numbers only, nothing a user wrote.
    """
    width, height, pad = SPARK_WIDTH, SPARK_HEIGHT, 3
    if not values:
        return "data:image/svg+xml," + quote(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"/>'
        )
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def point(index: int, value: float) -> tuple[float, float]:
        x = pad + index * step if len(values) > 1 else width / 2
        if high == low:
            return round(x, 1), height / 2
        y = height - pad - (value - low) / span * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    points = [point(i, v) for i, v in enumerate(values)]
    path = " ".join(f"{x},{y}" for x, y in points)
    last_x, last_y = points[-1]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f'<polyline fill="none" stroke="#9aa9bd" stroke-width="1.3" points="{path}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="2.8" fill="{color}"/></svg>'
    )
    return "data:image/svg+xml," + quote(svg)
