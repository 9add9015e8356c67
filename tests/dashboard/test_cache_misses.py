"""The Compare page says why the cache missed: as a layout tree, and in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import data
from dashboard.app import create_app
from dashboard.layout.compare import compare_page
from dashboard.sources import Catalog, StoreSource
from profiler.store import store_run
from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE
from tests.analysis.test_cachemiss import ALL, FILES, manifest, stream
from tests.analysis.test_cachemiss import DOCKERFILE as TEXT
from tests.dashboard.serving import serving
from tests.dashboard.test_browser import (  # noqa: F401 - fixtures used by name
    Watched,
    browser,
    open_page,
    page,
    wait_idle,
)
from tests.dashboard.test_layout import texts


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two runs of one build: B changed app/util.c, which COPY app/ takes."""
    folder = tmp_path_factory.mktemp("whycache")
    url = f"sqlite:///{folder / 'history.db'}"
    for name, cached, files, tag in (
        ("a", ALL, FILES, ""),
        ("b", {2}, {**FILES, "app/util.c": "edited"}, "b"),
    ):
        path = folder / f"{name}.rawjson"
        path.write_bytes(stream(cached, tag=tag).one_line())
        store_run(
            path,
            {"command": ["docker", "buildx", "build", "."]},
            db_url=url,
            files={DOCKERFILE: TEXT.encode(), CONTEXT_MANIFEST: manifest(files).to_json()},
        )
    return url


def test_the_compare_page_lists_the_cause_and_the_changed_file(history: str) -> None:
    catalog = Catalog([StoreSource(history)])
    view = data.compare_view(catalog, "1", "2")
    found = texts(compare_page(data.run_options(catalog), "1", "2", view))
    assert "Why the cache missed" in found
    assert "line 5: [3/6] COPY app/ ./app/" in found
    assert "modified: app/util.c" in found
    assert "context" in found


@pytest.fixture(scope="module")
def served(history: str) -> Iterator[str]:
    with serving(create_app(history, [])) as url:
        yield url


def test_chromium_shows_why_the_cache_missed(page: Watched, served: str) -> None:  # noqa: F811
    tab = open_page(page, served + "/compare?a=1&b=2", ".cache-misses")
    wait_idle(tab)
    box = tab.locator(".cache-misses")
    assert box.get_by_text("Why the cache missed").is_visible()
    assert box.get_by_text("modified: app/util.c").is_visible()
    assert "line 5: [3/6] COPY app/ ./app/" in box.inner_text()
    box.scroll_into_view_if_needed()
    path: Path = page.shot("compare-cache-misses")
    assert path.stat().st_size > 0
