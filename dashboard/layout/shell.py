"""The frame around every page: the URL, the top bar, the page's slot."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from dashboard import ids

NAV_ITEMS = (
    ("Runs", "/", "runs"),
    ("Compare", "/compare", "compare"),
    ("Trends", "/trends", "trends"),
)


def shell(sources: Sequence[str]) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            html.Header(
                [
                    dcc.Link(["kit", html.Span("prof")], href="/", className="brand"),
                    html.Nav(nav_links(None), id=ids.NAV),
                    html.Div(f"showing: {', '.join(sources) or 'nothing'}", className="sources"),
                ],
                className="topbar",
            ),
            html.Main(id=ids.PAGE),
        ]
    )


def nav_links(active: str | None) -> list[dcc.Link]:
    return [
        dcc.Link(text, href=href, className="active" if page == active else "")
        for text, href, page in NAV_ITEMS
    ]


def not_found(message: str) -> html.Div:
    return html.Div(
        [
            html.H2("Not found"),
            html.P(message),
            html.P(dcc.Link("Back to the runs", href="/")),
        ],
        className="card empty",
    )
