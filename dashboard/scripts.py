"""Which scripts the page loads before it can draw: fewer and lighter than Dash's own
list, since a first visit evaluates every one of them before asking for the page.

- Dash's ``polyfill`` (core-js 2 and regenerator, 100 kB) patches a modern browser's
  built-ins for old ones: 0.15 s to evaluate on an idle machine, and its replacements
  (``String.prototype.trim`` among them) are slower than the browser's own for every
  later call. Dash's bundles need only its ``regeneratorRuntime`` (their ``async``
  functions are compiled to generators): ``assets/regenerator-runtime.js`` gives it.
- ``dash_table``'s bundle: the dashboard has no DataTable.
- The Graph's code (``dcc/async-graph.js``) is loaded with the others, not when the
  first chart is about to be drawn (one more round trip, late, on a busy server).
"""

from __future__ import annotations

import re

from dash import Dash

DROPPED = (
    re.compile(r'<script src="[^"]*/_dash-component-suites/dash/deps/polyfill@[^"]*"></script>\n?'),
    re.compile(r'<script src="[^"]*/_dash-component-suites/dash/dash_table/[^"]*"></script>\n?'),
)
CORE_COMPONENTS = re.compile(
    r'(<script src="([^"]*/_dash-component-suites/dash/dcc/)dash_core_components\.[^"]*"></script>)'
)


def page_scripts(scripts: str) -> str:
    """Dash's script tags (``{%scripts%}`` of the page) without those the dashboard
    does not need, with the Graph's chunk after the core components."""
    for dropped in DROPPED:
        scripts = dropped.sub("", scripts)
    return CORE_COMPONENTS.sub(r'\1\n<script src="\2async-graph.js"></script>', scripts, count=1)


class Dashboard(Dash):
    """Dash with the page's scripts of :func:`page_scripts`."""

    def interpolate_index(
        self,
        metas: str = "",
        title: str = "",
        css: str = "",
        config: str = "",
        scripts: str = "",
        app_entry: str = "",
        favicon: str = "",
        renderer: str = "",
    ) -> str:
        return str(
            super().interpolate_index(  # type: ignore[no-untyped-call]
                metas=metas,
                title=title,
                css=css,
                config=config,
                scripts=page_scripts(scripts),
                app_entry=app_entry,
                favicon=favicon,
                renderer=renderer,
            )
        )
