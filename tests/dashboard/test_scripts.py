"""The scripts a page loads: Dash's own list, less what the dashboard does not use."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.app import create_app
from tests.dashboard.conftest import ROOT, SAMPLES


def script_names(page: str) -> list[str]:
    sources = re.findall(r'<script src="([^"]+)"', page)
    return [Path(source.split("?")[0]).name for source in sources]


def test_the_page_loads_no_polyfill_nor_table_and_the_graph_with_the_rest(
    no_env_db: None,
) -> None:
    app = create_app(None, [SAMPLES / "parallel-stages" / "cold.rawjson"])
    names = script_names(app.server.test_client().get("/").get_data(as_text=True))
    assert not [name for name in names if "polyfill" in name or name == "bundle.js"]
    assert "async-graph.js" in names and "plotly-basic.min.js" in names
    # Dash's bundles call regeneratorRuntime: it is there before them.
    runtime = names.index("regenerator-runtime.js")
    assert runtime < min(i for i, name in enumerate(names) if name.startswith("dash_"))
    core = next(i for i, name in enumerate(names) if name.startswith("dash_core_components."))
    assert names.index("async-graph.js") > core
    # Every script named is served.
    client = app.server.test_client()
    for source in re.findall(r'<script src="([^"]+)"', client.get("/").get_data(as_text=True)):
        with client.get(source) as response:  # a file response: closed
            assert response.status_code == 200, source


def test_the_dashboard_has_no_data_table() -> None:
    """Its bundle is not loaded: a DataTable would not draw."""
    uses = re.compile(r"\bdash_table\.|import dash_table|DataTable\(|dash_table import")
    for module in (ROOT / "dashboard").rglob("*.py"):
        assert not uses.search(module.read_text()), module
