"""The runs the dashboard can show: files in memory, the history store, both joined."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from dashboard.files import FileSource, load_files
from dashboard.sources import (
    LRU,
    Catalog,
    RunFilters,
    StoreSource,
    UnknownRun,
)
from profiler.errors import KitprofError
from tests.dashboard.conftest import HISTORY_RUNS, SAMPLE_FILES, SAMPLES, fill_history
from tests.store.conftest import create_postgres_database, drop_postgres_database


def test_files_are_numbered_in_the_order_given_and_listed_newest_first(
    sample_source: FileSource,
) -> None:
    assert len(sample_source) == len(SAMPLE_FILES)
    assert sample_source.run(1).source == str(SAMPLE_FILES[0])
    listed = sample_source.runs(RunFilters(), limit=100)
    moments = [record.started_at for record in listed]
    assert moments == sorted(moments, reverse=True)
    assert sample_source.count(RunFilters(status="failed")) == sum(
        1 for record in listed if record.status == "failed"
    )


def test_a_file_record_has_the_numbers_the_store_would_keep(sample_source: FileSource) -> None:
    index = SAMPLE_FILES.index(SAMPLES / "failing-test" / "failed.rawjson") + 1
    record = sample_source.run(index)
    assert record.status == "failed"
    assert record.failed_step is not None and "run-tests.sh" in record.failed_step
    assert record.vertex_count == len(sample_source.build(index))
    assert record.wall_seconds == pytest.approx(sample_source.analysis(index).wall_seconds)
    # Its folder has the Dockerfile: suggestions get lines and diffs.
    assert sample_source.dockerfile(index) is not None


def test_the_same_stream_twice_is_one_run(tmp_path: Path) -> None:
    first = SAMPLES / "parallel-stages" / "cold.rawjson"
    copy = tmp_path / "copy.rawjson"
    shutil.copy(first, copy)
    gzipped = SAMPLES / "parallel-stages" / "cold.rawjson.gz"
    source = load_files([first, copy, gzipped])
    assert len(source) == 1
    assert source.dockerfile(1) is not None
    assert load_files([copy]).dockerfile(1) is None  # nothing beside it


def test_each_build_of_a_log_is_a_run_unless_build_picks_one(tmp_path: Path) -> None:
    logs = SAMPLES / "plain-logs"
    job = tmp_path / "job.log"
    job.write_bytes(
        (logs / "parallel-stages.plain").read_bytes() + (logs / "failing-test.plain").read_bytes()
    )
    every = load_files([job, job])  # given twice: still two runs, not four
    assert len(every) == 2
    assert [every.run(n).build_index for n in (1, 2)] == [1, 2]
    assert (every.run(1).status, every.run(2).status) == ("success", "failed")
    assert every.run(2).labels["build"] == "2"  # the failed build exported no image
    picked = load_files([job], build="2")
    assert len(picked) == 1 and picked.run(1).status == "failed"
    catalog = Catalog([every])
    assert catalog.run("f2").label == "f2 job.log (build 2)"


def test_a_bad_file_fails_with_its_name(tmp_path: Path) -> None:
    empty = tmp_path / "empty.rawjson"
    empty.write_bytes(b"")
    with pytest.raises(KitprofError, match=r"empty\.rawjson"):
        load_files([empty])
    with pytest.raises(KitprofError, match="missing"):
        load_files([tmp_path / "missing.rawjson"])


def test_run_info_beside_a_stream_gives_branch_and_labels(tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    shutil.copy(SAMPLES / "parallel-stages" / "cold.rawjson", stream)
    (tmp_path / "build.rawjson.run.json").write_text(
        '{"git": {"branch": "main", "commit": "abc123"}}'
    )
    source = load_files([stream])
    assert source.run(1).git_branch == "main"
    assert source.branches() == ["main"]
    assert source.count(RunFilters(branch="main")) == 1
    assert source.count(RunFilters(branch="develop")) == 0
    assert [m.git_branch for m in source.history(RunFilters(), limit=None)] == ["main"]


def test_catalog_merges_sources_newest_first(catalog: Catalog) -> None:
    total = catalog.count(RunFilters())
    assert total == HISTORY_RUNS + len(SAMPLE_FILES)
    everything = catalog.runs(RunFilters(), limit=total)
    moments = [run.record.started_at for run in everything]
    assert moments == sorted(moments, reverse=True)
    assert {run.source for run in everything} == {"history", "files"}
    # Pages of the merge are slices of the whole.
    assert catalog.runs(RunFilters(), limit=7, offset=5) == everything[5:12]
    refs = [run.ref for run in everything]
    assert len(set(refs)) == total
    assert "1" in refs and "f1" in refs


def test_catalog_filters_apply_to_every_source(catalog: Catalog) -> None:
    develop = catalog.runs(RunFilters(branch="develop"), limit=50)
    assert [run.record.git_branch for run in develop] == ["develop", "develop"]
    arm = catalog.count(RunFilters(labels={"arch": "arm64"}))
    assert arm == 2
    assert catalog.branches() == ["develop", "main"]
    assert ("arch", "amd64") in catalog.labels()


def test_refs_resolve_to_their_source(catalog: Catalog) -> None:
    history, files = catalog.sources
    assert catalog.resolve("3") == (history, 3)
    assert catalog.resolve("f2") == (files, 2)
    assert catalog.run("f2").record.source == str(SAMPLE_FILES[1])
    assert catalog.run("f2").label.startswith("f2 ")
    assert catalog.run("3").label == "#3"
    for bad in ("x3", "f", "", "f1x", "999999", f"f{len(SAMPLE_FILES) + 1}"):
        with pytest.raises(UnknownRun):
            catalog.build(bad)


def test_builds_from_the_store_are_cached(catalog: Catalog) -> None:
    first = catalog.build("2")
    assert catalog.build("2") is first
    assert first[1].wall_seconds == pytest.approx(catalog.run("2").record.wall_seconds)


def test_history_is_oldest_first_with_refs(catalog: Catalog) -> None:
    history = catalog.history(RunFilters(branch="main"), limit=None)
    refs = [ref for ref, _ in history]
    assert refs == [str(n) for n in range(1, 12)]  # the failed run is left out
    assert len(catalog.history(RunFilters(), limit=5)) == 5


def test_the_catalog_refuses_two_sources_with_one_prefix(sample_source: FileSource) -> None:
    with pytest.raises(ValueError, match="prefix"):
        Catalog([sample_source, sample_source])


def test_lru_keeps_the_recent_and_makes_each_value_once_when_asked_in_turn() -> None:
    cache: LRU[str, int] = LRU(2)
    made: list[str] = []

    def maker(key: str) -> int:
        made.append(key)
        return len(made)

    for key in ("a", "b", "a", "c", "b"):
        cache.get(key, lambda key=key: maker(key))  # type: ignore[misc]
    assert made == ["a", "b", "c", "b"]  # "b" fell out when "c" came (a was newer)


def test_lru_is_safe_under_threads() -> None:
    cache: LRU[int, int] = LRU(4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for index in range(200):
                assert cache.get(index % 6, lambda i=index: i % 6) == index % 6  # type: ignore[misc]
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_store_source_on_both_backends(backend: str, tmp_path: Path) -> None:
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'history.db'}"
    else:
        url, name = create_postgres_database()
    try:
        fill_history(url)
        source = StoreSource(url)
        try:
            assert source.count(RunFilters()) == HISTORY_RUNS
            assert source.branches() == ["develop", "main"]
            assert source.labels() == [("arch", "amd64"), ("arch", "arm64")]
            assert len(source.runs(RunFilters(status="failed"), limit=10)) == 1
            assert len(source.build(1)) > 0
            assert source.dockerfile(1) is None
            with pytest.raises(UnknownRun):
                source.run(10_000)
        finally:
            source.close()
    finally:
        if name is not None:
            drop_postgres_database(name)


def test_a_bad_history_url_fails_at_once() -> None:
    with pytest.raises(KitprofError):
        StoreSource("mysql://nobody@nowhere/db")
