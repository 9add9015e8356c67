"""The current database schema (SQLAlchemy Core), as the migrations leave it.

Four kinds of rows:

- ``runs``: one per ingested stream, with what history queries need without reading
  anything else: which build it is a run of (``build_name``), when, the headline
  times, cache ratio, status, how it was run (command, context, git, CI) and with
  which versions. Unique by the SHA-256 of the
  (uncompressed) stream, which makes ingest idempotent even under concurrency.
- ``run_streams``: the raw stream itself, gzip-compressed. The source of truth:
  everything else about a run is derived from it and can be rebuilt (``reanalyze``).
- ``stages`` and ``steps``: the per-stage and per-step rows of the analysis.
- ``run_labels``: ``key=value`` labels given at ingest, indexed for filtering.

Times are seconds (floats); moments are naive ``DATETIME`` in UTC on both backends.
Derived columns are listed in :data:`DERIVED_RUN_COLUMNS`: reanalyze rewrites exactly
those, and the ``stages``/``steps`` rows.

This module must describe the same tables as applying every migration in
:mod:`profiler.store.migrations` (a test compares the two).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

schema_version = Table(
    "kitprof_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream_sha256", String(64), nullable=False, unique=True),
    Column("stream_bytes", Integer, nullable=False),
    Column("source", Text),
    Column("started_at", DateTime, nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    Column("analyzed_at", DateTime, nullable=False),
    Column("derived_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failed_step", Text),
    Column("truncated", Boolean, nullable=False),
    Column("wall_seconds", Float, nullable=False),
    Column("sequential_seconds", Float, nullable=False),
    Column("critical_path_seconds", Float, nullable=False),
    Column("lower_bound_seconds", Float, nullable=False),
    Column("parallelism", Float, nullable=False),
    Column("vertex_count", Integer, nullable=False),
    Column("cache_steps", Integer, nullable=False),
    Column("cached_steps", Integer, nullable=False),
    Column("executed_steps", Integer, nullable=False),
    Column("cache_hit_ratio", Float, nullable=False),
    Column("command", Text),
    Column("context", Text),
    Column("git_commit", String(64)),
    Column("git_branch", String(255)),
    Column("ci_provider", String(32)),
    Column("ci_job", Text),
    Column("ci_run_id", String(255)),
    Column("ci_run_url", Text),
    Column("host", Text),
    Column("cores", Integer),
    Column("kitprof_version", String(64)),
    Column("docker_version", String(64)),
    Column("buildx_version", String(64)),
    Column("buildkit_version", String(64)),
    Column("driver", String(64)),
    Column("run_info", Text),
    # Which build of the stream this run is (from 1), when the stream holds several
    # (a CI log of two builds, compose of several services); NULL when it holds one.
    # Such a run's stream_sha256 is then its run_key: of the stream and this number.
    Column("build_index", Integer),
    # Added by migration 4 (hence last); always set by kitprof, nullable for ALTER TABLE.
    Column("build_name", String(255)),
    # Added by migration 7: the stages' trend figures, packed (profiler.store.stagefigures).
    Column("stage_labels", Text),
    Column("stage_figures", LargeBinary),
    Index("ix_runs_started", "started_at", "id"),
    Index("ix_runs_branch_started", "git_branch", "started_at"),
    Index("ix_runs_build_started", "build_name", "started_at"),
)

run_streams = Table(
    "run_streams",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("compression", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    # What the file is: one of profiler.store.files.FILE_NAMES.
    Column("compression", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

run_labels = Table(
    "run_labels",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_run_labels_key_value", "key", "value"),
)

stages = Table(
    "stages",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("label", Text, nullable=False),
    Column("target", Text),
    Column("name", Text, nullable=False),
    Column("start_seconds", Float),
    Column("end_seconds", Float),
    Column("span_seconds", Float, nullable=False),
    Column("busy_seconds", Float, nullable=False),
    Column("sequential_seconds", Float, nullable=False),
    Column("critical_path_seconds", Float, nullable=False),
    Column("steps", Integer, nullable=False),
    Column("cached", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Index("ix_stages_label", "label", "run_id"),
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("digest", String(128), nullable=False),
    Column("name", Text, nullable=False),
    Column("match_key", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Text),
    Column("platform", String(64)),
    Column("stage", Text, nullable=False),
    Column("step_index", Integer),
    Column("step_count", Integer),
    Column("instruction", String(32)),
    Column("start_seconds", Float),
    Column("end_seconds", Float),
    Column("duration_seconds", Float, nullable=False),
    Column("cached", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("on_critical_path", Boolean, nullable=False),
)

DERIVED_RUN_COLUMNS = (
    "started_at",
    "analyzed_at",
    "derived_version",
    "status",
    "failed_step",
    "truncated",
    "wall_seconds",
    "sequential_seconds",
    "critical_path_seconds",
    "lower_bound_seconds",
    "parallelism",
    "vertex_count",
    "cache_steps",
    "cached_steps",
    "executed_steps",
    "cache_hit_ratio",
    "stage_labels",
    "stage_figures",
)
