"""The store on both backends: ingest, idempotency, raw streams, queries, reanalyze."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update

from profiler.ci import CIInfo
from profiler.errors import StreamError
from profiler.store import RunNotFound, Store, StoreError, run_context, store_run
from profiler.store import store as store_module
from profiler.store.schema import run_labels, run_streams, runs, stages, steps
from tests.store.builds import app_build, history_streams


def table_counts(store: Store) -> dict[str, int]:
    with store.connection() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (runs, run_streams, run_labels, stages, steps)
        }


@pytest.fixture
def store(db_url: str) -> Store:
    with Store(db_url) as opened:
        yield opened  # type: ignore[misc]


def test_ingest_keeps_the_analysis_context_and_labels(store: Store) -> None:
    # GIVEN a build with CI and run metadata
    ci = CIInfo(
        provider="gitlab-ci",
        job="build",
        run_id="991",
        run_url="https://ci.example/p/-/jobs/5",
        branch="feature/x",
        commit="c0ffee",
    )
    run_info = {
        "command": ["docker", "buildx", "build", "--progress=rawjson", "."],
        "context": "/src/app",
        "git": {"commit": "c0ffee", "branch": None, "dirty": False},
        "host": {"hostname": "runner-7", "cpu_count": 8, "cpus_available": 2},
        "docker": {"server_version": "27.3.1", "buildx_version": "v0.17.1", "driver": "docker"},
        "kitprof_version": "0.1.0",
    }
    context = run_context(run_info, ci=ci, labels={"arch": "amd64", "runner": "large"})
    # WHEN it is ingested
    result = store.ingest(app_build().one_line(), context=context, source_name="build.rawjson")
    # THEN the run carries the analysis, the context and the labels
    assert result.created
    [record] = store.runs()
    assert record.id == result.run_id
    assert record.status == "success"
    assert record.wall_seconds == pytest.approx(5.2)
    assert record.critical_path_seconds == pytest.approx(5.2)
    assert record.sequential_seconds == pytest.approx(6.2)
    assert record.cache_steps == 4 and record.cached_steps == 0  # FROM is not counted
    assert record.command == "docker buildx build --progress=rawjson ."
    assert record.context == "/src/app"
    assert (record.git_branch, record.git_commit) == ("feature/x", "c0ffee")
    assert (record.ci_provider, record.ci_run_id, record.ci_job) == ("gitlab-ci", "991", "build")
    assert record.ci_run_url == "https://ci.example/p/-/jobs/5"
    assert (record.host, record.cores) == ("runner-7", 2)
    assert (record.docker_version, record.buildx_version, record.driver) == (
        "27.3.1",
        "v0.17.1",
        "docker",
    )
    assert record.labels == {"arch": "amd64", "runner": "large"}
    assert record.source == "build.rawjson"
    assert record.started_at.isoformat() == "2026-03-01T12:00:00+00:00"
    counts = table_counts(store)
    assert counts == {"runs": 1, "run_streams": 1, "run_labels": 2, "stages": 6, "steps": 7}


def test_the_same_stream_twice_is_one_run_even_gzipped(store: Store, tmp_path: Path) -> None:
    raw = app_build().indented()
    first = store.ingest(raw)
    again = store.ingest(raw, context=run_context(labels={"other": "label"}))
    zipped = tmp_path / "build.rawjson.gz"
    zipped.write_bytes(gzip.compress(raw))
    from_gzip = store.ingest(zipped)
    assert first.created and not again.created and not from_gzip.created
    assert first.run_id == again.run_id == from_gzip.run_id
    assert first.sha256 == again.sha256 == from_gzip.sha256
    assert table_counts(store)["runs"] == 1
    # Labels given again are added to the stored run, and said so (see below).
    assert again.labels_added == {"other": "label"}
    assert store.run(first.run_id).labels == {"other": "label"}


def test_labels_given_again_are_added_unless_one_contradicts_the_run(store: Store) -> None:
    raw = app_build().one_line()
    first = store.ingest(raw, context=run_context(labels={"arch": "amd64"}))
    assert first.created and first.labels_added == {} and first.labels_refused == {}
    # The same labels again: nothing to add, nothing refused.
    same = store.ingest(raw, context=run_context(labels={"arch": "amd64"}))
    assert (same.created, same.labels_added, same.labels_refused) == (False, {}, {})
    # A new key is added to the stored run.
    more = store.ingest(raw, context=run_context(labels={"arch": "amd64", "runner": "r1"}))
    assert more.run_id == first.run_id and more.labels_added == {"runner": "r1"}
    assert store.run(first.run_id).labels == {"arch": "amd64", "runner": "r1"}
    # One contradicting label: none of the given labels is added, the run is unchanged.
    clash = store.ingest(raw, context=run_context(labels={"arch": "arm64", "os": "linux"}))
    assert clash.labels_added == {} and clash.labels_refused == {"arch": ("arm64", "amd64")}
    assert store.run(first.run_id).labels == {"arch": "amd64", "runner": "r1"}
    # The same through add_labels (what ingest --from-history uses for a stored record).
    assert store.add_labels(first.run_id, {"os": "linux"}) == ({"os": "linux"}, {})
    assert store.add_labels(first.run_id, {"os": "mac"}) == ({}, {"os": ("mac", "linux")})
    with pytest.raises(RunNotFound):
        store.add_labels(first.run_id + 100, {"os": "linux"})


def test_the_raw_stream_is_kept_byte_for_byte_and_compressed(store: Store) -> None:
    raw = app_build().text("WARNING: something odd").indented()
    run_id = store.ingest(raw).run_id
    assert store.stream(run_id) == raw
    with store.connection() as connection:
        stored = connection.execute(select(run_streams.c.data)).scalar_one()
    assert len(stored) < len(raw)
    assert store.build(run_id).messages == ("WARNING: something odd",)


def test_failed_builds_are_stored_with_their_status(store: Store) -> None:
    record = store.run(store.ingest(app_build(fail=True).one_line()).run_id)
    assert record.status == "failed"
    assert record.failed_step == "[slow 1/1] RUN make slow"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"this is not a build log\nat all\n", "nothing stored"),
        (b'{"vertexes": [{"digest": "sha256:a", "name": "[1/2] RUN x", "star', "first event"),
        (app_build().one_line()[:-40], "cut off inside an event"),
    ],
    ids=["empty", "garbage", "cut-in-first-event", "truncated"],
)
def test_bad_input_stores_nothing_and_says_why(
    store: Store, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.rawjson"
    path.write_bytes(content)
    with pytest.raises(StreamError, match=reason):
        store.ingest(path)
    assert set(table_counts(store).values()) == {0}


def test_a_truncated_stream_can_be_kept_as_incomplete(store: Store) -> None:
    cut = app_build().one_line()[:-40]
    with pytest.raises(StreamError, match="cut off"):
        store.ingest(cut)
    record = store.run(store.ingest(cut, allow_truncated=True).run_id)
    assert record.status == "incomplete" and record.truncated


def test_a_failure_inside_the_transaction_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the step rows fail to insert after the run, stream and stage rows went in
    original = store_module.insert_rows

    def broken(connection, run_id, derived, labels):  # type: ignore[no-untyped-def]
        original(connection, run_id, derived, labels)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_module, "insert_rows", broken)
    with pytest.raises(RuntimeError):
        store.ingest(app_build().one_line(), context=run_context(labels={"a": "b"}))
    # THEN no half of the run is visible
    assert set(table_counts(store).values()) == {0}
    monkeypatch.undo()
    assert store.ingest(app_build().one_line()).created


def test_runs_are_newest_first_and_filter_by_branch_label_and_status(store: Store) -> None:
    for index, raw in enumerate(history_streams(6)):
        branch = "main" if index % 2 == 0 else "dev"
        store.ingest(
            raw, context=run_context({"git": {"branch": branch}}, labels={"n": str(index)})
        )
    store.ingest(app_build(at=99_000, fail=True).one_line(), context=run_context(labels={}))
    listed = store.runs()
    assert [r.started_at for r in listed] == sorted((r.started_at for r in listed), reverse=True)
    assert [r.labels.get("n") for r in store.runs(branch="main")] == ["4", "2", "0"]
    assert [r.labels["n"] for r in store.runs(labels={"n": "3"})] == ["3"]
    assert store.runs(labels={"n": "3"}, branch="main") == []
    assert [r.status for r in store.runs(status="failed")] == ["failed"]
    assert len(store.runs(limit=2)) == 2
    assert store.count() == 7 and store.count(branch="dev") == 3


def test_run_references(store: Store) -> None:
    ids = [store.ingest(raw).run_id for raw in history_streams(3)]
    assert store.resolve("latest").id == ids[-1]
    assert store.resolve("latest~2").id == ids[0]
    assert store.resolve(str(ids[1])).id == ids[1]
    for bad in ("latest~3", "999", "yesterday", "latest~x"):
        with pytest.raises(RunNotFound):
            store.resolve(bad)


def test_history_is_oldest_first_and_stops_before_a_run(store: Store) -> None:
    ids = [store.ingest(raw).run_id for raw in history_streams(8)]
    store.ingest(app_build(at=50_000, fail=True).one_line())
    history = store.history()
    assert [m.run_id for m in history] == ids  # the failed run is not comparable
    assert [m.run_id for m in store.history(limit=3)] == ids[-3:]
    before = store.run(ids[5])
    assert [m.run_id for m in store.history(before=before, limit=2)] == ids[3:5]
    only_slow = store.history(stage="slow", limit=1)[0]
    assert set(only_slow.stages) == {"slow"}
    assert only_slow.stages["slow"].busy_seconds == pytest.approx(3.0 + 0.1 * 0.3)
    assert store.metrics(ids[0]).stages.keys() == history[0].stages.keys()


def test_reanalyze_rebuilds_every_derived_row(store: Store) -> None:
    # GIVEN runs whose derived rows were damaged (or made by an older analysis)
    ids = [
        store.ingest(raw, context=run_context(labels={"k": "v"})).run_id
        for raw in history_streams(3)
    ]
    before = table_counts(store)
    expected = store.runs()
    with store._engine.begin() as connection:
        connection.execute(update(runs).values(wall_seconds=0.0, status="bogus"))
        connection.execute(stages.delete())
        connection.execute(steps.delete().where(steps.c.run_id == ids[0]))
    # WHEN reanalysed
    result = store.reanalyze()
    # THEN the rows are as the first analysis made them; labels and context kept
    assert result.reanalyzed == 3 and result.failures == ()
    assert table_counts(store) == before
    after = store.runs()
    assert [(r.wall_seconds, r.status, r.labels) for r in after] == [
        (r.wall_seconds, r.status, r.labels) for r in expected
    ]
    with pytest.raises(RunNotFound):
        store.reanalyze([12345])


def test_store_run_reads_the_run_file_next_to_the_stream(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUILDKITE", "true")
    monkeypatch.setenv("BUILDKITE_BRANCH", "release")
    monkeypatch.setenv("BUILDKITE_BUILD_NUMBER", "42")
    stream = tmp_path / "build.rawjson"
    stream.write_bytes(app_build().one_line())
    (tmp_path / "build.rawjson.run.json").write_bytes(
        orjson.dumps({"command": ["docker", "build", "."], "git": {"commit": "abc"}})
    )
    result = store_run(stream, None, {"team": "web"}, db_url)
    with Store(db_url) as store:
        record = store.run(result.run_id)
    assert record.command == "docker build ."
    assert (record.git_commit, record.git_branch) == ("abc", "release")
    assert (record.ci_provider, record.ci_run_id) == ("buildkite", "42")
    assert record.labels == {"team": "web"}
    assert not store_run(stream, None, {}, db_url).created


def test_a_missing_sqlite_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(str(tmp_path / "no" / "such" / "history.db"))


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the history database"):
        Store(str(path))


def test_an_unreachable_postgres_server_is_a_clear_error() -> None:
    # Port 9 (discard) is closed on loopback: the connection is refused at once.
    with pytest.raises(StoreError) as caught:
        Store("postgresql://someone:secret@127.0.0.1:9/history")
    message = str(caught.value)
    assert "cannot open the history database postgresql://someone:***@127.0.0.1:9/history" in (
        message
    )
    assert "refused" in message.lower()
    assert "secret" not in message


def test_unsupported_urls_are_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        Store("mysql://root@localhost/x")


def test_the_default_database_is_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KITPROF_DB", raising=False)
    monkeypatch.delenv("KITPROF_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with Store() as store:
        assert store.url == f"sqlite:///{tmp_path / 'data' / 'kitprof' / 'history.db'}"
    monkeypatch.setenv("KITPROF_DATA_DIR", str(tmp_path / "kitprof"))
    with Store() as store:
        assert store.url == f"sqlite:///{tmp_path / 'kitprof' / 'history.db'}"
    monkeypatch.setenv("KITPROF_DB", str(tmp_path / "env.db"))
    with Store() as store:
        assert store.url == f"sqlite:///{tmp_path / 'env.db'}"


def test_status_of_interrupted_builds(store: Store) -> None:
    # Ctrl-C: buildx cancels the running steps and prints a cancellation.
    cancelled = (
        app_build()
        .vertex("sha256:late", "[final 3/3] RUN late", started=9.0, completed=9.5,
                error="context canceled")
        .text("ERROR: failed to solve: Canceled: context canceled")
    )  # fmt: skip
    # SIGKILL of the whole process group: steps were left running, nothing more said.
    killed = app_build().vertex("sha256:late", "[final 3/3] RUN late", started=9.0)
    assert store.run(store.ingest(cancelled.one_line()).run_id).status == "cancelled"
    assert store.run(store.ingest(killed.one_line()).run_id).status == "incomplete"


def test_store_runs_keeps_a_run_per_compose_service_each_with_its_files(
    db_url: str, tmp_path: Path
) -> None:
    from profiler.sources import read_builds
    from profiler.store import store_runs
    from profiler.store.files import RECORD

    folder = Path(__file__).resolve().parents[2] / "sample_builds" / "compose-services" / "modern"
    stream = tmp_path / "compose.rawjson"
    stream.write_bytes((folder / "compose.rawjson").read_bytes())
    record = (folder / "compose.dockerbuild").read_bytes()
    info = {"command": ["docker", "compose", "build"], "context": "/src/shop"}
    results = store_runs(stream, info, {}, db_url, files={RECORD: record})
    assert [r.build_name for r in results] == ["api", "web", "worker"]
    assert all(r.created for r in results)
    with Store(db_url) as store:
        runs = [store.run(r.run_id) for r in results]
        assert [r.build_name for r in runs] == ["shop:api", "shop:web", "shop:worker"]
        assert [r.labels["build"] for r in runs] == ["api", "web", "worker"]
        for result in results:
            assert store.file(result.run_id, RECORD) == record
            assert store.build(result.run_id).name == result.build_name
        assert store.reanalyze().failures == ()
    assert [r.run_id for r in store_runs(stream, info, {}, db_url)] == [
        r.run_id for r in results
    ]  # the same stream again: the same runs
    assert sorted(b.name or "" for b in read_builds(record)) == ["api", "web", "worker"]
