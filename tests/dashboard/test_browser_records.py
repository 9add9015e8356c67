"""Docker's build records in the dashboard, in a real browser (headless Chromium): the
failure card of a failed record names ``Dockerfile:13`` and shows the excerpt; a
record's stage table has its layer sizes. The app serves just the two records."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.app import create_app
from tests.dashboard.conftest import SAMPLES
from tests.dashboard.serving import serving
from tests.dashboard.test_browser import (  # noqa: F401  (fixtures)
    Watched,
    browser,
    open_page,
    page,
    wait_idle,
)

FILES = [
    SAMPLES / "failing-test" / "modern" / "failed.dockerbuild",
    SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild",
]


@pytest.fixture(scope="module")
def served_records() -> Iterator[str]:
    with serving(create_app(None, FILES)) as url:
        yield url


def test_the_failure_card_shows_the_failed_line_and_the_stage_table_sizes(
    page: Watched,  # noqa: F811
    served_records: str,
) -> None:
    tab = open_page(page, f"{served_records}/build/f1", "#gantt .barlayer .point path")
    wait_idle(tab)
    failure = tab.locator(".failure")
    assert tab.locator("#failure-location").inner_text() == "Dockerfile:13"
    assert "  13 | >>> RUN sh ./tests/run-tests.sh" in failure.inner_text()
    page.shot("record-failure")

    tab = open_page(page, f"{served_records}/build/f2", "#gantt .barlayer .point path")
    wait_idle(tab)
    tab.wait_for_selector("#stage-table", state="visible")
    headers = tab.locator("#stage-table th").all_inner_texts()
    assert headers[-1].strip().startswith("layers")
    final = tab.locator("#stage-table tr", has_text="final").first.locator("td").all_inner_texts()
    assert final[-1].strip() == "568 B"
    page.shot("record-sizes")
