"""Every store test runs on SQLite and on a real PostgreSQL server.

``scripts/test`` starts the server (``scripts/setup-postgres``) and exports its URL as
``KITPROF_TEST_POSTGRES_URL`` with ``KITPROF_REQUIRE_POSTGRES=1``: then a missing
server fails the PostgreSQL cases instead of skipping them. Each test gets a database
of its own (a fresh schema on the server), created for it and dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str:
    url = os.environ.get("KITPROF_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    if os.environ.get("KITPROF_REQUIRE_POSTGRES") == "1":
        pytest.fail("KITPROF_TEST_POSTGRES_URL is not set: run scripts/setup-postgres first")
    pytest.skip("no PostgreSQL server: set KITPROF_TEST_POSTGRES_URL (scripts/setup-postgres)")


def _sa(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _admin_execute(statement: str) -> None:
    engine = create_engine(_sa(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def create_postgres_database() -> tuple[str, str]:
    """A new, empty schema on the test server: ``(url, name)``.

    A schema, not a database: it is as empty and as separate for kitprof (every name
    it uses is unqualified and resolves through ``search_path``), and it takes
    milliseconds to make where ``CREATE DATABASE`` takes most of a second.
    """
    name = f"kitprof_t_{uuid.uuid4().hex[:16]}"
    _admin_execute(f'CREATE SCHEMA "{name}"')
    url = make_url(postgres_admin_url()).update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    _admin_execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty history database on ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    url, name = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)
