"""What the history hands out: a stored run (:class:`RunRecord`) and the results of
ingesting and reanalysing; and the column values a run's row is made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Row

from profiler.identity import build_identity
from profiler.store.context import RunContext
from profiler.store.derive import (
    Derived,
    aware_utc,
    naive_utc,
)

if TYPE_CHECKING:
    # Imported where used: `kitprof runs` lists rows, it neither parses nor analyses.
    from profiler.analysis.trends import RunMetrics, StageMetrics
    from profiler.store.kept import KeptStream


@dataclass(frozen=True, slots=True)
class IngestResult:
    run_id: int
    created: bool
    """False when the same stream (by SHA-256) was already stored: nothing changed."""
    sha256: str
    build_index: int | None = None
    """Which build of the stream this run is (from 1) when it holds several."""
    build_name: str | None = None
    """The build's name when the input says it (compose service, bake target, tag)."""
    labels_added: Mapping[str, str] = field(default_factory=dict)
    """Labels given for a run already stored that it did not have yet: added to it."""
    labels_refused: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Labels given for a run already stored that contradict its own, as
    ``key: (given, stored)``; then none of the given labels were added."""


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """One build of the history: its name, how many runs, when it last ran."""

    name: str
    runs: int
    last_started_at: datetime


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run as the history lists it (the derived columns and the context)."""

    id: int
    stream_sha256: str
    stream_bytes: int
    source: str | None
    build_name: str
    """Which build this is a run of (:mod:`profiler.identity`)."""
    build_index: int | None
    """Which build of its stream the run is (from 1), when the stream holds several."""
    started_at: datetime
    ingested_at: datetime
    analyzed_at: datetime
    derived_version: int
    status: str
    failed_step: str | None
    truncated: bool
    wall_seconds: float
    sequential_seconds: float
    critical_path_seconds: float
    lower_bound_seconds: float
    parallelism: float
    vertex_count: int
    cache_steps: int
    cached_steps: int
    executed_steps: int
    cache_hit_ratio: float
    command: str | None
    context: str | None
    git_commit: str | None
    git_branch: str | None
    ci_provider: str | None
    ci_job: str | None
    ci_run_id: str | None
    ci_run_url: str | None
    host: str | None
    cores: int | None
    kitprof_version: str | None
    docker_version: str | None
    buildx_version: str | None
    buildkit_version: str | None
    driver: str | None
    labels: Mapping[str, str]

    def metrics(self, stages: Mapping[str, StageMetrics] | None = None) -> RunMetrics:
        """The numbers a history chart or a regression check reads (stages if given)."""
        from profiler.analysis.trends import RunMetrics

        return RunMetrics(
            run_id=self.id,
            started_at=self.started_at,
            status=self.status,
            wall_seconds=self.wall_seconds,
            critical_path_seconds=self.critical_path_seconds,
            sequential_seconds=self.sequential_seconds,
            lower_bound_seconds=self.lower_bound_seconds,
            cache_hit_ratio=self.cache_hit_ratio,
            git_branch=self.git_branch,
            git_commit=self.git_commit,
            stages=stages or {},
        )


RECORD_COLUMNS = tuple(f.name for f in fields(RunRecord) if f.name != "labels")
_TIME_COLUMNS = ("started_at", "ingested_at", "analyzed_at")


@dataclass(frozen=True, slots=True)
class ReanalyzeResult:
    reanalyzed: int
    failures: tuple[tuple[int, str], ...]
    """``(run id, reason)`` of runs whose stream could not be analysed (left as they were)."""


def _context_columns(context: RunContext) -> dict[str, Any]:
    ci = context.ci
    return {
        "command": context.command,
        "context": context.context,
        "git_commit": context.git_commit,
        "git_branch": context.git_branch,
        "ci_provider": ci.provider if ci else None,
        "ci_job": ci.job if ci else None,
        "ci_run_id": ci.run_id if ci else None,
        "ci_run_url": ci.run_url if ci else None,
        "host": context.host,
        "cores": context.cores,
        "kitprof_version": context.kitprof_version,
        "docker_version": context.docker_version,
        "buildx_version": context.buildx_version,
        "buildkit_version": context.buildkit_version,
        "driver": context.driver,
        "run_info": orjson.dumps(context.run_info).decode()
        if context.run_info is not None
        else None,
    }


def run_values(
    raw: bytes | KeptStream,
    derived: Derived,
    context: RunContext,
    source: str,
    *,
    started_fallback: datetime | None = None,
    build_index: int | None = None,
) -> dict[str, Any]:
    """The ``runs`` row of a stream: its derived figures, its context, where it came from.

    The build's own start time, else the capture's, else ``started_fallback``, else now.
    """
    from profiler.store.kept import KeptStream

    now = datetime.now(UTC).replace(tzinfo=None)
    started = derived.run["started_at"] or naive_utc(context.started_at)
    build_name = build_identity(
        derived.build,
        command=context.command,
        context=context.context,
        ci_job=context.ci.job if context.ci else None,
        source=source,
        override=context.build_name,
    )
    kept = raw if isinstance(raw, KeptStream) else KeptStream.of(raw)
    return {
        **derived.run,
        "build_name": build_name,
        "started_at": started or naive_utc(started_fallback) or now,
        "stream_sha256": kept.key(build_index),
        "stream_bytes": kept.size,
        "source": source,
        "build_index": build_index,
        "ingested_at": now,
        "analyzed_at": now,
        **_context_columns(context),
    }


def unstored_record(
    run_id: int,
    raw: bytes,
    derived: Derived,
    context: RunContext,
    source: str,
    *,
    started_fallback: datetime | None = None,
    build_index: int | None = None,
) -> RunRecord:
    """The record a stream would have once ingested, for files shown beside the history."""
    values = run_values(
        raw, derived, context, source, started_fallback=started_fallback, build_index=build_index
    )
    del values["run_info"]  # stored, but not part of a listed run
    del values["stage_labels"], values["stage_figures"]  # what history() reads for trends
    return _record_of({"id": run_id, **values}, context.labels)


def record_from_row(row: Row[Any], labels: Mapping[str, str]) -> RunRecord:
    return _record_of(dict(row._mapping), labels)


def _record_of(values: dict[str, Any], labels: Mapping[str, str]) -> RunRecord:
    for name in _TIME_COLUMNS:
        values[name] = aware_utc(values[name])
    values["truncated"] = bool(values["truncated"])
    return RunRecord(**values, labels=dict(labels))
