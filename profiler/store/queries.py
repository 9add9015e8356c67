"""What a trend reads of the history, as SQL text, and its rows made runs' metrics.

Written once, run two ways: by the :class:`~profiler.store.Store` (SQLAlchemy's
``text()``, SQLite or PostgreSQL) and, for a SQLite file, by
:mod:`profiler.store.direct` through the standard ``sqlite3`` module, without
SQLAlchemy's import. Parameters are ``:name``, which both understand.

A trend over a whole history (10,000 runs) must come back in a fraction of a second,
so the query reads one row a run: its headline figures and its stages' figures,
packed in the row at ingest (``runs.stage_labels`` and ``runs.stage_figures``,
schema 7, :mod:`profiler.store.stagefigures`) and decoded into one
:class:`~profiler.analysis.stagetable.StageTable` for all the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from profiler.store.stagefigures import unpack_stage_figures

if TYPE_CHECKING:
    from profiler.analysis.trends import RunMetrics

SCHEMA = 7
"""The schema version these queries are written for (a test holds it equal to
:data:`profiler.store.migrations.LATEST`: a new migration must look at them)."""

HISTORY_COLUMNS = (
    "id, started_at, status, wall_seconds, critical_path_seconds, sequential_seconds, "
    "lower_bound_seconds, cache_hit_ratio, git_branch, git_commit, stage_labels, "
    "stage_figures"
)
"""In :class:`~profiler.analysis.trends.RunMetrics`' order, then the packed stages."""
LABELS, FIGURES = 10, 11
"""Where a history row has its stages' labels and figures."""

_NEWEST_FIRST = "ORDER BY started_at DESC, id DESC"


def run_conditions(
    *,
    build: str | None = None,
    branch: str | None = None,
    labels: Mapping[str, str] | None = None,
    statuses: Sequence[str] | None = None,
    before: tuple[datetime | None, int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The condition (``""`` for none) that picks the runs of one build, branch, status
    and labels, older than ``before`` (its naive UTC moment and id), and its parameters
    (``before_at`` a datetime: the Store binds it as its column's type). The history
    queries' and, through :func:`profiler.store.filters.run_filters`, the Store's
    listing queries': plain SQL that SQLite and PostgreSQL both read, columns named by
    their table, so that it holds in a query that joins ``runs`` to another table."""
    conditions: list[str] = []
    parameters: dict[str, Any] = {}
    if build is not None:
        conditions.append("runs.build_name = :build")
        parameters["build"] = build
    if branch is not None:
        conditions.append("runs.git_branch = :branch")
        parameters["branch"] = branch
    if statuses is not None:
        names = [f":status_{index}" for index in range(len(statuses))]
        conditions.append(f"runs.status IN ({', '.join(names)})" if names else "1 = 0")
        parameters.update({name[1:]: status for name, status in zip(names, statuses, strict=True)})
    for index, (key, value) in enumerate((labels or {}).items()):
        conditions.append(
            "EXISTS (SELECT 1 FROM run_labels WHERE run_labels.run_id = runs.id"
            f' AND run_labels."key" = :label_key_{index}'
            f" AND run_labels.value = :label_value_{index})"
        )
        parameters[f"label_key_{index}"] = key
        parameters[f"label_value_{index}"] = value
    if before is not None:
        conditions.append(
            "(runs.started_at < :before_at"
            " OR (runs.started_at = :before_at AND runs.id < :before_id))"
        )
        parameters["before_at"], parameters["before_id"] = before
    return " AND ".join(conditions), parameters


def newest_build_query(condition: str) -> str:
    """The build name of the newest run ``condition`` picks (one row, or none)."""
    return f"SELECT build_name FROM runs {_where(condition)} {_NEWEST_FIRST} LIMIT 1"


def history_query(condition: str, limit: int | None) -> str:
    """The runs ``condition`` picks, oldest first: the newest ``limit`` of them (all if
    ``None``; the parameter ``limit`` then holds it)."""
    where = _where(condition)
    if limit is None:
        return f"SELECT {HISTORY_COLUMNS} FROM runs {where} ORDER BY started_at, id"
    chosen = f"SELECT id FROM runs {where} {_NEWEST_FIRST} LIMIT :limit"
    return f"SELECT {HISTORY_COLUMNS} FROM runs WHERE id IN ({chosen}) ORDER BY started_at, id"


def _where(condition: str) -> str:
    return f"WHERE {condition}" if condition else ""


def run_metrics(rows: Sequence[Sequence[Any]], stage: str | None) -> list[RunMetrics]:
    """The runs' metrics of :func:`history_query`'s rows, every one with its packed
    stages; with ``stage``, only that stage's figures."""
    table = unpack_stage_figures(
        [row[LABELS] for row in rows], [row[FIGURES] for row in rows], stage
    )
    moments = [row[1] for row in rows]
    try:
        # SQLite's text, every row: parsed here, as aware_moment does, without a call a row
        parse = datetime.fromisoformat
        aware = [parse(moment + "+00:00") for moment in moments]
    except TypeError:  # PostgreSQL's datetimes
        aware = [aware_moment(moment) for moment in moments]
    make = _run_metrics_constructor()
    # Positional: RunMetrics' fields in the order of HISTORY_COLUMNS.
    return [
        make(row[0], moment, row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], stages)
        for row, moment, stages in zip(rows, aware, table.views(), strict=True)
    ]


@cache
def _run_metrics_constructor() -> Callable[..., RunMetrics]:
    """``RunMetrics``' constructor, the fast one (:mod:`profiler.fastinit`): a frozen
    dataclass's sets its 11 fields through ``object.__setattr__``, ~1 µs a run."""
    from profiler.analysis.trends import RunMetrics
    from profiler.fastinit import fast_constructor

    return fast_constructor(RunMetrics)


def aware_moment(moment: datetime | str) -> datetime:
    """A run's ``started_at`` as the database gives it untyped (PostgreSQL: a naive UTC
    datetime; SQLite: the text SQLAlchemy wrote, ``2025-01-01 00:10:00.000000``) →
    aware UTC. The text is parsed by ``fromisoformat`` with its offset: 10,000 runs'
    ``replace(tzinfo=UTC)`` cost ~20 ms."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment + "+00:00")
    return moment.replace(tzinfo=UTC)
