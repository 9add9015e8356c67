"""Runs for the dashboard tests: the sample builds, a small history, a hostile stream.

The history is a real SQLite store filled through ``Store.ingest``: one Dockerfile
(build ``app``) built hourly on ``main`` (one run much slower: a regression), two runs on
``develop`` and a failed one, so that every page has something to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.files import FileSource, load_files
from dashboard.sources import Catalog, StoreSource
from tests.store.builds import app_build, history_streams
from tests.streams import Stream

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_builds"
SAMPLE_FILES = sorted(SAMPLES.glob("*/*.rawjson"))
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_LOG = "<script>alert(2)</script> all done\n"
MAIN_RUNS = 10


def xss_stream() -> Stream:
    """A build whose step name and logs are HTML that must never run."""
    return (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:from", "[base 1/2] FROM docker.io/library/alpine:3", 0.1, 0.2)
        .step("sha256:evil", XSS_NAME, 0.2, 2.2, inputs=["sha256:from"])
        .log("sha256:evil", XSS_LOG, 2.0)
        .step("sha256:export", "exporting to image", 2.2, 2.5, inputs=["sha256:evil"])
    )


def fill_history(url: str) -> None:
    from profiler.store import RunContext, Store, run_context

    def context(branch: str, index: int, arch: str) -> RunContext:
        return run_context(
            {
                "git": {"branch": branch, "commit": f"{index:040x}"},
                "context": "/src/app",
                "command": "docker buildx build .",
            },
            labels={"arch": arch},
        )

    with Store(url) as store:
        for index, raw in enumerate(history_streams(MAIN_RUNS)):
            store.ingest(raw, context=context("main", index, "amd64"))
        slow = app_build(at=MAIN_RUNS * 3600.0, slow=9.0).one_line()
        store.ingest(slow, context=context("main", MAIN_RUNS, "amd64"))
        for offset, extra in enumerate((False, True)):
            raw = app_build(at=(MAIN_RUNS + 1 + offset) * 3600.0, extra_step=extra).one_line()
            ctx = context("develop", 100 + offset, "arm64")
            store.ingest(raw, context=ctx)
        failed = app_build(at=(MAIN_RUNS + 3) * 3600.0, fail=True).one_line()
        store.ingest(failed, context=context("main", 200, "amd64"))


HISTORY_RUNS = MAIN_RUNS + 4


@pytest.fixture(scope="session")
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A filled SQLite history (14 runs), made once per test session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}"
    fill_history(url)
    return url


@pytest.fixture(scope="session")
def xss_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xss") / "xss.rawjson"
    path.write_bytes(xss_stream().one_line())
    return path


@pytest.fixture(scope="session")
def sample_source() -> FileSource:
    return load_files(SAMPLE_FILES)


@pytest.fixture
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's KITPROF_DB out of tests that decide on it."""
    monkeypatch.delenv("KITPROF_DB", raising=False)


@pytest.fixture
def catalog(history_url: str, sample_source: FileSource) -> Iterator[Catalog]:
    """History and samples together, as ``kitprof dashboard --db URL FILES`` shows."""
    history = StoreSource(history_url)
    catalog = Catalog([history, sample_source])
    yield catalog
    catalog.close()


@pytest.fixture
def files_catalog(sample_source: FileSource) -> Catalog:
    return Catalog([sample_source])
