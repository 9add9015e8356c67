"""Layout builders: pure functions from view data to components, checked as trees."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dash import dcc, html

from dashboard import data, ids
from dashboard.layout.build import (
    CRITICAL_PATH_ROWS,
    STEP_HINT,
    build_details,
    build_page,
    gantt_for_page,
    step_panel,
)
from dashboard.layout.common import sparkline_svg, table
from dashboard.layout.compare import compare_page
from dashboard.layout.runs import runs_page
from dashboard.layout.suggestions import diff_block, suggestions_panel
from dashboard.layout.trends import trends_page
from dashboard.sources import Catalog, RunFilters
from profiler.analysis import analyze, step_stage_label
from profiler.dockerfile import read_dockerfile
from profiler.figures_history import CAPPED_HEIGHT
from profiler.sources import read_build
from profiler.suggest import suggest
from tests.dashboard.conftest import SAMPLES, XSS_NAME, xss_stream
from tests.streams import Stream


def walk(component: Any) -> Iterator[Any]:
    """Every component and string in a tree."""
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            yield from walk(child)
    elif children is not None:
        yield from walk(children)


def texts(component: Any) -> list[str]:
    return [node for node in walk(component) if isinstance(node, str)]


def ids_in(component: Any) -> set[Any]:
    found = (getattr(node, "id", None) for node in walk(component))
    return {value for value in found if isinstance(value, str)}


def test_runs_page_has_filters_table_and_pager(catalog: Catalog) -> None:
    view = data.runs_view(catalog, RunFilters(build="*"), page=1, page_size=10)
    page = runs_page(view)
    found = ids_in(page)
    for expected in (
        ids.RUNS_BUILD,
        ids.RUNS_BRANCH,
        ids.RUNS_LABELS,
        ids.RUNS_STATUS,
        ids.RUNS_TABLE,
    ):
        assert expected in found
    assert ids.RUNS_NEXT in found and ids.RUNS_PREVIOUS not in found
    rows = [node for node in walk(page) if isinstance(node, html.Tr)]
    assert len(rows) == 1 + 10  # header + a page
    links = [node.href for node in walk(page) if isinstance(node, dcc.Link)]
    assert "/build/" + view.rows[0].ref in links
    images = [node for node in walk(page) if isinstance(node, html.Img)]
    assert all(image.src.startswith("data:image/svg+xml,") for image in images)


def test_runs_page_without_runs_explains_what_to_do(catalog: Catalog) -> None:
    page = runs_page(data.runs_view(catalog, RunFilters(branch="nope")))
    assert "No runs match these filters" in texts(page)
    assert ids.RUNS_TABLE not in ids_in(page)


def test_build_page_sections(files_catalog: Catalog) -> None:
    view = data.build_view(files_catalog, "f1")
    page = build_page(view)
    found = ids_in(page)
    assert {ids.GANTT, ids.STEP_PANEL, ids.SUGGESTIONS, ids.BUILD_REF, ids.BUILD_DETAILS} <= found
    assert "Suggestions" in texts(page)
    details = html.Div(build_details(view))
    for heading in ("Stages", "Critical path", "Slowest steps"):
        assert heading in texts(details)
    assert {ids.STAGE_TABLE, ids.CRITICAL_PATH_TABLE, ids.SLOWEST_TABLE} <= ids_in(details)
    stage_table = next(n for n in walk(details) if getattr(n, "id", None) == ids.STAGE_TABLE)
    body_rows = [n for n in walk(stage_table) if isinstance(n, html.Tr)][1:]
    assert len(body_rows) == len(view.build.stages)


def test_a_long_critical_path_shows_its_longest_steps() -> None:
    stream = Stream()
    previous: list[str] = []
    for index in range(150):
        digest = f"sha256:{index}"
        duration = 1.0 + (index % 7)
        start = float(sum(1.0 + (i % 7) for i in range(index)))
        stream.step(
            digest,
            f"[s {index + 1}/150] RUN step {index}",
            start,
            start + duration,
            inputs=previous,
        )
        previous = [digest]
    build = read_build(io.BytesIO(stream.one_line()))
    from dashboard.data import BuildView
    from dashboard.sources import CatalogRun

    view = BuildView(CatalogRun("f1", "files", None), build, analyze(build), False, False)  # type: ignore[arg-type]
    details = html.Div(build_details(view))
    table_ = next(n for n in walk(details) if getattr(n, "id", None) == ids.CRITICAL_PATH_TABLE)
    body_rows = [n for n in walk(table_) if isinstance(n, html.Tr)][1:]
    assert len(body_rows) == CRITICAL_PATH_ROWS
    order = [int(str(row.children[3].children).split()[-1]) for row in body_rows]
    assert order == sorted(order)  # time order
    assert all(index % 7 >= 3 for index in order)  # the longest ones
    assert any(f"{CRITICAL_PATH_ROWS} longest of its 150 steps" in text for text in texts(details))


def test_failure_card_shows_the_log_tail(files_catalog: Catalog) -> None:
    from tests.dashboard.conftest import SAMPLE_FILES

    index = SAMPLE_FILES.index(SAMPLES / "failing-test" / "failed.rawjson") + 1
    page = build_page(data.build_view(files_catalog, f"f{index}"))
    failure = next(n for n in walk(page) if "failure" in (getattr(n, "className", "") or ""))
    assert any("test_checkout FAILED" in text for text in texts(failure))


def test_names_stay_text() -> None:
    # Dash renders every string child as a text node: the only way HTML could get in
    # is a component that injects markup, which the layouts never use.
    build = read_build(io.BytesIO(xss_stream().one_line()))
    analysis = analyze(build)
    view = data.step_view(build, analysis, "sha256:evil")
    panel = html.Div(step_panel(view))
    assert XSS_NAME in texts(panel)
    assert not any(isinstance(node, dcc.Markdown) for node in walk(panel))
    figure = gantt_for_page(build, analysis)
    labels = [label for trace in figure.data for label in trace.y]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in label for label in labels)


def test_step_panel_without_a_step() -> None:
    assert texts(html.Div(step_panel(None))) == [STEP_HINT]


def test_a_large_build_gets_a_fixed_height_timeline() -> None:
    stream = Stream()
    for index in range(600):
        stream.step(f"sha256:{index}", f"[s {index + 1}/600] RUN step {index}", index, index + 1)
    build = read_build(io.BytesIO(stream.one_line()))
    from dashboard.layout.timeline import timeline

    # The page opens on the stages (one here); every step, when asked, at a fixed height.
    assert len(gantt_for_page(build, analyze(build)).data[0].y) == 1
    figure = timeline(build, analyze(build), "all").figure
    assert figure.layout.height == CAPPED_HEIGHT


def test_suggestions_panel_with_a_diff() -> None:
    folder = SAMPLES / "secret-mount"
    build = read_build(folder / "secret.rawjson")
    report = suggest(build, read_dockerfile(folder / "Dockerfile"))
    assert report.suggestions, "the sample has a suggestion"
    panel = html.Div(suggestions_panel(report, has_dockerfile=True))
    diffs = [node for node in walk(panel) if isinstance(node, html.Pre)]
    classes = [getattr(span, "className", None) for span in walk(diffs[0])] if diffs else []
    assert "add" in classes and "del" in classes
    empty = html.Div(suggestions_panel(None, has_dockerfile=False))
    assert "could not be computed" in " ".join(texts(empty))


def test_diff_block_colours_lines() -> None:
    block = diff_block("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same\n")
    classes = [span.className for span in block.children]
    assert classes == ["meta", "meta", "hunk", "del", "add", None]


def test_compare_page_with_and_without_a_comparison(catalog: Catalog) -> None:
    options = data.run_options(catalog)
    page = compare_page(options, "1", "11", data.compare_view(catalog, "1", "11"))
    assert {ids.COMPARE_A, ids.COMPARE_B, ids.COMPARE_CONTENT} <= ids_in(page)
    assert "Per-stage change (busy time)" in texts(page)
    nothing = compare_page(options[:1], None, None, None)
    assert "Comparing needs two runs." in texts(nothing)


def test_trends_page(catalog: Catalog) -> None:
    page = trends_page(data.trends_view(catalog, RunFilters(build="app", branch="main")))
    assert {ids.TRENDS_RUNS, ids.TRENDS_STAGES} <= ids_in(page)
    assert "Regressions (1)" in texts(page)
    few = trends_page(data.trends_view(catalog, RunFilters(branch="nope")))
    assert "Not enough runs for a trend" in texts(few)


def test_table_and_sparkline() -> None:
    built = table(("a", "b"), [["x", "1"]], numeric=(1,), name_columns=(0,))
    cells = [node for node in walk(built) if isinstance(node, html.Td)]
    assert [cell.className for cell in cells] == ["name", "num"]
    assert sparkline_svg([]).startswith("data:image/svg+xml,")
    assert "circle" in sparkline_svg([1.0, 2.0, 3.0])
    assert "circle" in sparkline_svg([2.0])


def test_build_stats_state_their_meaning_and_count_steps_one_way(files_catalog: Catalog) -> None:
    from dashboard.layout.common import MEANINGS
    from tests.dashboard.conftest import SAMPLE_FILES

    index = SAMPLE_FILES.index(SAMPLES / "parallel-stages" / "cold.rawjson") + 1
    view = data.build_view(files_catalog, f"f{index}")
    page = build_page(view)
    stats = {
        node.children[0].children: node
        for node in walk(page)
        if getattr(node, "className", None) == "stat"
    }
    for label in ("wall time", "critical path", "lower bound", "cached", "steps"):
        assert stats[label].title == MEANINGS[label]
    # Was "0 of 14 steps cached" beside "20 steps": 20 counted BuildKit's vertices.
    steps_card = texts(stats["steps"])
    assert "15" in steps_card  # 14 cacheable steps and one FROM
    assert any("5 internal steps" in text for text in steps_card)
    assert any("0 of 14 cacheable steps" in text for text in texts(stats["cached"]))


def test_a_big_build_opens_on_its_stages_and_a_small_one_on_its_steps(tmp_path: Path) -> None:
    from benchmarks.generate_stream import generate
    from dashboard.layout.timeline import (
        MAX_ALL_STEPS,
        MAX_STAGE_STEPS,
        SLOWEST_N,
        default_view,
        timed_steps,
        timeline,
        view_options,
    )

    small = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    assert default_view(small) == "all"
    path = tmp_path / "big.rawjson"
    generate(path, steps=2000, megabytes=2.0)
    big = read_build(path)
    analysis = analyze(big)
    assert default_view(big) == "stages"
    stages = timeline(big, analysis, "stages").figure
    assert len(stages.data[0].y) == len(big.stages)
    assert all(ref.startswith("stage:") for ref in stages.data[0].customdata)

    def digests(figure: Any) -> set[str]:
        return {
            d for trace in figure.data if trace.customdata is not None for d in trace.customdata
        }

    assert digests(timeline(big, analysis, "critical").figure) == set(analysis.critical_path)
    slowest = digests(timeline(big, analysis, "slowest").figure)
    durations = sorted((s.duration for s in big if s.start is not None), reverse=True)
    assert len(slowest) == SLOWEST_N
    assert min(big.step(d).duration for d in slowest) >= durations[SLOWEST_N - 1]
    stage = stages.data[0].customdata[3].removeprefix("stage:")
    one = timeline(big, analysis, "stage", stage)
    members = [s for s in big if s.start is not None and step_stage_label(s) == stage]
    assert digests(one.figure) == {s.digest for s in members[:MAX_STAGE_STEPS]}
    [every] = [o for o in view_options(big) if o["value"] == "all"]
    assert every["disabled"] == (timed_steps(big) > MAX_ALL_STEPS)
