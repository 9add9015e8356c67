"""Schema versions: migrations build exactly the current schema, and an old database
(made by the version 1 migration, with data) upgrades without losing anything."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, inspect, text

from profiler.store import Store, StoreError
from profiler.store import migrations as migrations_module
from profiler.store.engine import database_url, make_engine
from profiler.store.migrations import LATEST, current_version, upgrade
from profiler.store.schema import metadata
from tests.store.builds import app_build
from tests.store.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = make_engine(database_url(db_url))
    yield made
    made.dispose()


@pytest.fixture
def other_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    url, name = create_postgres_database()
    yield url
    drop_postgres_database(name)


def describe_schema(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    described: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        described[table] = {
            "columns": [
                (c["name"], type(c["type"]).__name__, c["nullable"])
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return described


def test_migrations_build_exactly_the_current_schema(engine: Engine, other_url: str) -> None:
    # GIVEN one database migrated step by step, another made from schema.py
    assert upgrade(engine) == 0
    direct = make_engine(database_url(other_url))
    try:
        metadata.create_all(direct)
        # THEN both have the same tables, columns, keys and indexes
        assert describe_schema(engine) == describe_schema(direct)
    finally:
        direct.dispose()
    with engine.connect() as connection:
        assert current_version(connection) == LATEST


def _insert_v1_run(engine: Engine, labels: dict[str, str]) -> None:
    """A run as kitprof at schema version 1 stored it (labels as JSON on the run)."""
    now = datetime(2026, 1, 2, 3, 4, 5)
    values = {
        "stream_sha256": "ab" * 32,
        "stream_bytes": 10,
        "started_at": now,
        "ingested_at": now,
        "analyzed_at": now,
        "derived_version": 1,
        "status": "success",
        "truncated": False,
        "wall_seconds": 12.5,
        "sequential_seconds": 20.0,
        "critical_path_seconds": 12.0,
        "lower_bound_seconds": 11.0,
        "parallelism": 1.6,
        "vertex_count": 3,
        "cache_steps": 2,
        "cached_steps": 1,
        "executed_steps": 1,
        "cache_hit_ratio": 0.5,
        "git_branch": "main",
        "labels": orjson.dumps(labels).decode(),
    }
    columns = ", ".join(values)
    placeholders = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO runs ({columns}) VALUES ({placeholders})"), values)


def test_a_version_1_database_upgrades_with_its_data(engine: Engine, db_url: str) -> None:
    # GIVEN a database made by the first schema version, holding a labelled run
    upgrade(engine, target=1)
    _insert_v1_run(engine, {"arch": "arm64", "runner": "small"})
    with engine.connect() as connection:
        assert current_version(connection) == 1
        assert not inspect(connection).has_table("run_labels")
    # WHEN kitprof opens it
    with Store(db_url) as store:
        # THEN it is at the latest version, and the run and its labels are there
        [record] = store.runs(labels={"arch": "arm64"})
        assert record.labels == {"arch": "arm64", "runner": "small"}
        assert record.wall_seconds == 12.5 and record.git_branch == "main"
        # … and it works as a new database does
        assert store.ingest(app_build().one_line()).created
        assert store.count() == 2
    with engine.connect() as connection:
        assert current_version(connection) == LATEST
        assert "labels" not in {c["name"] for c in inspect(connection).get_columns("runs")}


def test_a_newer_database_is_refused(engine: Engine, db_url: str) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE kitprof_schema SET version = :v"), {"v": LATEST + 1})
    with pytest.raises(StoreError, match="newer than this kitprof knows"):
        Store(db_url)


def test_a_database_with_foreign_tables_is_not_touched(engine: Engine, db_url: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)"))
    with pytest.raises(StoreError, match="'runs' table that kitprof did not make"):
        Store(db_url)


def test_every_migration_is_listed_in_order() -> None:
    assert [step.__name__ for step in migrations_module.MIGRATIONS] == [
        f"_v{number}" for number in range(1, LATEST + 1)
    ]
