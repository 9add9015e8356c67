"""Files kept with a run (schema v5, ``run_files``), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from profiler.sources import read_build
from profiler.store import RunNotFound, Store
from profiler.store.context import RunContext
from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE, RECORD
from tests.store.builds import history_streams

DOCKERFILE_TEXT = b"FROM base AS build\nRUN make\n"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


def test_files_given_at_ingest_are_stored_with_the_run(store: Store) -> None:
    stream = history_streams(1)[0]
    result = store.ingest(stream, context=RunContext(files={DOCKERFILE: DOCKERFILE_TEXT}))
    assert store.file(result.run_id, DOCKERFILE) == DOCKERFILE_TEXT
    assert store.file(result.run_id, CONTEXT_MANIFEST) is None
    assert store.file_names(result.run_id) == [DOCKERFILE]


def test_a_second_ingest_of_the_same_stream_does_not_replace_its_files(store: Store) -> None:
    stream = history_streams(1)[0]
    first = store.ingest(stream, context=RunContext(files={DOCKERFILE: DOCKERFILE_TEXT}))
    again = store.ingest(stream, context=RunContext(files={DOCKERFILE: b"FROM other\n"}))
    assert not again.created and again.run_id == first.run_id
    assert store.file(first.run_id, DOCKERFILE) == DOCKERFILE_TEXT


def test_attach_adds_and_replaces_files_of_a_stored_run(store: Store) -> None:
    run_id = store.ingest(history_streams(1)[0]).run_id
    store.attach(run_id, {DOCKERFILE: b"FROM a\n", RECORD: b"PK\x03\x04zip"})
    store.attach(run_id, {DOCKERFILE: b"FROM b\n"})
    assert store.file(run_id, DOCKERFILE) == b"FROM b\n"
    assert store.file(run_id, RECORD) == b"PK\x03\x04zip"
    assert store.file_names(run_id) == [RECORD, DOCKERFILE]


def test_attach_refuses_unknown_names_and_runs(store: Store) -> None:
    run_id = store.ingest(history_streams(1)[0]).run_id
    with pytest.raises(ValueError, match="not a file kitprof keeps"):
        store.attach(run_id, {"notes.txt": b"x"})
    with pytest.raises(RunNotFound):
        store.attach(run_id + 1000, {DOCKERFILE: b"FROM a\n"})


SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"


def test_a_build_records_dockerfile_is_kept_with_its_run(store: Store) -> None:
    # GIVEN Docker's record of a build (.dockerbuild), whose provenance holds the Dockerfile
    record = SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild"
    build = read_build(record)
    assert build.record is not None and build.record.dockerfile_text
    # WHEN it is ingested with no Dockerfile given
    (result,) = store.ingest_builds(record)
    # THEN the Dockerfile is kept with the run, as the build read it
    assert store.file(result.run_id, DOCKERFILE) == build.record.dockerfile_text.encode()


def test_a_dockerfile_given_wins_over_the_records(store: Store) -> None:
    record = SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild"
    given = RunContext(files={DOCKERFILE: DOCKERFILE_TEXT})
    (result,) = store.ingest_builds(record, context=given)
    assert store.file(result.run_id, DOCKERFILE) == DOCKERFILE_TEXT


def test_a_stream_without_a_record_keeps_no_dockerfile(store: Store) -> None:
    (result,) = store.ingest_builds(SAMPLES / "secret-mount" / "secret.rawjson")
    assert store.file_names(result.run_id) == []
