"""What a trend reads of the history: the metrics of many runs, fast.

A trend over a whole history (10,000 runs) must come back in a fraction of a second,
so the query reads one row a run: its headline figures and its stages' figures,
packed in the row at ingest (``runs.stage_metrics``, schema 6) and decoded here in
one ``orjson`` call. A run whose row lacks them (none should: migration 6 filled
every run) has them read from its ``stages`` rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from profiler.store.schema import runs, stages

if TYPE_CHECKING:
    from profiler.analysis.trends import RunMetrics, StageMetrics

_COLUMNS = (
    runs.c.id,
    runs.c.started_at,
    runs.c.status,
    runs.c.wall_seconds,
    runs.c.critical_path_seconds,
    runs.c.sequential_seconds,
    runs.c.lower_bound_seconds,
    runs.c.cache_hit_ratio,
    runs.c.git_branch,
    runs.c.git_commit,
    runs.c.stage_metrics,
)
_PACKED = len(_COLUMNS) - 1


def history_metrics(
    connection: Connection,
    conditions: Sequence[ColumnElement[bool]],
    limit: int | None,
    stage: str | None,
) -> list[RunMetrics]:
    """The runs matching ``conditions``, oldest first: the newest ``limit`` of them
    (all if ``None``); with ``stage``, only that stage's figures."""
    if limit is None:
        query = select(*_COLUMNS).where(*conditions)
    else:
        chosen = (
            select(runs.c.id)
            .where(*conditions)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
        )
        query = select(*_COLUMNS).where(runs.c.id.in_(chosen))
    rows = connection.execute(query.order_by(runs.c.started_at, runs.c.id)).all()
    unpacked = [row[0] for row in rows if row[_PACKED] is None]
    from_rows = stage_rows_metrics(connection, unpacked, stage) if unpacked else {}
    return _run_metrics(rows, stage, from_rows)


def stage_rows_metrics(
    connection: Connection, run_ids: Sequence[int], stage: str | None
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
    if stage is not None:
        query = query.where(stages.c.label == stage)
    by_run: dict[int, dict[str, StageMetrics]] = {}
    for run_id, label, *figures in connection.execute(query):
        by_run.setdefault(run_id, {})[label] = StageMetrics(*figures)
    return by_run


def _run_metrics(
    rows: Sequence[Any],
    stage: str | None,
    from_rows: Mapping[int, dict[str, StageMetrics]],
) -> list[RunMetrics]:
    import orjson

    from profiler.analysis.trends import RunMetrics, StageMetrics

    packed = orjson.loads("[" + ",".join(row[_PACKED] or "{}" for row in rows) + "]")
    make = tuple.__new__  # StageMetrics(*figures) without its keyword handling: 3x faster
    if stage is None:
        stage_maps = [
            {label: make(StageMetrics, figures) for label, figures in stages.items()}
            for stages in packed
        ]
    else:
        stage_maps = [
            {stage: make(StageMetrics, stages[stage])} if stage in stages else {}
            for stages in packed
        ]
    return [
        RunMetrics(
            run_id=row[0],
            started_at=row[1].replace(tzinfo=UTC),
            status=row[2],
            wall_seconds=row[3],
            critical_path_seconds=row[4],
            sequential_seconds=row[5],
            lower_bound_seconds=row[6],
            cache_hit_ratio=row[7],
            git_branch=row[8],
            git_commit=row[9],
            stages=stage_map if row[_PACKED] is not None else from_rows.get(row[0], {}),
        )
        for row, stage_map in zip(rows, stage_maps, strict=True)
    ]
