"""A log of several builds in the history: each build its own run, stored once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from profiler.sources import SeveralBuilds, read_builds
from profiler.store import Store

LOGS = Path(__file__).resolve().parents[2] / "sample_builds" / "plain-logs"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


@pytest.fixture
def two_builds(tmp_path: Path) -> Path:
    """Two real plain logs one after the other, as a CI job with two builds writes."""
    path = tmp_path / "job.log"
    path.write_bytes(
        (LOGS / "parallel-stages.plain").read_bytes() + (LOGS / "failing-test.plain").read_bytes()
    )
    return path


def test_each_build_is_its_own_run_labelled_and_read_back(store: Store, two_builds: Path) -> None:
    # WHEN a log of two builds is ingested
    first, second = store.ingest_builds(two_builds)
    # THEN two runs, numbered and labelled, each reading back as its own build
    assert first.created and second.created and first.run_id != second.run_id
    assert (first.build_index, second.build_index) == (1, 2)
    expected = read_builds(two_builds)
    for result, build in zip((first, second), expected, strict=True):
        record = store.run(result.run_id)
        assert record.build_index == result.build_index
        assert record.labels["build"] == (build.name or str(result.build_index))
        assert [s.name for s in store.build(result.run_id)] == [s.name for s in build]
    assert store.run(first.run_id).status == "success"
    assert store.run(second.run_id).status == "failed"


def test_ingesting_the_same_log_again_stores_nothing_new(store: Store, two_builds: Path) -> None:
    before = store.ingest_builds(two_builds)
    again = store.ingest_builds(two_builds)
    assert [r.run_id for r in again] == [r.run_id for r in before]
    assert not any(r.created for r in again)
    assert store.count() == 2
    # One build picked by number is the run stored already.
    [picked] = store.ingest_builds(two_builds, build="2")
    assert picked.run_id == before[1].run_id and not picked.created


def test_one_run_asked_of_several_stores_nothing(store: Store, two_builds: Path) -> None:
    with pytest.raises(SeveralBuilds, match="--build"):
        store.ingest(two_builds)
    assert store.count() == 0
    result = store.ingest(two_builds, build="1")
    assert result.created and result.build_index == 1 and store.count() == 1


def test_reanalyze_reads_each_run_s_own_build(store: Store, two_builds: Path) -> None:
    first, second = store.ingest_builds(two_builds)
    wall = {r.run_id: store.run(r.run_id).wall_seconds for r in (first, second)}
    assert store.reanalyze().reanalyzed == 2
    assert {r.run_id: store.run(r.run_id).wall_seconds for r in (first, second)} == wall
