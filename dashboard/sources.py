"""Where the dashboard's runs come from: the history store, and files given at launch.

Both kinds are read-only :class:`RunSource` objects with the same few queries, and one
:class:`Catalog` joins them, so every page works the same whether a run was stored by
``kitprof run`` or named on the ``kitprof dashboard`` command line. A run is addressed
by a *ref*, a short string unique in the catalog: the history's run 42 is ``"42"``, the
third file given is ``"f3"``. Refs appear in URLs (``/build/f3``).

Nothing here is module-level state: a Catalog lives inside one Dash app (one per
process under gunicorn), and what it caches is immutable (builds, analyses), so
concurrent requests share it safely.
"""

from __future__ import annotations

import heapq
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from profiler.analysis import BuildAnalysis, analyze
from profiler.analysis.trends import RunMetrics
from profiler.errors import KitprofError
from profiler.model import Build, Stage

if TYPE_CHECKING:
    from profiler.analysis.cachemiss import RunSide
    from profiler.dockerfile import Dockerfile
    from profiler.store import BuildSummary, RunRecord, Store
    from profiler.suggest import SuggestionReport

RunRef = str
K = TypeVar("K")
V = TypeVar("V")

FILES_PREFIX = "f"
FILES_SOURCE = "files"
"""The name of the source of files given at launch (:mod:`dashboard.files`)."""
DEFAULT_CACHED_BUILDS = 4
"""Builds read from the store kept in memory per process: a 5,000-step build with its
logs takes a few hundred MB, and a user mostly looks at a handful of runs in turn."""


class UnknownRun(KitprofError):
    """A ref that names no run in the catalog (a stale or mistyped URL)."""


@dataclass(frozen=True, slots=True)
class RunFilters:
    build: str | None = None
    """Only runs of this build (:mod:`profiler.identity`); ``None``: every build."""
    branch: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    status: str | None = None


class RunSource(Protocol):
    """A read-only collection of runs with integer ids, newest first."""

    name: str
    prefix: str

    def runs(self, filters: RunFilters, *, limit: int, offset: int = 0) -> list[RunRecord]: ...

    def count(self, filters: RunFilters) -> int: ...

    def run(self, run_id: int) -> RunRecord: ...

    def build(self, run_id: int) -> Build: ...

    def dockerfile(self, run_id: int, build: Build | None = None) -> Dockerfile | None:
        """The run's Dockerfile if known; ``build`` is the run's Build when the caller
        has it already."""
        ...

    def history(self, filters: RunFilters, *, limit: int | None) -> list[RunMetrics]:
        """Metrics of the matching successful runs, oldest first (the last ``limit``)."""
        ...

    def branches(self) -> list[str]: ...

    def labels(self) -> list[tuple[str, str]]: ...

    def builds(self) -> list[BuildSummary]:
        """Every build with runs here, the most recently run first."""
        ...


# -- the history store -----------------------------------------------------------------


@runtime_checkable
class AnalysedSource(RunSource, Protocol):
    """A source that keeps each run's analysis (files read at launch)."""

    def analysis(self, run_id: int) -> BuildAnalysis: ...


class StoreSource:
    """The history store. The database is opened once per process: a Store made before
    gunicorn forks its workers is not used in them (a shared connection pool would mix
    their conversations with PostgreSQL)."""

    name = "history"
    prefix = ""

    def __init__(self, db: str | None) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._opened: tuple[int, Store] | None = None
        self.url = self._store().url  # open now: a bad URL fails at launch, not later

    def _store(self) -> Store:
        from profiler.store import Store

        with self._lock:
            if self._opened is None or self._opened[0] != os.getpid():
                self._opened = (os.getpid(), Store(self._db))
            return self._opened[1]

    def close(self) -> None:
        with self._lock:
            if self._opened is not None and self._opened[0] == os.getpid():
                self._opened[1].close()
            self._opened = None

    def runs(self, filters: RunFilters, *, limit: int, offset: int = 0) -> list[RunRecord]:
        return self._store().runs(
            build=filters.build,
            branch=filters.branch,
            labels=filters.labels or None,
            status=filters.status,
            limit=limit,
            offset=offset,
        )

    def count(self, filters: RunFilters) -> int:
        return self._store().count(
            build=filters.build,
            branch=filters.branch,
            labels=filters.labels or None,
            status=filters.status,
        )

    def run(self, run_id: int) -> RunRecord:
        from profiler.store import RunNotFound

        try:
            return self._store().run(run_id)
        except RunNotFound:
            raise UnknownRun(f"no run {run_id} in the history") from None

    def build(self, run_id: int) -> Build:
        from profiler.store import RunNotFound

        try:
            return self._store().build(run_id)
        except RunNotFound:
            raise UnknownRun(f"no run {run_id} in the history") from None

    def dockerfile(self, run_id: int, build: Build | None = None) -> Dockerfile | None:
        # The Dockerfile kept with the run (ingest --dockerfile, a build record's
        # provenance), never a path read from the server's disk: a path recorded in
        # the database would show files to whoever can write runs.
        from profiler.dockerfile import DockerfileError, parse_dockerfile, recorded_dockerfile
        from profiler.store.files import DOCKERFILE

        kept = self._store().file(run_id, DOCKERFILE)
        if kept is not None:
            try:
                return parse_dockerfile(kept.decode("utf-8", errors="replace"))
            except DockerfileError:
                return None
        # Runs stored before the Dockerfile was kept: a build record carries its own.
        return recorded_dockerfile(build if build is not None else self.build(run_id))

    def stages(self, run_id: int) -> tuple[list[Stage], dict[str, float]]:
        """The run's stages as the history keeps them (in start order) and each one's
        seconds on the critical path by label: its stage chart without its stream."""
        from sqlalchemy import select

        from profiler.store.schema import stages

        # Stored in the Build's order (first start first).
        query = select(stages).where(stages.c.run_id == run_id).order_by(stages.c.position)
        with self._store().connection() as connection:
            rows = connection.execute(query).all()
        found = [
            Stage(
                target=row.target,
                name=row.name,
                start=row.start_seconds,
                end=row.end_seconds,
                busy=row.busy_seconds,
                sequential=row.sequential_seconds,
                steps=row.steps,
                cached=row.cached,
                failed=row.failed,
            )
            for row in rows
        ]
        return found, {row.label: row.critical_path_seconds for row in rows}

    def kept_file(self, run_id: int, name: str) -> bytes | None:
        """A file kept with the run (:mod:`profiler.store.files`), or ``None``."""
        return self._store().file(run_id, name)

    def history(self, filters: RunFilters, *, limit: int | None) -> list[RunMetrics]:
        return self._store().history(
            build=filters.build, branch=filters.branch, labels=filters.labels or None, limit=limit
        )

    def builds(self) -> list[BuildSummary]:
        return self._store().builds()

    def branches(self) -> list[str]:
        from sqlalchemy import select

        from profiler.store.schema import runs

        query = select(runs.c.git_branch).where(runs.c.git_branch.is_not(None)).distinct()
        with self._store().connection() as connection:
            return sorted(str(value) for value in connection.execute(query).scalars())

    def labels(self) -> list[tuple[str, str]]:
        from sqlalchemy import select

        from profiler.store.schema import run_labels

        query = select(run_labels.c.key, run_labels.c.value).distinct()
        with self._store().connection() as connection:
            return sorted((str(key), str(value)) for key, value in connection.execute(query))


# -- the catalog -----------------------------------------------------------------------


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used cache of immutable values."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        # Made outside the lock: reading a large build must not stall other pages.
        # Two requests for the same key may both make it; the values are equal.
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class CatalogRun:
    """A run as the catalog lists it: its ref, where it comes from, its record."""

    ref: RunRef
    source: str
    record: RunRecord

    @property
    def label(self) -> str:
        """What a person calls it: ``#42``, or the file's name for a file."""
        if self.source == FILES_SOURCE:
            label = f"{self.ref} {Path(self.record.source or '').name}".strip()
            index = self.record.build_index
            return label if index is None else f"{label} (build {index})"
        return f"#{self.ref}"


class Catalog:
    """Every run the dashboard can show, from one or more sources."""

    def __init__(
        self, sources: Sequence[RunSource], *, cached_builds: int = DEFAULT_CACHED_BUILDS
    ) -> None:
        prefixes = [source.prefix for source in sources]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"two sources share a ref prefix: {prefixes}")
        self.sources = tuple(sources)
        self._builds: LRU[RunRef, tuple[Build, BuildAnalysis]] = LRU(cached_builds)
        self._suggestions: LRU[RunRef, SuggestionReport] = LRU(cached_builds * 4)

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.sources)

    def resolve(self, ref: RunRef) -> tuple[RunSource, int]:
        text = ref.strip()
        digits = text.lstrip("abcdefghijklmnopqrstuvwxyz")
        prefix = text[: len(text) - len(digits)]
        if digits.isdigit():
            for source in self.sources:
                if source.prefix == prefix:
                    return source, int(digits)
        raise UnknownRun(f"no run {ref!r}")

    def ref(self, source: RunSource, run_id: int) -> RunRef:
        return f"{source.prefix}{run_id}"

    def run(self, ref: RunRef) -> CatalogRun:
        source, run_id = self.resolve(ref)
        return CatalogRun(self.ref(source, run_id), source.name, source.run(run_id))

    def count(self, filters: RunFilters) -> int:
        return sum(source.count(filters) for source in self.sources)

    def runs(self, filters: RunFilters, *, limit: int, offset: int = 0) -> list[CatalogRun]:
        """The matching runs of every source, newest first."""
        if len(self.sources) == 1:
            source = self.sources[0]
            return [
                CatalogRun(self.ref(source, record.id), source.name, record)
                for record in source.runs(filters, limit=limit, offset=offset)
            ]
        # Each source is sorted already: merge their first offset+limit runs. Deep
        # pages cost more, but files given at launch are few and a history is paged.
        streams = [
            [
                CatalogRun(self.ref(source, record.id), source.name, record)
                for record in source.runs(filters, limit=offset + limit)
            ]
            for source in self.sources
        ]
        merged = heapq.merge(
            *streams, key=lambda run: (run.record.started_at, run.record.id), reverse=True
        )
        return list(merged)[offset : offset + limit]

    def build(self, ref: RunRef) -> tuple[Build, BuildAnalysis]:
        """The run's Build and its analysis (cached: both are immutable)."""
        source, run_id = self.resolve(ref)
        if isinstance(source, AnalysedSource):  # files: analysed once, at launch
            return source.build(run_id), source.analysis(run_id)

        def make() -> tuple[Build, BuildAnalysis]:
            build = source.build(run_id)
            return build, analyze(build)

        return self._builds.get(self.ref(source, run_id), make)

    def stored_stages(self, ref: RunRef) -> tuple[list[Stage], dict[str, float]] | None:
        """A history run's stages from its rows while its Build is not in memory yet
        (reading a big stream takes seconds); ``None`` when the Build is at hand."""
        source, run_id = self.resolve(ref)
        if not isinstance(source, StoreSource) or self.ref(source, run_id) in self._builds:
            return None
        return source.stages(run_id)

    def dockerfile(self, ref: RunRef) -> Dockerfile | None:
        """The run's Dockerfile when it is known (kept with it, beside its file, or in
        its build record)."""
        source, run_id = self.resolve(ref)
        build, _ = self.build(ref)  # cached: not read from the store a second time
        return source.dockerfile(run_id, build)

    def run_side(self, ref: RunRef) -> RunSide:
        """The run as the cache-miss analysis sees it: with the Dockerfile and context
        manifest kept with a stored run, and its recorded command. Never git: a
        dashboard does not run commands on paths read from a shared database."""
        from profiler.runside import run_side
        from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE

        source, run_id = self.resolve(ref)
        build, _ = self.build(ref)
        kept = source.kept_file if isinstance(source, StoreSource) else None
        return run_side(
            build,
            dockerfile=kept(run_id, DOCKERFILE) if kept else None,
            manifest=kept(run_id, CONTEXT_MANIFEST) if kept else None,
            command=source.run(run_id).command,
        )

    def suggestions(self, ref: RunRef) -> SuggestionReport:
        """What to change in the Dockerfile (slow on a large build: cached)."""
        from profiler.suggest import suggest

        def make() -> SuggestionReport:
            build, _ = self.build(ref)
            return suggest(build, self.dockerfile(ref))

        return self._suggestions.get(ref, make)

    def history(self, filters: RunFilters, *, limit: int | None) -> list[tuple[RunRef, RunMetrics]]:
        """Successful runs' metrics, oldest first, with their refs: the last ``limit``
        of all sources together."""
        found: list[tuple[RunRef, RunMetrics]] = []
        for source in self.sources:
            for metrics in source.history(filters, limit=limit):
                found.append((self.ref(source, metrics.run_id or 0), metrics))
        found.sort(key=lambda item: (_moment(item[1].started_at), item[0]))
        return found[-limit:] if limit is not None else found

    def branches(self) -> list[str]:
        return sorted({branch for source in self.sources for branch in source.branches()})

    def labels(self) -> list[tuple[str, str]]:
        return sorted({label for source in self.sources for label in source.labels()})

    def builds(self) -> list[BuildSummary]:
        """Every build of every source, the most recently run first."""
        return merged_builds(summary for source in self.sources for summary in source.builds())

    def newest_build(self) -> str | None:
        """The build of the most recent run: what a page scoped to one build shows first."""
        builds = self.builds()
        return builds[0].name if builds else None

    def close(self) -> None:
        for source in self.sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()


def merged_builds(summaries: Iterable[BuildSummary]) -> list[BuildSummary]:
    """One summary per build name (runs added up, the latest start kept), the most
    recently run first."""
    from profiler.store import BuildSummary

    by_name: dict[str, BuildSummary] = {}
    for summary in summaries:
        seen = by_name.get(summary.name)
        if seen is None:
            by_name[summary.name] = summary
        else:
            last = max(seen.last_started_at, summary.last_started_at)
            by_name[summary.name] = BuildSummary(summary.name, seen.runs + summary.runs, last)
    return sorted(by_name.values(), key=lambda s: (-s.last_started_at.timestamp(), s.name))


def _moment(value: datetime | None) -> datetime:
    return value if value is not None else datetime.min.replace(tzinfo=UTC)
