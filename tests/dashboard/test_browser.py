"""The dashboard in a real browser: headless Chromium (Debian's) driven by Playwright.

One app serves the whole module on 127.0.0.1 (a free port, in a thread): a small
history store, the sample builds and a stream with a step named like an HTML tag.
Every test fails on a console error or an uncaught exception in the page, and saves
a screenshot of what it saw under ``test-artifacts/dashboard/``.

``scripts/setup-browser`` installs Chromium; without it these tests skip, unless
``KITPROF_REQUIRE_BROWSER=1`` (``scripts/test`` sets it), when they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard.app import create_app
from tests.dashboard.chromium import launch_chromium
from tests.dashboard.conftest import HISTORY_RUNS, ROOT, SAMPLE_FILES, XSS_LOG, XSS_NAME
from tests.dashboard.serving import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
TIMEOUT_MS = 20_000


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        message = "no Chromium or Playwright: run scripts/setup-browser and install .[dev]"
        if os.environ.get("KITPROF_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Served:
    url: str
    refs: dict[str, str] = field(default_factory=dict)
    """Run refs by sample path relative to sample_builds/ (and "xss")."""


@pytest.fixture(scope="module")
def served(history_url: str, xss_file: Path) -> Iterator[Served]:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    files = [*SAMPLE_FILES, xss_file]
    app = create_app(history_url, files)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The first page a process draws imports plotly's figure classes (seconds on a
    # busy machine): do it before the browser's clock starts.
    from dashboard.files import load_files
    from dashboard.routing import render_page
    from dashboard.sources import Catalog

    warm = Catalog([load_files(SAMPLE_FILES[:1])])
    for path in ("/", "/build/f1", "/compare", "/trends"):
        render_page(warm, path, "")
    refs: dict[str, str] = {}
    number = 0
    seen: set[bytes] = set()
    for path in files:
        content = path.read_bytes()
        if content in seen:
            continue  # the app numbers each distinct stream once
        seen.add(content)
        number += 1
        key = "xss" if path == xss_file else str(path.relative_to(ROOT / "sample_builds"))
        refs[key] = f"f{number}"
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", refs)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright, executable)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watched:
    page: Page
    problems: list[str]
    dialogs: list[str]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # From the top: a full-page shot of a scrolled page shows the sticky bar mid-page.
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    dialogs: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("dialog", on_dialog)
    watched = Watched(tab, problems, dialogs)
    yield watched
    context.close()
    assert not problems, problems
    assert not dialogs, f"a dialog opened: {dialogs}"


def open_page(watched: Watched, url: str, ready: str) -> Page:
    watched.page.goto(url)
    watched.page.wait_for_selector(ready, state="visible")
    return watched.page


def wait_idle(tab: Page) -> None:
    """Until Dash has no callback in flight (it marks the document while one runs)."""
    tab.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=TIMEOUT_MS
    )


def bar_center(tab: Page, graph_id: str, digest: str) -> tuple[float, float]:
    """Where on the screen the bar of ``digest`` (its customdata) is drawn, scrolled
    into the window first (a mouse click lands only on what is on screen)."""
    tab.evaluate(
        """([graphId, digest]) => {
            const gd = document.querySelector(`#${graphId} .js-plotly-plot`);
            const traces = gd.querySelectorAll('.barlayer .trace');
            for (let t = 0; t < gd.data.length; t++) {
                const index = (gd.data[t].customdata || []).indexOf(digest);
                if (index >= 0) traces[t].querySelectorAll('.point path')[index]
                    .scrollIntoView({block: 'center'});
            }
        }""",
        [graph_id, digest],
    )
    found = tab.evaluate(
        """([graphId, digest]) => {
            const gd = document.querySelector(`#${graphId} .js-plotly-plot`);
            const traces = gd.querySelectorAll('.barlayer .trace');
            for (let t = 0; t < gd.data.length; t++) {
                const index = (gd.data[t].customdata || []).indexOf(digest);
                if (index < 0) continue;
                const bar = traces[t].querySelectorAll('.point path')[index];
                const box = bar.getBoundingClientRect();
                return [box.x + box.width / 2, box.y + box.height / 2];
            }
            return null;
        }""",
        [graph_id, digest],
    )
    assert found is not None, f"no bar for {digest}"
    return float(found[0]), float(found[1])


# -- the tests -------------------------------------------------------------------------


def test_runs_page_lists_history_and_files(page: Watched, served: Served) -> None:
    tab = open_page(page, served.url + "/?build=app", "#runs-table")
    wait_idle(tab)
    rows = tab.locator("#runs-table tbody tr")
    assert rows.count() == HISTORY_RUNS
    tab.locator("#runs-trend .scatterlayer .point").first.wait_for()
    assert tab.locator("img.spark").count() == HISTORY_RUNS
    # The build comes first in every row.
    builds = tab.locator("#runs-table tbody tr td:nth-child(2)").all_inner_texts()
    assert set(builds) == {"app"}
    page.shot("runs")

    # A filter goes into the URL and narrows the table, within the build.
    tab.locator("#runs-branch").click()
    tab.locator("[role=listbox] [role=option]", has_text="develop").click()
    tab.wait_for_url("**/?build=app&branch=develop")
    tab.wait_for_function("document.querySelectorAll('#runs-table tbody tr').length === 2")
    page.shot("runs-filtered")

    # "all builds" in the selector lists every run, history and files.
    tab.goto(served.url + "/")
    tab.locator("#runs-build").click()
    tab.locator("[role=listbox] [role=option]", has_text="all builds").click()
    tab.wait_for_url("**/?build=%2A")
    expected = min(50, HISTORY_RUNS + len(served.refs))
    tab.wait_for_function(
        f"document.querySelectorAll('#runs-table tbody tr').length === {expected}"
    )


def test_build_page_click_a_bar_shows_its_logs(page: Watched, served: Served) -> None:
    ref = served.refs["failing-test/failed.rawjson"]
    tab = open_page(page, f"{served.url}/build/{ref}", "#gantt .barlayer .point path")
    wait_idle(tab)
    for text in ("critical path", "lower bound", "sequential", "Stages", "Suggestions"):
        assert tab.get_by_text(text, exact=True).first.is_visible()
    failure = tab.locator(".failure")
    assert "test_checkout FAILED" in failure.inner_text()  # the failure card's log tail

    digest = tab.evaluate(
        """() => {
            const gd = document.querySelector('#gantt .js-plotly-plot');
            for (const trace of gd.data) if (trace.name === 'failed') return trace.customdata[0];
            return null;
        }"""
    )
    x, y = bar_center(tab, "gantt", digest)
    tab.mouse.move(x, y)
    tab.mouse.click(x, y)
    panel = tab.locator("#step-panel")
    panel.locator("pre").wait_for()
    assert "run-tests.sh" in panel.locator(".step-name").inner_text()
    assert "AssertionError: expected status 200, got 500" in panel.locator("pre").inner_text()
    page.shot("build-failed-step-logs")


def test_build_page_of_a_history_run_with_suggestions(page: Watched, served: Served) -> None:
    tab = open_page(page, f"{served.url}/build/1", "#gantt .barlayer .point path")
    tab.locator("#suggestions .suggestion, #suggestions p").first.wait_for()
    wait_idle(tab)
    page.shot("build-history")


def test_build_page_suggestion_with_its_diff(page: Watched, served: Served) -> None:
    # secret-mount's Dockerfile sits beside its stream: the suggestion comes with a diff.
    ref = served.refs["secret-mount/secret.rawjson"]
    tab = open_page(page, f"{served.url}/build/{ref}", "#gantt .barlayer .point path")
    suggestion = tab.locator("#suggestions .suggestion").first
    suggestion.wait_for()
    wait_idle(tab)
    assert "saves ~" in suggestion.inner_text()
    assert suggestion.locator("pre.diff .add").count() > 0
    assert suggestion.locator("pre.diff .del").count() > 0
    suggestion.scroll_into_view_if_needed()
    page.shot("build-suggestion")


def test_compare_two_runs_picked_on_the_runs_page(page: Watched, served: Served) -> None:
    tab = open_page(page, served.url + "/?build=parallel-stages:final", "#runs-table")
    wait_idle(tab)
    cold = served.refs["parallel-stages/cold.rawjson"]
    cached = served.refs["parallel-stages/cached.rawjson"]
    for ref in (cold, cached):
        tab.locator(f"#runs-table tr:has(a[href='/build/{ref}']) input[type=checkbox]").check()
    button = tab.locator("#runs-compare")
    tab.wait_for_function("!document.querySelector('#runs-compare').classList.contains('disabled')")
    button.click()
    tab.wait_for_url("**/compare?*")
    query = parse_qs(urlparse(tab.url).query)
    assert {query["a"][0], query["b"][0]} == {cold, cached}
    tab.locator("#compare-content .barlayer .point path").first.wait_for()
    wait_idle(tab)
    assert tab.get_by_text("Per-stage change (busy time)").is_visible()
    page.shot("compare")

    # Another run for A, from the picker: the URL and the comparison follow.
    other = served.refs["one-line-layout/cold.rawjson"]
    tab.locator("#compare-a").click()
    tab.locator("[role=listbox] [role=option]").filter(
        has=tab.locator(f"input[value='{other}']")
    ).click()
    tab.wait_for_url(f"**/compare?a={other}*")
    wait_idle(tab)
    assert tab.locator("#compare-content").is_visible()


def test_trends_page_marks_the_regression(page: Watched, served: Served) -> None:
    tab = open_page(
        page, served.url + "/trends?build=app&branch=main", "#trends-runs .scatterlayer"
    )
    wait_idle(tab)
    names = tab.evaluate(
        "() => document.querySelector('#trends-runs .js-plotly-plot').data.map(t => t.name)"
    )
    assert "regression" in names
    assert tab.locator("text=Regressions (1)").is_visible()
    page.shot("trends")


def test_navigation_between_pages(page: Watched, served: Served) -> None:
    tab = open_page(page, served.url + "/", "#runs-table")
    tab.locator("nav a", has_text="Trends").click()
    tab.wait_for_selector("#trends-runs, .empty")
    tab.locator("nav a", has_text="Compare").click()
    tab.wait_for_selector("#compare-a")
    tab.locator("nav a", has_text="Runs").click()
    tab.wait_for_selector("#runs-table")
    tab.goto(served.url + "/build/999999")
    tab.get_by_text("Not found").wait_for()
    wait_idle(tab)


def test_a_step_named_like_html_is_shown_as_text(page: Watched, served: Served) -> None:
    ref = served.refs["xss"]
    tab = open_page(page, f"{served.url}/build/{ref}", "#gantt .barlayer .point path")
    wait_idle(tab)
    # The name is on the page as text (critical path table, slowest steps, chart labels)…
    assert tab.get_by_text(XSS_NAME, exact=True).first.is_visible()
    # …and never became an element.
    assert tab.locator("img[src='x']").count() == 0
    x, y = bar_center(tab, "gantt", "sha256:evil")
    tab.mouse.move(x, y)
    tab.mouse.click(x, y)
    panel = tab.locator("#step-panel")
    panel.locator("pre").wait_for()
    assert panel.locator(".step-name").inner_text() == XSS_NAME
    assert XSS_LOG.strip() in panel.locator("pre").inner_text()
    assert tab.locator("script:has-text('alert(2)')").count() == 0
    tab.wait_for_timeout(300)  # a handler, had one been attached, would have fired by now
    page.shot("xss")
    assert page.dialogs == []


# -- a big build: 5,000 steps ----------------------------------------------------------

MAX_RESPONSE_BYTES = 1_000_000
"""No view of the dashboard may send more than this in one response (the page's own
scripts aside: plotly.js is a static file, cached by the browser)."""


@pytest.fixture(scope="module")
def served_big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on one generated 5,000-step stream (logs kept small: the graph
    is what makes the payloads big)."""
    from benchmarks.generate_stream import generate

    path = tmp_path_factory.mktemp("big") / "big.rawjson"
    generate(path, steps=5000, megabytes=6.0)
    with serving(create_app(None, [path])) as url:
        yield url


def test_a_5000_step_build_opens_on_its_stages_with_bounded_responses(
    page: Watched, served_big: str
) -> None:
    sizes: dict[str, int] = {}

    def on_response(response: Any) -> None:
        if "/_dash-update-component" in response.url or "/_dash-layout" in response.url:
            body = response.body()
            key = f"{response.url.rsplit('/', 1)[-1][:40]} #{len(sizes)}"
            sizes[key] = len(body)

    page.page.on("response", on_response)
    tab = open_page(page, served_big + "/build/f1", "#gantt .barlayer .point path")
    wait_idle(tab)
    rows = tab.evaluate("() => document.querySelector('#gantt .js-plotly-plot').data[0].y.length")
    assert 200 < rows < 250  # one row a stage (212), not 5,000 steps
    assert "was waiting, not working" in tab.locator("#waiting").inner_text()
    # The suggestions sit above the timeline.
    suggestions = tab.locator("#suggestions").bounding_box()
    timeline = tab.locator("#gantt").bounding_box()
    assert suggestions is not None and timeline is not None
    assert suggestions["y"] < timeline["y"]
    page.shot("big-stages")

    def bars() -> int:
        return int(
            tab.evaluate(
                """() => document.querySelector('#gantt .js-plotly-plot').data
                    .filter(t => t.customdata).reduce((n, t) => n + t.customdata.length, 0)"""
            )
        )

    tab.get_by_text("critical path only").click()
    tab.wait_for_function(
        "document.querySelector('#gantt .gtitle').textContent.startsWith('Critical')"
    )
    wait_idle(tab)
    critical = bars()
    assert 0 < critical < 1000
    tab.get_by_text("50 slowest steps").click()
    tab.wait_for_function(
        "document.querySelector('#gantt .gtitle').textContent.startsWith('The 50')"
    )
    wait_idle(tab)
    assert bars() == 50
    page.shot("big-slowest")
    # "every step" is not offered for 5,000 steps: it says why.
    every = tab.locator("#timeline-view input[value=all]")
    assert every.is_disabled()
    assert "not over 1,500" in tab.locator("#timeline-view").inner_text()

    # Back to the stages; a click on a stage's bar opens its steps.
    tab.get_by_text("stages", exact=True).click()
    tab.wait_for_function(
        "document.querySelector('#gantt .gtitle').textContent.includes('stages:')"
    )
    wait_idle(tab)
    stage = tab.evaluate(
        "() => document.querySelector('#gantt .js-plotly-plot').data[0].customdata[5]"
    )
    x, y = bar_center(tab, "gantt", stage)
    tab.mouse.move(x, y)
    tab.mouse.click(x, y)
    name = stage.removeprefix("stage:")
    tab.wait_for_function(
        f"document.querySelector('#gantt .gtitle').textContent.startsWith('Stage {name}:')"
    )
    wait_idle(tab)
    assert 0 < bars() <= 400
    assert tab.locator("#timeline-view input[value=stage]").is_checked()
    page.shot("big-stage")
    assert sizes, "no response was measured"
    biggest = max(sizes.values())
    assert biggest < MAX_RESPONSE_BYTES, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


# -- layout: narrow screens, sorting, the compare button -------------------------------


@pytest.mark.parametrize(
    ("name", "path", "ready"),
    [
        ("runs", "/?build=app", "#runs-table"),
        ("build", "/build/{failing}", "#gantt .barlayer .point path"),
        ("compare", "/compare?a={cold}&b={cached}", "#compare-content .barlayer .point path"),
        ("trends", "/trends?build=app", "#trends-runs .scatterlayer"),
    ],
)
def test_every_page_fits_a_390_px_screen(
    browser: Browser, served: Served, name: str, path: str, ready: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        url = served.url + path.format(
            failing=served.refs["failing-test/failed.rawjson"],
            cold=served.refs["parallel-stages/cold.rawjson"],
            cached=served.refs["parallel-stages/cached.rawjson"],
        )
        tab.goto(url)
        tab.wait_for_selector(ready, state="visible")
        wait_idle(tab)
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width} px wide at 390 px"
        # Wide tables scroll inside their card instead.
        boxes = tab.evaluate(
            """() => [...document.querySelectorAll('.table-scroll')].map(
                box => box.getBoundingClientRect().right)"""
        )
        assert all(right <= 390 for right in boxes)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    finally:
        context.close()


def test_a_click_on_a_header_sorts_the_table(page: Watched, served: Served) -> None:
    tab = open_page(page, served.url + "/?build=app", "#runs-table")
    wait_idle(tab)

    def walls() -> list[float]:
        return [
            float(value)
            for value in tab.evaluate(
                """() => [...document.querySelectorAll('#runs-table tbody tr td:nth-child(6)')]
                    .map(td => td.getAttribute('data-sort'))"""
            )
        ]

    header = tab.locator("#runs-table th").nth(5)  # "wall"
    header.click()
    assert walls() == sorted(walls(), reverse=True)
    header.click()
    assert walls() == sorted(walls())
    # The rows moved whole: a ticked box stays with its run.
    slowest = tab.locator("#runs-table tbody tr").last
    slowest.locator("input[type=checkbox]").check()
    tab.wait_for_function(
        "document.querySelector('#runs-compare-why').textContent === 'tick one more run'"
    )


def test_a_disabled_compare_button_says_why(page: Watched, served: Served) -> None:
    tab = open_page(page, served.url + "/?build=app", "#runs-table")
    wait_idle(tab)
    why = tab.locator("#runs-compare-why")
    assert why.inner_text() == "tick two runs to compare them"
    boxes = tab.locator("#runs-table tbody input[type=checkbox]")
    for index in range(3):
        boxes.nth(index).check()
    tab.wait_for_function(
        "document.querySelector('#runs-compare-why').textContent.startsWith('3 runs')"
    )
    assert "disabled" in (tab.locator("#runs-compare").get_attribute("class") or "")
    boxes.nth(2).uncheck()
    tab.wait_for_function("document.querySelector('#runs-compare-why').textContent === ''")
    assert "disabled" not in (tab.locator("#runs-compare").get_attribute("class") or "")


DETAILS_MS = 60_000


def test_a_two_platform_build_has_its_platform_card(page: Watched, served: Served) -> None:
    ref = served.refs["multi-platform/cold.rawjson"]
    tab = open_page(page, f"{served.url}/build/{ref}", "#gantt .barlayer .point path")
    # The card comes with the page's second response (below the timeline): on a busy
    # machine that one takes a while.
    tab.wait_for_selector("#platform-card #platform-table", state="visible", timeout=DETAILS_MS)
    wait_idle(tab)
    rows = tab.locator("#platform-table tbody tr")
    first_cells = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert first_cells == ["linux/386", "linux/amd64", "(shared)"]
    # The steps, grouped by platform: one trace a platform, each drawn in the page.
    names = tab.evaluate(
        """() => document.querySelector('#platform-graph .js-plotly-plot').data
                 .map(trace => [trace.name, trace.customdata.length])"""
    )
    assert [name for name, _ in names] == ["linux/386", "linux/amd64", "shared"]
    assert dict(names) == {"linux/386": 10, "linux/amd64": 12, "shared": 4}
    assert tab.locator("#platform-graph .barlayer .point path").count() == 26
    # The stage table keeps the two platforms' stages apart.
    stages = tab.locator("#stage-table").inner_text()
    assert "linux/386 compile" in stages and "linux/amd64 compile" in stages
    tab.locator("#platform-card").scroll_into_view_if_needed()
    page.shot("build-multi-platform")


def test_a_single_platform_build_has_no_platform_card(page: Watched, served: Served) -> None:
    ref = served.refs["parallel-stages/cold.rawjson"]
    tab = open_page(page, f"{served.url}/build/{ref}", "#gantt .barlayer .point path")
    tab.wait_for_selector("#stage-table", state="visible", timeout=DETAILS_MS)
    wait_idle(tab)
    assert tab.locator("#platform-card").count() == 0
