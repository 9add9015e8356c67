"""Build history: runs, their raw streams and derived rows, in SQLite or PostgreSQL.

The store knows the model and the analysis, never the CLI::

    from profiler.store import Store, run_context

    with Store("postgresql://ci@db.internal/kitprof") as store:   # or None: the default
        result = store.ingest("build.rawjson", context=run_context(labels={"arch": "amd64"}))
        latest = store.runs(branch="main", limit=10)

:func:`store_runs` is the one-call form ``kitprof run`` uses after a capture.

SQLAlchemy is imported with the first name that needs it (:class:`Store`, the records):
``kitprof trends`` reads a SQLite history without it (:mod:`profiler.store.direct`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from profiler import __version__
from profiler.lazy import lazy_attributes
from profiler.store.errors import RunNotFound, StoreError
from profiler.store.location import ENV_VAR, default_sqlite_path
from profiler.store.queries import SCHEMA as SCHEMA_VERSION

if TYPE_CHECKING:
    from profiler.store.context import RunContext, run_context
    from profiler.store.derive import DERIVED_VERSION, run_status
    from profiler.store.engine import database_url
    from profiler.store.records import BuildSummary, IngestResult, ReanalyzeResult, RunRecord
    from profiler.store.store import Store

_HOMES = {
    "RunContext": "profiler.store.context",
    "run_context": "profiler.store.context",
    "DERIVED_VERSION": "profiler.store.derive",
    "run_status": "profiler.store.derive",
    "Store": "profiler.store.store",
    "database_url": "profiler.store.engine",
    "BuildSummary": "profiler.store.records",
    "IngestResult": "profiler.store.records",
    "ReanalyzeResult": "profiler.store.records",
    "RunRecord": "profiler.store.records",
}
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, globals())


def store_run(
    stream_path: str | Path,
    run_info: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    db_url: str | None = None,
    *,
    allow_truncated: bool = True,
    build_name: str | None = None,
    files: Mapping[str, bytes] | None = None,
) -> IngestResult:
    """Store a captured stream and its run metadata in the history.

    ``run_info`` is the ``RunInfo.to_dict()`` of the capture (``None`` reads the run file
    beside the stream, :func:`profiler.runfile.run_info_beside`); the CI system is
    detected from the environment; ``db_url`` ``None`` means ``$KITPROF_DB`` or the
    default SQLite file. A cut-off stream (the capture was interrupted) is kept as an
    ``incomplete`` run unless ``allow_truncated`` is False. ``build_name`` names the
    build it is a run of (else :func:`profiler.identity.build_identity` derives it). Raises
    :class:`~profiler.errors.KitprofError` subclasses only; the same stream twice is
    stored once (``created`` False). ``files`` are kept with the run
    (:mod:`profiler.store.files`: Docker's record of it, its Dockerfile…).
    A stream of several builds raises :class:`~profiler.sources.SeveralBuilds`:
    :func:`store_runs` stores each.
    """
    return _store(stream_path, run_info, labels, db_url, allow_truncated, build_name, files, False)[
        0
    ]


def store_runs(
    stream_path: str | Path,
    run_info: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    db_url: str | None = None,
    *,
    allow_truncated: bool = True,
    build_name: str | None = None,
    files: Mapping[str, bytes] | None = None,
) -> list[IngestResult]:
    """:func:`store_run` for a stream of one build or several (``docker compose build``
    of several services: a run per service, each named after it, each with ``files``)."""
    return _store(stream_path, run_info, labels, db_url, allow_truncated, build_name, files, True)


def _store(
    stream_path: str | Path,
    run_info: Mapping[str, Any] | None,
    labels: Mapping[str, str] | None,
    db_url: str | None,
    allow_truncated: bool,
    build_name: str | None,
    files: Mapping[str, bytes] | None,
    several: bool,
) -> list[IngestResult]:
    from profiler.ci import detect_ci
    from profiler.runfile import run_info_beside
    from profiler.store.context import run_context
    from profiler.store.store import Store

    path = Path(stream_path)
    if run_info is None:
        run_info = run_info_beside(path)
    context = run_context(
        run_info,
        ci=detect_ci(),
        labels=labels,
        kitprof_version=__version__,
        build_name=build_name,
    )
    if files:
        context = dataclasses.replace(context, files=dict(files))
    with Store(db_url) as store:
        if several:
            return store.ingest_builds(path, context=context, allow_truncated=allow_truncated)
        return [store.ingest(path, context=context, allow_truncated=allow_truncated)]


__all__ = [
    "DERIVED_VERSION",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "BuildSummary",
    "IngestResult",
    "ReanalyzeResult",
    "RunContext",
    "RunNotFound",
    "RunRecord",
    "Store",
    "StoreError",
    "database_url",
    "default_sqlite_path",
    "run_context",
    "run_status",
    "store_run",
    "store_runs",
]
