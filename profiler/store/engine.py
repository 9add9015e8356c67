"""Database URLs, engines and transactions that survive concurrent writers.

SQLite is the embedded default (one file in the user's data directory); PostgreSQL,
through psycopg 3, serves a team's shared history. Both are reached through one
SQLAlchemy engine whose transactions behave the same for the store:

- **SQLite**: WAL journal (readers never block the writer), ``busy_timeout`` so a
  writer waits for another instead of failing, and write transactions opened with
  ``BEGIN IMMEDIATE``: a deferred transaction that reads first and writes later can
  fail with "database is locked" *without* waiting, when another writer got there in
  between. Retries with backoff cover whatever still slips through.
- **PostgreSQL**: plain READ COMMITTED transactions; uniqueness races are settled by
  ``ON CONFLICT`` and serialization failures or deadlocks are retried.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from profiler.redaction import redact_urls
from profiler.store.errors import StoreError
from profiler.store.location import chosen_db, default_sqlite_path

SQLITE_BUSY_TIMEOUT_SECONDS = 60.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
WRITE_ATTEMPTS = 8

T = TypeVar("T")


def database_url(db: str | None = None) -> URL:
    """The SQLAlchemy URL of ``db``: a URL, a SQLite file path, or the default.

    ``postgresql://`` and ``postgres://`` select psycopg 3 (SQLAlchemy's own default
    driver, psycopg2, is not a dependency); a value without ``://`` is a file path.
    """
    db = chosen_db(db)
    if db is None:
        from profiler.capture.paths import make_private_dir

        path = default_sqlite_path()
        make_private_dir(path.parent)
        return URL.create("sqlite", database=str(path))
    if "://" not in db:
        return URL.create("sqlite", database=str(Path(db).expanduser()))
    try:
        url = make_url(re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", db))
        url.port  # noqa: B018  (parsed lazily by some versions: fail here, not later)
    except (ArgumentError, ValueError):
        # ValueError: a port that is not a number, as an unescaped "@" or ":" in a
        # password makes (postgresql://u:p@ss@host/db): the URL must be percent-encoded.
        raise StoreError(
            f"not a database URL: {redact_urls(db)} "
            "(characters such as @ : / in a user name or password must be percent-encoded)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {url.get_backend_name()!r} in {redact(url)}: "
            "use a SQLite file (sqlite:///path) or PostgreSQL (postgresql://…)"
        )
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def redact(url: URL) -> str:
    """The URL for messages: no password, and without the driver kitprof chose."""
    shown = url.set(drivername=url.get_backend_name())
    return shown.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(
        url,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "application_name": "kitprof",
        },
        pool_size=2,
        max_overflow=2,
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        if not folder.is_dir():
            raise StoreError(f"cannot open {redact(url)}: folder {folder} does not exist")
        _create_private(Path(database).expanduser(), url)
    # NullPool: a CLI process needs one connection, and pooled SQLite connections
    # would outlive the engine's users in tests that delete the file.
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, poolclass=NullPool
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the sqlite3 module, open transactions,
        # so that writes can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                _set_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("kitprof_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _create_private(path: Path, url: URL) -> None:
    """A new history file is made ``0600`` before SQLite opens it (SQLite gives its
    ``-wal`` and ``-shm`` files the same mode): it holds command lines and logs."""
    from profiler.capture.paths import create_private_file

    try:
        create_private_file(path)
    except OSError as error:
        raise StoreError(f"cannot open {redact(url)}: {error.strerror or error}") from None


def _set_wal(cursor: Any) -> None:
    # Switching to WAL needs a moment of exclusive access; when several processes
    # open a brand-new file at once, one of them may find it busy. Try again.
    import sqlite3

    for attempt in range(WRITE_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not _is_transient_message(str(error)) or attempt == WRITE_ATTEMPTS - 1:
                raise
            _backoff(attempt)


def write_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one write transaction, retried when it meets another writer.

    ``work`` must be safe to run again from the start: a failed attempt is rolled
    back completely, so nothing of it is visible.
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with engine.connect() as connection:
                connection = connection.execution_options(kitprof_write=True)
                with connection.begin():
                    return work(connection)
        except DBAPIError as error:
            if not is_transient(error) or attempt == WRITE_ATTEMPTS - 1:
                raise
            _backoff(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def is_transient(error: DBAPIError) -> bool:
    """A lock, busy, serialization or deadlock error: trying again will do."""
    code = getattr(error.orig, "sqlstate", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    return _is_transient_message(str(error.orig))


def _is_transient_message(message: str) -> bool:
    message = message.lower()
    return (
        "database is locked" in message
        or "database table is locked" in message
        or ("busy" in message and "sqlite" in message)
    )


def _backoff(attempt: int) -> None:
    time.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))


def describe_error(url: URL, error: SQLAlchemyError) -> str:
    """One line saying what went wrong with the database, without a password."""
    original = getattr(error, "orig", None) or error
    detail = " ".join(str(original).split())
    # psycopg repeats the server and hints over several lines; the first sentence
    # ("connection failed: … Connection refused") says it.
    detail = detail.split(" Is the server running")[0]
    return f"{redact(url)}: {detail}"
