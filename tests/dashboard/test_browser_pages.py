"""The dashboard in Chromium, second part: a build's own page, a history run's
suggestions from its kept Dockerfile, and two 5,000-step builds in the history (the
Build page drawn from stored rows first, the minimap, Compare), with every response
measured. Screenshots of each page at 1440 and 390 px go to ``test-artifacts/dashboard/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dashboard import data
from dashboard.app import create_app, make_catalog
from profiler.store import RunContext, Store
from tests.dashboard import test_browser as shared
from tests.dashboard.conftest import SAMPLES, fill_history
from tests.dashboard.serving import serving
from tests.dashboard.test_browser import ARTIFACTS, TIMEOUT_MS, Watched, open_page, wait_idle

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

MIB = 1024 * 1024
# The browser and a watched tab, as the first part's tests have them (pytest registers
# a fixture under its own name, whatever the name it is bound to here).
browser = shared.browser
page = shared.page


@dataclass
class History:
    url: str
    secret: str
    """A run stored from Docker's record: its Dockerfile came with it."""
    plain: str
    """A run stored from a stream alone: no Dockerfile known."""
    big: tuple[str, str]
    """Two runs of a 5,000-step build."""
    db: str


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    from benchmarks.generate_stream import generate

    folder = tmp_path_factory.mktemp("pages")
    db = f"sqlite:///{folder / 'history.db'}"
    fill_history(db)  # build "app": 14 runs, the newest failed
    stream = folder / "big.rawjson"
    generate(stream, steps=5000, megabytes=6.0)
    raw = stream.read_bytes()
    with Store(db) as store:
        (secret,) = store.ingest_builds(SAMPLES / "secret-mount/modern/secret.dockerbuild")
        (plain,) = store.ingest_builds(SAMPLES / "parallel-stages/cold.rawjson")
        # The same build twice (a byte appended: another run), as a monorepo's CI has it.
        big = [
            store.ingest(raw + b"\n" * copy, context=RunContext(build_name="monorepo")).run_id
            for copy in (1, 2)
        ]
    with serving(create_app(db, [], warm=True)) as url:
        yield History(url, str(secret.run_id), str(plain.run_id), (str(big[0]), str(big[1])), db)


class Responses:
    """Every response a page received: its body's size as sent and as decoded."""

    def __init__(self, tab: Page) -> None:
        self.seen: list[tuple[str, int, int, str | None]] = []
        tab.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        response = request.response()
        if response is None or response.status != 200:
            return
        sizes = request.sizes()
        encoding = response.headers.get("content-encoding")
        self.seen.append((request.url, sizes["responseBodySize"], len(response.body()), encoding))

    def largest_sent(self) -> tuple[str, int]:
        url, sent, _, _ = max(self.seen, key=lambda seen: seen[1])
        return url, sent

    def largest_data(self) -> tuple[str, int]:
        """The largest answer of the server's own (layout, callbacks), decoded."""
        data = [s for s in self.seen if "/_dash-" in s[0]]
        url, _, body, _ = max(data, key=lambda seen: seen[2])
        return url, body


def narrow(browser: Browser, url: str, ready: str, name: str) -> None:
    """The page at 390 px: no wider than the screen; a screenshot to look at."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS * 3)
    try:
        tab.goto(url)
        tab.wait_for_selector(ready, state="attached")
        wait_idle(tab)
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width} px wide at 390 px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    finally:
        context.close()


def test_a_builds_own_page_from_the_runs_page(
    page: Watched, history: History, browser: Browser
) -> None:
    tab = open_page(page, history.url + "/?build=app", "#runs-table")
    wait_idle(tab)
    tab.locator("#runs-home").click()
    tab.wait_for_url("**/builds/app")
    tab.wait_for_selector("#home-runs .scatterlayer .point", state="attached")
    wait_idle(tab)
    # Its runs over time: wall, critical path and cache hits, one point a run.
    traces = tab.evaluate(
        "() => document.querySelector('#home-runs .js-plotly-plot').data"
        ".map(t => [t.name, t.x.length])"
    )
    assert dict(traces) == {"critical path": 14, "wall": 14, "cached steps (%)": 14}
    # Its stages over time, and its last failure linked, near the top.
    tab.wait_for_selector("#home-stages .scatterlayer", state="attached")
    failure = tab.locator("#home-failure")
    assert "Last failure" in failure.inner_text()
    failure_box = failure.bounding_box()
    chart_box = tab.locator("#home-runs").bounding_box()
    assert failure_box is not None and chart_box is not None
    assert failure_box["y"] < chart_box["y"]
    page.shot("build-home")
    failure.locator("a").first.click()
    tab.wait_for_url("**/build/*")
    tab.wait_for_selector(".card.failure")
    wait_idle(tab)
    # And back from the run's page to its build's page.
    tab.locator("a", has_text="the build's page").click()
    tab.wait_for_url("**/builds/app")
    tab.wait_for_selector("#home-runs")
    narrow(browser, history.url + "/builds/app", "#home-runs .scatterlayer", "build-home")


def test_a_history_runs_suggestions_use_its_kept_dockerfile(
    page: Watched, history: History
) -> None:
    # Stored from Docker's record: the Dockerfile came with it, so the diff shows.
    tab = open_page(page, f"{history.url}/build/{history.secret}", "#gantt .barlayer .point path")
    suggestion = tab.locator("#suggestions .suggestion").first
    suggestion.wait_for()
    wait_idle(tab)
    assert suggestion.locator("pre.diff .add").count() > 0
    # The words on waiting sit above the timeline, with the suggestions.
    gap = tab.locator("#waiting").bounding_box()
    chart = tab.locator("#gantt").bounding_box()
    assert gap is not None and chart is not None and gap["y"] < chart["y"]
    page.shot("build-history-dockerfile")
    # A stream alone: the page says what is missing and how to give it.
    tab.goto(f"{history.url}/build/{history.plain}")
    tab.wait_for_selector("#suggestions p")
    wait_idle(tab)
    text = tab.locator("#suggestions").inner_text()
    assert "No Dockerfile is known for this run" in text
    assert "--dockerfile" in text


def test_a_5000_step_history_build_draws_from_its_rows_and_has_a_minimap(
    page: Watched, history: History, browser: Browser
) -> None:
    tab = page.page
    tab.set_default_timeout(TIMEOUT_MS * 6)
    responses = Responses(tab)
    ref = history.big[0]
    tab.goto(f"{history.url}/build/{ref}")
    # First the stages from the history's rows (the stream is still being read)…
    tab.wait_for_selector(
        "#gantt-quick .barlayer .point path, #gantt .barlayer .point path", state="attached"
    )
    # …then the whole page in its place.
    tab.wait_for_selector("#gantt .barlayer .point path", state="attached")
    wait_idle(tab)
    assert tab.locator("#gantt-quick").count() == 0
    rows = tab.evaluate("() => document.querySelector('#gantt .js-plotly-plot').data[0].y.length")
    assert 200 < rows < 250  # one row a stage
    assert "was waiting, not working" in tab.locator("#waiting").inner_text()

    # The minimap: the whole build in miniature above the timeline; a drag across it
    # zooms the timeline to that stretch of time, a double click shows it whole again.
    def gantt_range() -> list[float]:
        return [
            float(value)
            for value in tab.evaluate(
                "() => document.querySelector('#gantt .js-plotly-plot')._fullLayout.xaxis.range"
            )
        ]

    whole = gantt_range()
    overview = tab.locator("#timeline-overview .nsewdrag").first
    overview.scroll_into_view_if_needed()
    box = overview.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    tab.mouse.move(box["x"] + box["width"] * 0.25, y)
    tab.mouse.down()
    tab.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    tab.mouse.up()
    tab.wait_for_function(
        f"""() => document.querySelector('#gantt .js-plotly-plot')
            ._fullLayout.xaxis.range[1] < {whole[1] * 0.8}"""
    )
    low, high = gantt_range()
    # The overview stays whole; its selection is the stretch the timeline shows.
    picked = tab.evaluate(
        """() => { const gd = document.querySelector('#timeline-overview .js-plotly-plot');
            return [gd._fullLayout.xaxis.range, gd._fullLayout.selections[0]]; }"""
    )
    assert [float(x) for x in picked[0]] == pytest.approx(whole, rel=0.05)
    chosen = sorted((float(picked[1]["x0"]), float(picked[1]["x1"])))
    assert (low, high) == pytest.approx(chosen, rel=1e-3)
    assert whole[0] < low < high < whole[1]
    page.shot("big-history-zoomed")
    tab.mouse.dblclick(box["x"] + box["width"] * 0.4, y)
    tab.wait_for_function(
        f"""() => document.querySelector('#gantt .js-plotly-plot')
            ._fullLayout.xaxis.range[1] > {high * 1.2}"""
    )
    page.shot("big-history")
    url, sent = responses.largest_sent()
    assert sent <= MIB, (url, sent)
    url, body = responses.largest_data()
    assert body <= MIB, (url, body)
    # plotly.js: the basic bundle, compressed; never the full one.
    scripts = {Path(s[0].split("?")[0]).name: s for s in responses.seen}
    assert "plotly.min.js" not in scripts
    assert scripts["plotly-basic.min.js"][3] == "gzip"
    narrow(browser, f"{history.url}/build/{history.big[1]}", "#gantt .barlayer", "big-history")


QUICK_CHART = """() => {
    const gd = document.querySelector('#gantt-quick .js-plotly-plot');
    const bar = gd.querySelector('.barlayer .point path').getBoundingClientRect();
    return {rows: gd.data[0].y, range: gd._fullLayout.xaxis.range, bar: bar.height,
            bottom: gd.getBoundingClientRect().bottom, screen: window.innerHeight};
}"""


@pytest.mark.parametrize("width, height", [(1440, 1000), (390, 844)])
def test_the_quick_build_page_draws_a_screen_of_stages_then_the_rest_as_it_scrolls(
    browser: Browser, history: History, width: int, height: int
) -> None:
    # A server of its own: no run read yet, whichever test ran first.
    with serving(create_app(history.db, [], warm=True)) as url:
        context = browser.new_context(viewport={"width": width, "height": height})
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS * 3)
        errors: list[str] = []
        tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
        held: list[Any] = []

        def hold_the_whole_page(route: Any) -> None:
            """The whole page's request never answers: the quick page stays."""
            if "build-full.children" in (route.request.post_data or ""):
                held.append(route)
            else:
                route.continue_()

        tab.route(lambda url: "/_dash-update-component" in url, hold_the_whole_page)
        try:
            ref = history.big[0]
            tab.goto(f"{url}/build/{ref}")
            tab.wait_for_selector("#gantt-quick .barlayer .point path", state="attached")
            quick = data.quick_build(make_catalog(history.db, []), ref)
            assert quick is not None
            stages = [stage for stage in quick[1] if stage.start is not None]
            first = tab.evaluate(QUICK_CHART)
            # A screen of rows, not every stage: they reach below the window's bottom.
            assert 30 < len(first["rows"]) < len(stages)
            assert first["bottom"] > first["screen"]
            tab.screenshot(path=str(ARTIFACTS / f"big-history-quick-{width}.png"))
            tab.wait_for_timeout(1000)  # two of the page's looks at the scroll position
            assert tab.evaluate(QUICK_CHART)["rows"] == first["rows"]  # not scrolled yet
            # To the end of the page, and of the chart's scroll box.
            tab.evaluate(
                """() => { window.scrollTo(0, document.body.scrollHeight);
                    const box = document.querySelector('#gantt-quick').closest('.scroll');
                    box.scrollTop = box.scrollHeight; }"""
            )
            tab.wait_for_function(
                f"() => document.querySelector('#gantt-quick .js-plotly-plot')"
                f".data[0].y.length === {len(stages)}"
            )
            every = tab.evaluate(QUICK_CHART)
            assert every["rows"][: len(first["rows"])] == first["rows"]
            # Drawn as the first rows were: the same time axis, the same bars.
            assert every["range"] == first["range"]
            assert every["bar"] == pytest.approx(first["bar"], abs=0.5)
            assert tab.evaluate("document.documentElement.scrollWidth") <= width
            assert held  # the whole page was asked for, and never came
            assert not errors
        finally:
            context.close()


def test_comparing_two_5000_step_builds_stays_small(
    page: Watched, history: History, browser: Browser
) -> None:
    tab = page.page
    tab.set_default_timeout(TIMEOUT_MS * 6)
    responses = Responses(tab)
    a, b = history.big
    tab.goto(f"{history.url}/compare?a={a}&b={b}")
    tab.wait_for_selector("#compare-content .barlayer .point path", state="attached")
    wait_idle(tab)
    bars = tab.evaluate(
        """() => [...document.querySelectorAll('#compare-content .js-plotly-plot')]
            .map(gd => gd.data.reduce((n, t) => n + (t.customdata || []).length, 0))"""
    )
    assert 0 < max(bars) <= 2 * 150  # the most changed steps, A's and B's bar
    text = tab.locator("#compare-content").inner_text()
    assert "steps whose time changed most" in text
    assert "The 25 of 212 stages whose busy time changed most" in text
    url, body = responses.largest_data()
    assert body <= MIB, (url, body)
    url, sent = responses.largest_sent()
    assert sent <= MIB, (url, sent)
    page.shot("big-compare")
    narrow(
        browser,
        f"{history.url}/compare?a={a}&b={b}",
        "#compare-content .barlayer .point path",
        "big-compare",
    )
