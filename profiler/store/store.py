"""The history store: ingest runs, list them, and feed comparisons, trends and checks.

One :class:`Store` wraps one database. Every write is one transaction, so a run is
either fully there (run, stream, labels, stages, steps) or not at all, even if the
process dies mid-way. Database failures surface as :class:`StoreError` with a
one-line reason, never as a driver traceback.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from profiler.errors import KitprofError, StreamError
from profiler.model import Build
from profiler.store import migrations
from profiler.store.context import RunContext
from profiler.store.derive import (
    COMPRESSION,
    Derived,
    aware_utc,
    decompress,
    derive,
    naive_utc,
    parse_stream,
)
from profiler.store.engine import (
    database_url,
    describe_error,
    make_engine,
    redact,
    write_transaction,
)
from profiler.store.errors import RunNotFound, StoreError
from profiler.store.files import RECORD, file_names, read_file, write_files
from profiler.store.filters import run_filters
from profiler.store.history import history_metrics, stage_rows_metrics
from profiler.store.queries import newest_build_query, run_conditions
from profiler.store.records import (
    RECORD_COLUMNS,
    BuildSummary,
    IngestResult,
    ReanalyzeResult,
    RunRecord,
    record_from_row,
    run_values,
)
from profiler.store.schema import (
    DERIVED_RUN_COLUMNS,
    run_labels,
    run_streams,
    runs,
    stages,
    steps,
)
from profiler.store.writing import (
    build_context,
    chosen_builds,
    insert_rows,
    insert_run,
    prepare_builds,
    with_recorded_dockerfile,
)

if TYPE_CHECKING:
    # Imported where used: `kitprof runs` lists rows, it neither parses nor analyses.
    from profiler.analysis.trends import RunMetrics
    from profiler.dockerfile import Dockerfile
    from profiler.store.kept import KeptStream

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_LIMIT = 20


def _translated(method: Callable[P, T]) -> Callable[P, T]:
    """Turn database errors raised inside a Store method into one-line StoreErrors."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as error:
            store = args[0]
            assert isinstance(store, Store)
            raise StoreError(
                f"history database error at {describe_error(store.sa_url, error)}"
            ) from None

    return wrapper


class Store:
    """A history database. ``db`` is a URL, a SQLite path, or ``None`` for
    ``$KITPROF_DB`` or else the SQLite file in the user's data directory.

    Opening creates the schema, or upgrades an older one, as needed.
    """

    def __init__(self, db: str | None = None) -> None:
        self.sa_url = database_url(db)
        self.url = redact(self.sa_url)
        self.backend = self.sa_url.get_backend_name()
        self._engine = make_engine(self.sa_url)
        try:
            migrations.upgrade(self._engine)
        except SQLAlchemyError as error:
            self._engine.dispose()
            raise StoreError(
                f"cannot open the history database {describe_error(self.sa_url, error)}"
            ) from None
        except KitprofError:
            self._engine.dispose()
            raise

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def ingest(
        self,
        source: str | Path | bytes,
        *,
        context: RunContext | None = None,
        source_name: str | None = None,
        allow_truncated: bool = False,
        build: str | None = None,
    ) -> IngestResult:
        """Store the one build of a stream (a file, plain or gzip, or its bytes).

        ``build`` (a number from 1 or a name) picks one of a stream that holds several;
        without it such a stream raises :class:`~profiler.sources.SeveralBuilds` and
        stores nothing. See :meth:`ingest_builds`.
        """
        from profiler.sources import SeveralBuilds

        label = source_name or ("stream" if isinstance(source, bytes) else str(source))
        kept, prepared = self._prepare_builds(source, label, allow_truncated)
        if build is None and len(prepared) > 1:
            raise SeveralBuilds(label, [derived.build for _, derived in prepared])
        chosen = chosen_builds(prepared, build, label)
        return self._store_builds(kept, chosen, context, source_name or label)[0]

    def ingest_builds(
        self,
        source: str | Path | bytes,
        *,
        context: RunContext | None = None,
        source_name: str | None = None,
        allow_truncated: bool = False,
        build: str | None = None,
    ) -> list[IngestResult]:
        """Store every build of a stream (or the one ``build`` names), each as its own run.

        Idempotent: a run already stored (same SHA-256 of its uncompressed stream, and
        for one build of several the same build number) is not stored again, whoever
        else is ingesting it at the same moment. A stream that is not a BuildKit
        stream, or (unless ``allow_truncated``) is cut off, raises
        :class:`StreamError` and stores nothing. Each build of a stream that holds
        several gets the label ``build`` (its name, else its number) unless the
        context sets one.
        """
        label = source_name or ("stream" if isinstance(source, bytes) else str(source))
        kept, prepared = self._prepare_builds(source, label, allow_truncated)
        chosen = chosen_builds(prepared, build, label) if build is not None else prepared
        return self._store_builds(kept, chosen, context, source_name or label)

    def _prepare_builds(
        self, source: str | Path | bytes, label: str, allow_truncated: bool
    ) -> tuple[KeptStream, list[tuple[int | None, Derived]]]:
        return prepare_builds(source, label, allow_truncated)

    def _store_builds(
        self,
        kept: KeptStream,
        prepared: list[tuple[int | None, Derived]],
        context: RunContext | None,
        source: str,
    ) -> list[IngestResult]:
        context = context or RunContext()
        results = []
        for index, derived in prepared:
            name = derived.build.name
            own = with_recorded_dockerfile(build_context(context, index, name), derived.build)
            result = self._insert(kept, derived, own, source, index)
            results.append(dataclasses.replace(result, build_index=index, build_name=name))
        return results

    @_translated
    def _insert(
        self,
        kept: KeptStream,
        derived: Derived,
        context: RunContext,
        source: str,
        build_index: int | None = None,
    ) -> IngestResult:
        values = run_values(kept, derived, context, source, build_index=build_index)
        sha256 = values["stream_sha256"]
        blob = kept.blob
        labels = [{"key": key, "value": value} for key, value in context.labels.items()]

        def work(connection: Connection) -> IngestResult:
            run_id = connection.execute(insert_run(connection, values)).scalar()
            if run_id is None:
                existing = connection.execute(
                    select(runs.c.id).where(runs.c.stream_sha256 == sha256)
                ).scalar_one()
                added, refused = self._add_labels(connection, existing, context.labels)
                return IngestResult(
                    run_id=existing,
                    created=False,
                    sha256=sha256,
                    labels_added=added,
                    labels_refused=refused,
                )
            connection.execute(
                run_streams.insert().values(run_id=run_id, compression=COMPRESSION, data=blob)
            )
            insert_rows(connection, run_id, derived, labels)
            write_files(connection, run_id, context.files)
            return IngestResult(run_id=run_id, created=True, sha256=sha256)

        return write_transaction(self._engine, work)

    @_translated
    def reanalyze(
        self,
        run_ids: Sequence[int] | None = None,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> ReanalyzeResult:
        """Rebuild every derived row of the given runs (all runs by default) from their
        stored streams, one transaction per run. Labels and context are kept."""
        if run_ids is None:
            with self._engine.connect() as connection:
                ids = list(connection.execute(select(runs.c.id).order_by(runs.c.id)).scalars())
        else:
            ids = list(run_ids)
            self._check_exist(ids)
        done = 0
        failures: list[tuple[int, str]] = []
        for run_id in ids:
            try:
                derived = derive(parse_stream(self.stream(run_id), self._build_index(run_id)))
            except StreamError as error:
                failures.append((run_id, str(error)))
            else:
                self._replace_derived(run_id, derived)
                done += 1
            if on_progress is not None:
                on_progress(1)
        return ReanalyzeResult(reanalyzed=done, failures=tuple(failures))

    def _replace_derived(self, run_id: int, derived: Derived) -> None:
        values = {key: derived.run[key] for key in DERIVED_RUN_COLUMNS if key in derived.run}
        if values.get("started_at") is None:
            values.pop("started_at", None)  # keep the time the run was given at ingest
        values["analyzed_at"] = datetime.now(UTC).replace(tzinfo=None)

        def work(connection: Connection) -> None:
            connection.execute(update(runs).where(runs.c.id == run_id).values(values))
            connection.execute(delete(stages).where(stages.c.run_id == run_id))
            connection.execute(delete(steps).where(steps.c.run_id == run_id))
            insert_rows(connection, run_id, derived, [])

        write_transaction(self._engine, work)

    # -- reading -------------------------------------------------------------------

    @_translated
    def runs(
        self,
        *,
        build: str | None = None,
        branch: str | None = None,
        labels: Mapping[str, str] | None = None,
        status: str | None = None,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Stored runs, newest first."""
        query = (
            select(*(runs.c[name] for name in RECORD_COLUMNS))
            .where(*run_filters(branch, labels, status, build))
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
            by_run = self._labels_of(connection, [row.id for row in rows])
        return [record_from_row(row, by_run.get(row.id, {})) for row in rows]

    @_translated
    def count(
        self,
        *,
        build: str | None = None,
        branch: str | None = None,
        labels: Mapping[str, str] | None = None,
        status: str | None = None,
    ) -> int:
        conditions = run_filters(branch, labels, status, build)
        query = select(func.count()).select_from(runs).where(*conditions)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    @_translated
    def builds(self) -> list[BuildSummary]:
        """Every build the history holds runs of, the most recently run first."""
        query = (
            select(runs.c.build_name, func.count(), func.max(runs.c.started_at))
            .group_by(runs.c.build_name)
            .order_by(func.max(runs.c.started_at).desc(), runs.c.build_name)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            BuildSummary(name or "", int(count), aware_utc(last) or datetime.now(UTC))
            for name, count, last in rows
        ]

    @_translated
    def run(self, run_id: int) -> RunRecord:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(*(runs.c[name] for name in RECORD_COLUMNS)).where(runs.c.id == run_id)
            ).first()
            if row is None:
                raise RunNotFound(f"no run {run_id} in {self.url}")
            return record_from_row(row, self._labels_of(connection, [run_id]).get(run_id, {}))

    @_translated
    def find(self, sha256: str) -> RunRecord | None:
        """The run of the stream with this SHA-256, if it is stored."""
        with self._engine.connect() as connection:
            run_id = connection.execute(
                select(runs.c.id).where(runs.c.stream_sha256 == sha256)
            ).scalar()
        return None if run_id is None else self.run(run_id)

    def resolve(
        self,
        reference: str,
        *,
        build: str | None = None,
        branch: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> RunRecord:
        """A run by id (``42``), or ``latest`` / ``latest~N`` (the Nth before the
        newest, among runs matching ``branch`` and ``labels``)."""
        text = reference.strip().lstrip("#")
        if text.isdigit():
            return self.run(int(text))
        if text == "latest" or text.startswith("latest~"):
            back = text.removeprefix("latest").removeprefix("~") or "0"
            if not back.isdigit():
                raise RunNotFound(f"not a run reference: {reference!r}")
            found = self.runs(build=build, branch=branch, labels=labels, limit=1, offset=int(back))
            if not found:
                where = f" of build {build}" if build else ""
                where += f" on branch {branch}" if branch else ""
                raise RunNotFound(f"no run {reference}{where} in {self.url}")
            return found[0]
        raise RunNotFound(f"not a run reference: {reference!r} (use an id, latest or latest~N)")

    @_translated
    def stream(self, run_id: int) -> bytes:
        """The run's raw stream, uncompressed, exactly as it was ingested."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(run_streams.c.compression, run_streams.c.data).where(
                    run_streams.c.run_id == run_id
                )
            ).first()
        if row is None:
            raise RunNotFound(f"no run {run_id} in {self.url}")
        return decompress(bytes(row.data), row.compression)

    @_translated
    def attach(self, run_id: int, files: Mapping[str, bytes]) -> None:
        """Keep ``files`` (by name, :mod:`profiler.store.files`) with a stored run,
        replacing files of the same names."""
        self._check_exist([run_id])
        write_transaction(self._engine, lambda connection: write_files(connection, run_id, files))

    @_translated
    def file(self, run_id: int, name: str) -> bytes | None:
        """The file kept under ``name`` with the run (``None`` if it has none)."""
        with self._engine.connect() as connection:
            return read_file(connection, run_id, name)

    @_translated
    def file_names(self, run_id: int) -> list[str]:
        with self._engine.connect() as connection:
            return file_names(connection, run_id)

    def build(self, run_id: int, dockerfile: Dockerfile | None = None) -> Build:
        """The run's Build, read again from its stored stream by today's reader
        (``dockerfile`` gives a plain log's stages their ``FROM`` dependencies). A run
        stored from its stream with Docker's record kept beside it (``files.RECORD``)
        gets the record's facts too: provenance, LLB edges, layer sizes."""
        build = parse_stream(self.stream(run_id), self._build_index(run_id), dockerfile)
        if build.record is None:
            kept = self.file(run_id, RECORD)
            if kept is not None:
                from profiler.sources.dockerbuild import with_record

                build = with_record(build, kept)
        return build

    @_translated
    def _build_index(self, run_id: int) -> int | None:
        with self._engine.connect() as connection:
            index = connection.execute(
                select(runs.c.build_index).where(runs.c.id == run_id)
            ).scalar()
        return None if index is None else int(index)

    @_translated
    def history(
        self,
        *,
        build: str | None = None,
        branch: str | None = None,
        labels: Mapping[str, str] | None = None,
        statuses: Sequence[str] | None = ("success",),
        before: RunRecord | None = None,
        limit: int | None = None,
        stage: str | None = None,
    ) -> list[RunMetrics]:
        """Metrics of the matching runs, oldest first: the last ``limit`` of them
        (all if ``None``), only those older than ``before`` if given.

        With ``stage``, only that stage's figures are kept (the others are left out of
        each run's ``stages``).
        """
        condition, parameters = run_conditions(
            build=build,
            branch=branch,
            labels=labels,
            statuses=statuses,
            before=None if before is None else (naive_utc(before.started_at), before.id),
        )
        with self._engine.connect() as connection:
            return history_metrics(connection, condition, parameters, limit, stage)

    @_translated
    def newest_build(
        self, *, branch: str | None = None, labels: Mapping[str, str] | None = None
    ) -> str | None:
        """The build of the newest run of ``branch`` with ``labels`` (whatever its
        status; ``None`` if there is none): the one ``kitprof trends`` shows by default."""
        condition, parameters = run_conditions(branch=branch, labels=labels)
        with self._engine.connect() as connection:
            row = connection.execute(text(newest_build_query(condition)), parameters).first()
        return None if row is None else row[0]

    @_translated
    def metrics(self, run_id: int) -> RunMetrics:
        """The metrics of one stored run (whatever its status)."""
        with self._engine.connect() as connection:
            by_run = stage_rows_metrics(connection, [run_id])
        return self.run(run_id).metrics(stages=by_run.get(run_id, {}))

    # -- helpers -------------------------------------------------------------------

    @_translated
    def add_labels(
        self, run_id: int, labels: Mapping[str, str]
    ) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """Give a stored run labels, as ingesting its stream again with them would:
        see :meth:`_add_labels`."""
        self._check_exist([run_id])
        return write_transaction(
            self._engine, lambda connection: self._add_labels(connection, run_id, labels)
        )

    def _add_labels(
        self, connection: Connection, run_id: int, labels: Mapping[str, str]
    ) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """Labels given again for a stored run: those it lacks are added, unless one
        contradicts a label it has; then none is (a run's labels never change
        silently, and never half). ``(added, refused as key: (given, stored))``."""
        if not labels:
            return {}, {}
        stored = self._labels_of(connection, [run_id]).get(run_id, {})
        refused = {
            key: (value, stored[key])
            for key, value in labels.items()
            if key in stored and stored[key] != value
        }
        if refused:
            return {}, refused
        added = {key: value for key, value in labels.items() if key not in stored}
        if added:
            connection.execute(
                run_labels.insert(),
                [{"run_id": run_id, "key": key, "value": value} for key, value in added.items()],
            )
        return added, {}

    def _labels_of(
        self, connection: Connection, run_ids: Sequence[int]
    ) -> dict[int, dict[str, str]]:
        if not run_ids:
            return {}
        labelled: dict[int, dict[str, str]] = {}
        rows = connection.execute(
            select(run_labels.c.run_id, run_labels.c.key, run_labels.c.value)
            .where(run_labels.c.run_id.in_(list(run_ids)))
            .order_by(run_labels.c.run_id, run_labels.c.key)
        )
        for run_id, key, value in rows:
            labelled.setdefault(run_id, {})[key] = value
        return labelled

    def _check_exist(self, run_ids: Sequence[int]) -> None:
        with self._engine.connect() as connection:
            found = set(
                connection.execute(select(runs.c.id).where(runs.c.id.in_(list(run_ids)))).scalars()
            )
        missing = [run_id for run_id in run_ids if run_id not in found]
        if missing:
            raise RunNotFound(f"no run {', '.join(map(str, missing))} in {self.url}")

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A read connection, for tests and tools that query the tables directly."""
        with self._engine.connect() as connection:
            yield connection
