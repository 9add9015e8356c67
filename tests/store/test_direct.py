"""The direct SQLite reader of ``kitprof trends`` (:mod:`profiler.store.direct`) returns
exactly what the Store returns, and leaves to the Store every history it cannot read
as the Store would (PostgreSQL, an old schema, runs without packed figures, errors)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from benchmarks.history import context_of, synthetic_stream
from profiler.analysis.trends import trends
from profiler.cli import app
from profiler.cli import trends as trends_cli
from profiler.store import SCHEMA_VERSION, Store, direct, migrations, run_context
from profiler.store.direct import TrendHistory, trend_history
from profiler.store.location import sqlite_file
from profiler.store.schema import runs
from tests.store.builds import app_build

RUNS = 12


@pytest.fixture
def history(tmp_path: Path) -> Iterator[Path]:
    """A SQLite history made by the real ``Store.ingest``: 12 runs of a 10-stage build
    on several branches (some labelled arm64), and runs of a small build with other
    stages and an ``arch=amd64`` label, one of them failed."""
    path = tmp_path / "history.db"
    with Store(str(path)) as store:
        for index in range(RUNS):
            store.ingest(synthetic_stream(index), context=context_of(index))
            if index % 5 == 2:
                small = app_build(at=index * 600.0 + 5, fail=index == 2)
                store.ingest(small.one_line(), context=run_context(labels={"arch": "amd64"}))
    yield path


def _through_store(db: str, **case: Any) -> TrendHistory:
    with Store(db) as store:
        build = case.pop("build", None)
        if build is None:
            build = store.newest_build(branch=case.get("branch"), labels=case.get("labels"))
        return TrendHistory(store.url, build, store.history(build=build, **case))


def _directly(monkeypatch: pytest.MonkeyPatch, db: str, **case: Any) -> TrendHistory:
    """``trend_history`` that fails the test if it opens the Store."""

    def no_store(*_: object, **__: object) -> None:
        raise AssertionError("fell back to the Store")

    with monkeypatch.context() as patch:
        patch.setattr("profiler.store.store.Store.__init__", no_store)
        return trend_history(db, **case)


CASES: list[dict[str, Any]] = [
    {},
    {"limit": 5},
    {"branch": "main"},
    {"branch": "main", "limit": 3},
    {"labels": {"arch": "arm64"}},
    {"labels": {"arch": "amd64"}},
    {"stage": "stage-03"},
    {"stage": "no-such-stage", "limit": 4},
    {"branch": "no-such-branch"},
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_direct_read_is_the_stores(
    history: Path, monkeypatch: pytest.MonkeyPatch, case: dict[str, Any]
) -> None:
    for db in (str(history), f"sqlite:///{history}"):
        direct_read = _directly(monkeypatch, db, **case)
        stored = _through_store(db, **case)
        assert direct_read == stored
        stage = case.get("stage")
        assert trends(direct_read.runs, stage=stage) == trends(stored.runs, stage=stage)
        assert trends(direct_read.runs, window=3) == trends(stored.runs, window=3)
    # the cases read something (or nothing, for the branch no run is on)
    assert (len(direct_read.runs) == 0) == (case.get("branch") == "no-such-branch")


def test_every_build_and_the_default_database(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(str(history)) as store:
        names = [summary.name for summary in store.builds()]
    assert len(names) == 3  # the synthetic build, and the small one with and without a step
    for name in names:
        assert _directly(monkeypatch, str(history), build=name) == _through_store(
            str(history), build=name
        )
    # $KITPROF_DB, as the Store reads it
    monkeypatch.setenv("KITPROF_DB", str(history))
    assert _directly(monkeypatch, None, limit=4) == _through_store("", limit=4)


def test_the_url_shown_is_the_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KITPROF_DATA_DIR", str(tmp_path / "data"))
    for db in ("h.db", "./h.db", "sqlite:///h.db", "sqlite:///./h.db",
               f"sqlite:///{tmp_path}/h.db", f"sqlite:///{tmp_path}//h.db", None):  # fmt: skip
        file = sqlite_file(db)
        assert file is not None
        with Store(db) as store:
            assert file[1] == store.url, db
            assert file[0].resolve() == Path(store.sa_url.database or "").resolve()
    for db in ("postgresql://u@localhost/db", "sqlite://", "sqlite:///h.db?mode=ro",
               "sqlite:///h%20.db"):  # fmt: skip
        assert sqlite_file(db) is None


@pytest.mark.parametrize(
    "why",
    ["schema", "newer schema", "unpacked", "missing file", "not a history"],
)
def test_what_it_cannot_read_the_store_reads(
    history: Path, monkeypatch: pytest.MonkeyPatch, why: str, tmp_path: Path
) -> None:
    db = str(history)
    calls: list[str | None] = []
    real = Store.__init__

    def counted(self: Store, opened: str | None = None) -> None:
        calls.append(opened)
        real(self, opened)

    monkeypatch.setattr(Store, "__init__", counted)
    if why == "schema":
        # queries written for a later schema: this history needs a migration first
        monkeypatch.setattr(direct, "SCHEMA", SCHEMA_VERSION + 1)
    if why == "newer schema":
        with sqlite3.connect(history) as connection:
            connection.execute("UPDATE kitprof_schema SET version = ?", (SCHEMA_VERSION + 1,))
    if why == "unpacked":
        with Store(db) as store, store._engine.begin() as connection:
            connection.execute(update(runs).where(runs.c.id % 2 == 0).values(stage_figures=None))
        calls.clear()
    if why == "missing file":
        db = str(tmp_path / "new" / "history.db")
        (tmp_path / "new").mkdir()
    if why == "not a history":
        db = str(tmp_path / "other.db")
        with sqlite3.connect(db) as connection:
            connection.execute("CREATE TABLE runs (x)")

    if why == "newer schema":
        with pytest.raises(Exception, match="newer than this kitprof knows"):
            trend_history(db)
        assert calls == [db]
        return
    if why == "not a history":
        with pytest.raises(Exception, match="'runs' table that kitprof did not make"):
            trend_history(db)
        assert calls == [db]
        return
    read = trend_history(db)
    assert calls == [db]
    assert read == _through_store(db)
    if why == "unpacked":
        assert read.runs  # read, from the stage rows
    if why == "missing file":
        assert read.runs == [] and Path(db).is_file()  # made by the Store, as before


def test_a_sqlite3_error_falls_back(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a file the sqlite3 module refuses (not a database at all)
    history.write_bytes(b"not a database" * 100)
    # THEN the direct reader gives up and the Store reports it as it always has
    with pytest.raises(Exception, match="history database"):
        trend_history(str(history))


def test_the_queries_are_written_for_the_latest_schema() -> None:
    # A new migration must look at profiler/store/queries.py (and then bump SCHEMA).
    assert SCHEMA_VERSION == migrations.LATEST


@pytest.mark.parametrize(
    "args",
    [
        ("--last", "0", "--json"),
        ("--last", "0"),
        (
            "--top",
            "2",
        ),
    ],
)
def test_kitprof_trends_reads_a_sqlite_history_without_sqlalchemy(
    history: Path, args: tuple[str, ...]
) -> None:
    # WHEN the real process runs (it reads directly, and ends without the teardown)
    env = {**os.environ, "KITPROF_DB": str(history), "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "profiler", "trends", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:")}  # fmt: skip
    assert "profiler.store.direct" in modules and "sqlalchemy" not in modules
    # nor the model of a build and its analysis: a trend reads the history's figures
    assert not {"profiler.model", "profiler.analysis.overview", "profiler.analysis.cache"} & modules
    # THEN it says what the command says in-process, all of it, and exits 0
    in_process = CliRunner().invoke(app, ["trends", *args], env=env)
    assert in_process.exit_code == 0 and result.returncode == 0
    assert result.stdout == in_process.stdout
    assert len(result.stdout) > 500


def test_the_command_keeps_what_it_read_to_the_end_of_the_process(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command hands the history it read, the trend and the JSON document to main(),
    # which ends the process without freeing them (profiler.cli.app.exit_without_freeing).
    handed: list[tuple[object, ...]] = []
    monkeypatch.setattr(trends_cli, "exit_without_freeing", lambda *kept: handed.append(kept))
    env = {"KITPROF_DB": str(history), "COLUMNS": "120"}
    outputs = []
    for args in (["--json"], ["--branch", "main"]):
        result = CliRunner().invoke(app, ["trends", *args], env=env)
        assert result.exit_code == 0
        outputs.append(result.stdout)
    (read, trend, document), (read_main, trend_main) = handed
    assert isinstance(read, TrendHistory) and trend.runs == tuple(read.runs)
    assert isinstance(document, dict) and trend_main.runs == tuple(read_main.runs)
    assert set(json.loads(outputs[0])) == set(document)  # the document that was printed
