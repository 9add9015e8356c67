"""The host-usage strip in a real browser (Debian's Chromium under Playwright).

A small app of its own serves the CPU-bound record and its rawjson stream: the
record's Build page draws the strip under the timeline with its legend; the stream's
says in one line that it has no samples. Fixtures (the browser, the watched page
that fails on any console error) are test_browser.py's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.app import create_app
from tests.dashboard import test_browser
from tests.dashboard.conftest import SAMPLES
from tests.dashboard.serving import serving
from tests.dashboard.test_browser import Watched, open_page, wait_idle

# test_browser's fixtures: the browser, and a page that fails on any console error.
browser = test_browser.browser
page = test_browser.page

CPU_BOUND = SAMPLES / "cpu-bound" / "modern"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = create_app(None, [CPU_BOUND / "cold.dockerbuild", CPU_BOUND / "cold.rawjson"])
    with serving(app) as served:
        yield served


def test_the_strip_renders_under_the_timeline_with_its_legend(page: Watched, url: str) -> None:
    tab = open_page(page, f"{url}/build/f1", "#gantt .barlayer .point path")
    wait_idle(tab)
    legend = tab.evaluate(
        "() => [...document.querySelectorAll('#gantt .legend2 .legend2text')]"
        ".map(node => node.textContent)"
    )
    assert any(text.startswith("CPU busy (% of 2 cores)") for text in legend), legend
    assert any(text.startswith("memory used (% of") for text in legend), legend
    assert any(text.startswith("CPU-bound") for text in legend), legend
    # The strip's lines are drawn below the bars, on the same time axis.
    boxes = tab.evaluate(
        """() => {
            const gd = document.querySelector('#gantt .js-plotly-plot');
            const area = (name) => gd.querySelector(`.draglayer .${name} .nsewdrag`);
            const bars = area('xy').getBoundingClientRect();
            const box = area('x2y2').getBoundingClientRect();
            const lines = gd.querySelectorAll('.subplot.x2y2 .scatterlayer .js-line');
            return {bars: [bars.left, bars.bottom, bars.width], strip: [box.left, box.top,
                    box.width], lines: lines.length,
                    xtitles: [...gd.querySelectorAll('.g-x2title, .g-xtitle')]
                        .map(n => n.textContent)};
        }"""
    )
    assert boxes["lines"] >= 3
    bars_left, bars_bottom, bars_width = boxes["bars"]
    strip_left, strip_top, strip_width = boxes["strip"]
    assert strip_top >= bars_bottom
    assert strip_left == pytest.approx(bars_left, abs=1) and strip_width == pytest.approx(
        bars_width, abs=1
    )
    assert "seconds from build start" in boxes["xtitles"]
    page.shot("build-host-usage")


def test_a_stream_without_samples_says_so_in_one_line(page: Watched, url: str) -> None:
    tab = open_page(page, f"{url}/build/f2", "#gantt .barlayer .point path")
    note = tab.locator(".host-usage-note")
    note.wait_for()
    assert "No host usage" in note.inner_text()
    assert tab.locator("#gantt .x2y2").count() == 0
