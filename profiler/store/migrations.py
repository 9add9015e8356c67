"""Schema versions: an explicit version table and ordered, frozen migration steps.

A database records the version it is at in ``kitprof_schema``. Opening a store
brings it up to :data:`LATEST` by running the missing steps in one transaction, so a
database is never left half-migrated. Steps are frozen: each one spells out the
tables as they were at its version instead of importing :mod:`profiler.store.schema`,
because a database made years ago must upgrade through exactly the same DDL as one
made today. Add a step; never edit one that has shipped.

Several processes may open a new (or old) database at once: PostgreSQL serialises
them with a transaction-level advisory lock, SQLite with ``BEGIN IMMEDIATE``; each
re-reads the version once it holds the lock, so only the first one migrates.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from profiler.store.engine import write_transaction
from profiler.store.errors import StoreError
from profiler.store.schema import schema_version

# pg_advisory_xact_lock key: an arbitrary constant, "kitprof" in ASCII.
_ADVISORY_LOCK_KEY = 0x6B697470726F66


def _v1(connection: Connection) -> None:
    """Runs, their raw streams, stages and steps; labels as a JSON text column."""
    meta = MetaData()
    Table("kitprof_schema", meta, Column("version", Integer, nullable=False))
    Table(
        "runs",
        meta,
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
        Column("labels", Text),
        Index("ix_runs_started", "started_at", "id"),
        Index("ix_runs_branch_started", "git_branch", "started_at"),
    )
    Table(
        "run_streams",
        meta,
        Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("compression", String(16), nullable=False),
        Column("data", LargeBinary, nullable=False),
    )
    Table(
        "stages",
        meta,
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
    Table(
        "steps",
        meta,
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
    meta.create_all(connection)


def _v2(connection: Connection) -> None:
    """Labels move to their own table, indexed, so ``--label k=v`` filters in SQL."""
    meta = MetaData()
    Table("runs", meta, Column("id", Integer, primary_key=True))
    labels = Table(
        "run_labels",
        meta,
        Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("value", Text, nullable=False),
        Index("ix_run_labels_key_value", "key", "value"),
    )
    labels.create(connection)
    rows = connection.execute(text("SELECT id, labels FROM runs WHERE labels IS NOT NULL"))
    moved = [
        {"run_id": run_id, "key": str(key), "value": str(value)}
        for run_id, encoded in rows
        for key, value in (json.loads(encoded) or {}).items()
    ]
    if moved:
        connection.execute(labels.insert(), moved)
    connection.execute(text("ALTER TABLE runs DROP COLUMN labels"))


def _v3(connection: Connection) -> None:
    """A run may be one build of a stream that holds several: which one."""
    connection.execute(text("ALTER TABLE runs ADD COLUMN build_index INTEGER"))


def _v4(connection: Connection) -> None:
    """Runs get ``build_name``: which build they are runs of, so that medians and
    comparisons never mix builds. Existing runs are named from what their row says
    (the rule of :mod:`profiler.identity` at this version, frozen here): the
    context's folder, else the CI job, else the stream file's folder; then
    ``--target`` or bake's targets from the command. Re-ingest or rename to refine."""
    import shlex
    from pathlib import PurePath

    connection.execute(text("ALTER TABLE runs ADD COLUMN build_name VARCHAR(255)"))
    connection.execute(text("CREATE INDEX ix_runs_build_started ON runs (build_name, started_at)"))

    def folder(path: str | None) -> str | None:
        if not path or path == "-" or "://" in path or path.startswith("git@"):
            return None
        name = PurePath(path.rstrip("/\\")).name
        return name if name not in ("", ".", "..") else None

    def flags(command: str | None) -> tuple[str | None, str | None]:
        try:
            words = shlex.split(command or "")
        except ValueError:
            words = (command or "").split()
        dockerfile = target = None
        for index, word in enumerate(words):
            flag, equals, value = word.partition("=")
            if not equals and index + 1 < len(words):
                value = words[index + 1]
            if flag in ("-f", "--file") and dockerfile is None and "bake" not in words:
                dockerfile = value
            elif flag == "--target" and target is None:
                target = value
        return dockerfile, target

    rows = connection.execute(text("SELECT id, context, ci_job, source, command FROM runs")).all()
    for run_id, context, ci_job, source, command in rows:
        name = (
            folder(context)
            or (ci_job or "").strip()
            or folder(str(PurePath(source).parent) if source else None)
        )
        dockerfile, target = flags(command)
        if dockerfile and PurePath(dockerfile).name != "Dockerfile":
            name = f"{name}/{dockerfile}" if name else dockerfile
        if target:
            name = f"{name}:{target}" if name else target
        connection.execute(
            text("UPDATE runs SET build_name = :name WHERE id = :id"),
            {"name": (name or "unnamed build")[:255], "id": run_id},
        )


def _v5(connection: Connection) -> None:
    """Files kept with a run (``run_files``): the Dockerfile it was built from, the
    manifest of its build context, Docker's own record of it... one row a file, by
    name, compressed like the stream."""
    meta = MetaData()
    Table("runs", meta, Column("id", Integer, primary_key=True))
    Table(
        "run_files",
        meta,
        Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("name", String(64), primary_key=True),
        Column("compression", String(16), nullable=False),
        Column("data", LargeBinary, nullable=False),
    ).create(connection)


def _v6(connection: Connection) -> None:
    """Runs get ``stage_metrics``: their stages' trend figures packed in the run's row
    (JSON ``{label: [busy, sequential, critical path, steps, cached]}``, in stage order),
    so that a trend over a whole history reads one row a run instead of joining ~12
    stage rows a run. Existing runs are filled from their ``stages`` rows; a run
    without stages gets ``{}``. The ``stages`` table stays the detailed record."""
    import orjson

    connection.execute(text("ALTER TABLE runs ADD COLUMN stage_metrics TEXT"))
    rows = connection.execute(
        text(
            "SELECT run_id, label, busy_seconds, sequential_seconds, critical_path_seconds, "
            "steps, cached FROM stages ORDER BY run_id, position"
        )
    )
    packed: dict[int, dict[str, list[float | int]]] = {}
    for run_id, label, busy, sequential, critical, steps, cached in rows:
        packed.setdefault(run_id, {})[label] = [
            float(busy),
            float(sequential),
            float(critical),
            int(steps),
            int(cached),
        ]
    if packed:
        connection.execute(
            text("UPDATE runs SET stage_metrics = :packed WHERE id = :id"),
            [
                {"id": run_id, "packed": orjson.dumps(stages).decode()}
                for run_id, stages in packed.items()
            ],
        )
    connection.execute(text("UPDATE runs SET stage_metrics = '{}' WHERE stage_metrics IS NULL"))


def _v7(connection: Connection) -> None:
    """The stages' trend figures become binary: ``stage_labels`` (the labels, a JSON
    array in stage order) and ``stage_figures`` (five little-endian float64 a stage:
    busy, sequential, critical path, steps, cached), so that a trend over a whole
    history decodes them an array at a time instead of parsing JSON and making an
    object a stage. Filled from ``stage_metrics`` (of migration 6), which goes."""
    import struct

    import orjson

    blob = "BYTEA" if connection.dialect.name == "postgresql" else "BLOB"
    connection.execute(text("ALTER TABLE runs ADD COLUMN stage_labels TEXT"))
    connection.execute(text(f"ALTER TABLE runs ADD COLUMN stage_figures {blob}"))
    after = 0
    while True:  # a chunk at a time: a history may hold a million runs
        rows = connection.execute(
            text(
                "SELECT id, stage_metrics FROM runs WHERE id > :after "
                "AND stage_metrics IS NOT NULL ORDER BY id LIMIT 5000"
            ),
            {"after": after},
        ).all()
        if not rows:
            break
        packed = []
        for run_id, encoded in rows:
            stages = orjson.loads(encoded)
            figures = [float(value) for values in stages.values() for value in values]
            packed.append(
                {
                    "id": run_id,
                    "labels": orjson.dumps(list(stages)).decode(),
                    "figures": struct.pack(f"<{len(figures)}d", *figures),
                }
            )
        connection.execute(
            text("UPDATE runs SET stage_labels = :labels, stage_figures = :figures WHERE id = :id"),
            packed,
        )
        after = rows[-1][0]
    connection.execute(text("ALTER TABLE runs DROP COLUMN stage_metrics"))


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2, _v3, _v4, _v5, _v6, _v7)
"""Step ``i`` (0-based) takes a database from version ``i`` to ``i + 1``."""

LATEST = len(MIGRATIONS)


def current_version(connection: Connection) -> int:
    """The schema version of the database; 0 for an empty one."""
    if not inspect(connection).has_table("kitprof_schema"):
        return 0
    version = connection.execute(select(schema_version.c.version)).scalar()
    return int(version or 0)


def upgrade(engine: Engine, target: int = LATEST) -> int:
    """Bring the database to version ``target``; return the version it was at."""
    with engine.connect() as connection:
        found = current_version(connection)
    if found == target:
        return found
    _check_known(found)

    def migrate(connection: Connection) -> int:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
            )
        version = current_version(connection)
        _check_known(version)
        if version == 0 and inspect(connection).has_table("runs"):
            raise StoreError("the database has a 'runs' table that kitprof did not make")
        if version > target:
            raise StoreError(f"cannot downgrade the history database from {version} to {target}")
        for step in range(version, target):
            MIGRATIONS[step](connection)
        if version == 0:
            connection.execute(schema_version.insert().values(version=target))
        elif version != target:
            connection.execute(schema_version.update().values(version=target))
        return version

    return write_transaction(engine, migrate)


def _check_known(version: int) -> None:
    if version > LATEST:
        raise StoreError(
            f"the history database has schema version {version}, newer than this "
            f"kitprof knows ({LATEST}): upgrade kitprof"
        )
