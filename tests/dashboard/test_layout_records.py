"""What Docker's build records add to the Build page: the failed line with its excerpt
in the failure card, layer sizes in the stage table and the step panel."""

from __future__ import annotations

from dash import html

from dashboard import data, ids
from dashboard.files import load_files
from dashboard.layout.build import build_details, build_page, step_panel
from dashboard.sources import Catalog
from tests.dashboard.conftest import SAMPLES
from tests.dashboard.test_layout import texts, walk

FAILED = SAMPLES / "failing-test" / "modern" / "failed.dockerbuild"
COLD = SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild"


def view_of(path: object) -> data.BuildView:
    catalog = Catalog([load_files([path])])  # type: ignore[list-item]
    return data.build_view(catalog, "f1")


def test_the_failure_card_names_the_dockerfile_line_and_shows_the_excerpt() -> None:
    page = build_page(view_of(FAILED))
    failure = next(n for n in walk(page) if "failure" in (getattr(n, "className", "") or ""))
    shown = texts(failure)
    assert "Dockerfile:13" in shown
    (excerpt,) = [t for t in shown if ">>>" in t]
    assert excerpt.splitlines() == [
        "  11 |     FROM deps AS test",
        "  12 |     COPY tests/ ./tests/",
        "  13 | >>> RUN sh ./tests/run-tests.sh",
        "  14 |     ",
        "  15 |     FROM deps AS build",
    ]
    legacy = build_page(view_of(SAMPLES / "failing-test" / "failed.rawjson"))  # buildx 0.13
    assert ids.FAILURE_LOCATION not in {getattr(n, "id", None) for n in walk(legacy)}


def test_the_stage_table_and_step_panel_show_layer_sizes_from_the_record() -> None:
    view = view_of(COLD)
    details = html.Div(build_details(view))
    table = next(n for n in walk(details) if getattr(n, "id", None) == ids.STAGE_TABLE)
    trs = [row for row in walk(table) if isinstance(row, html.Tr)]
    rows = [[texts(cell) for cell in row.children] for row in trs]
    header = [t[0] if t else "" for t in rows[0]]
    assert header[-1] == "layers"
    final = next(row for row in rows if row[0] == ["final"])
    assert final[-1] == ["568 B"]
    last = next(s for s in view.build if s.name.startswith("[final 5/5]"))
    panel = texts(html.Div(step_panel(data.step_view(view.build, view.analysis, last.digest))))
    assert panel[panel.index("layer") + 1] == "29 B"
    # a stream knows no sizes: no column, no fact
    stream = view_of(COLD.with_suffix(".rawjson"))
    plain = html.Div(build_details(stream))
    table = next(n for n in walk(plain) if getattr(n, "id", None) == ids.STAGE_TABLE)
    assert "layers" not in texts(table)
