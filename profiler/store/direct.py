"""A trend's history read from a SQLite file by the standard ``sqlite3`` module.

``kitprof trends`` over a whole history spent more time importing SQLAlchemy (~0.2 s)
and opening the store through it than reading the 10,000 runs. The queries are
:mod:`profiler.store.queries`' (the Store runs the same text), so what this returns is
what ``Store.history`` returns. It reads only a history that is already as the Store
would leave it; anything else goes through the :class:`~profiler.store.Store`, which
may create, upgrade or repair it:

- a database that is not a plain SQLite file that exists (PostgreSQL, a URL with a
  query, the default file before the first ingest);
- a schema other than the one the queries are written for (a migration to run, or a
  newer kitprof's);
- runs without packed stage figures (read from their ``stages`` rows by the Store);
- any error of the ``sqlite3`` module (a locked, damaged or foreign file): the Store
  reports it as it always has.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from profiler.store.location import sqlite_file
from profiler.store.queries import (
    FIGURES,
    SCHEMA,
    history_query,
    newest_build_query,
    run_conditions,
    run_metrics,
)

if TYPE_CHECKING:
    from profiler.analysis.trends import RunMetrics

BUSY_TIMEOUT_SECONDS = 60.0
"""As the Store's engine waits for a writer (:mod:`profiler.store.engine`)."""


@dataclass(frozen=True, slots=True)
class TrendHistory:
    """What ``kitprof trends`` reads: the database (as messages show it), the build
    (given, else the newest run's), and its runs' metrics, oldest first."""

    url: str
    build: str | None
    runs: list[RunMetrics]


def trend_history(
    db: str | None,
    *,
    build: str | None = None,
    branch: str | None = None,
    labels: Mapping[str, str] | None = None,
    limit: int | None = None,
    stage: str | None = None,
) -> TrendHistory:
    """The successful runs of ``build`` (default: the build of the newest run of
    ``branch`` with ``labels``) as ``Store.history`` gives them, read directly from a
    SQLite file when it can be (see the module), else through the Store."""
    file = sqlite_file(db)
    if file is not None:
        read = _read_directly(*file, build, branch, labels, limit, stage)
        if read is not None:
            return read
    from profiler.store.store import Store

    with Store(db) as store:
        if build is None:
            build = store.newest_build(branch=branch, labels=labels)
        runs = store.history(build=build, branch=branch, labels=labels, limit=limit, stage=stage)
        return TrendHistory(store.url, build, runs)


def _read_directly(
    path: Path,
    url: str,
    build: str | None,
    branch: str | None,
    labels: Mapping[str, str] | None,
    limit: int | None,
    stage: str | None,
) -> TrendHistory | None:
    if not path.is_file():
        return None
    try:
        # mode=rw: never create the file (the Store makes it private first).
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute("BEGIN")  # one snapshot for every query below
        version = connection.execute("SELECT version FROM kitprof_schema").fetchall()
        if version != [(SCHEMA,)]:
            return None
        if build is None:
            condition, parameters = run_conditions(branch=branch, labels=labels)
            newest = connection.execute(newest_build_query(condition), parameters).fetchone()
            build = None if newest is None else newest[0]
        condition, parameters = run_conditions(
            build=build, branch=branch, labels=labels, statuses=("success",)
        )
        if limit is not None:
            parameters["limit"] = limit
        rows = connection.execute(history_query(condition, limit), parameters).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    if any(row[FIGURES] is None for row in rows):
        return None
    return TrendHistory(url, build, run_metrics(rows, stage))
