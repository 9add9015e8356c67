"""What a trend reads of the history, through the Store's engine (SQLite or PostgreSQL).

The query and the decoding of its rows are :mod:`profiler.store.queries`' (shared with
the direct SQLite reader, :mod:`profiler.store.direct`). A run whose row lacks its
packed stage figures (none should: migrations 6 and 7 filled every run) has them read
from its ``stages`` rows here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, LargeBinary, bindparam, select, text
from sqlalchemy.engine import Connection

from profiler.store.queries import FIGURES, LABELS, history_query, run_metrics
from profiler.store.schema import stages
from profiler.store.stagefigures import pack_stage_figures

if TYPE_CHECKING:
    from profiler.analysis.trends import RunMetrics, StageMetrics


def history_metrics(
    connection: Connection,
    condition: str,
    parameters: Mapping[str, Any],
    limit: int | None,
    stage: str | None,
) -> list[RunMetrics]:
    """The runs ``condition`` picks (:func:`profiler.store.queries.run_conditions`), oldest
    first: the newest ``limit`` of them (all if ``None``); with ``stage``, only that
    stage's figures."""
    query = text(history_query(condition, limit)).columns(stage_figures=LargeBinary)
    if "before_at" in parameters:
        # bound as the column's type: SQLite compares the text SQLAlchemy wrote
        query = query.bindparams(bindparam("before_at", type_=DateTime))
    values = dict(parameters) if limit is None else {**parameters, "limit": limit}
    rows: Sequence[Any] = connection.execute(query, values).all()
    unpacked = [row[0] for row in rows if row[FIGURES] is None]
    repacked = _packed_from_rows(connection, unpacked) if unpacked else {}
    if repacked:
        rows = [(*row[:LABELS], *repacked[row[0]]) if row[0] in repacked else row for row in rows]
    return run_metrics(rows, stage)


def _packed_from_rows(
    connection: Connection, run_ids: Sequence[int]
) -> dict[int, tuple[str, bytes]]:
    by_run = stage_rows_metrics(connection, run_ids)
    return {run_id: pack_stage_figures(by_run.get(run_id, {})) for run_id in run_ids}


def stage_rows_metrics(
    connection: Connection, run_ids: Sequence[int]
) -> dict[int, dict[str, StageMetrics]]:
    """Stage figures of the runs from their ``stages`` rows (a later stage of the same
    label wins, as in the packed figures)."""
    from profiler.analysis.trends import StageMetrics

    query = (
        select(
            stages.c.run_id,
            stages.c.label,
            stages.c.busy_seconds,
            stages.c.sequential_seconds,
            stages.c.critical_path_seconds,
            stages.c.steps,
            stages.c.cached,
        )
        .where(stages.c.run_id.in_(list(run_ids)))
        .order_by(stages.c.run_id, stages.c.position)
    )
    by_run: dict[int, dict[str, StageMetrics]] = {}
    for run_id, label, *figures in connection.execute(query):
        by_run.setdefault(run_id, {})[label] = StageMetrics(*figures)
    return by_run
