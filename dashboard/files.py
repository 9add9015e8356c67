"""Files named on the ``kitprof dashboard`` command line, as a read-only
:class:`~dashboard.sources.RunSource`: each build of each file is one run, read once
at launch (streams, CI logs, ``.dockerbuild`` records), with the Dockerfile beside it
or in its record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.sources import FILES_PREFIX, FILES_SOURCE, RunFilters, UnknownRun, merged_builds
from profiler.analysis import BuildAnalysis
from profiler.analysis.trends import RunMetrics, run_metrics
from profiler.errors import KitprofError
from profiler.model import Build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile
    from profiler.store import BuildSummary, RunRecord


@dataclass(frozen=True, slots=True)
class LoadedFile:
    record: RunRecord
    build: Build
    analysis: BuildAnalysis
    metrics: RunMetrics
    dockerfile: Dockerfile | None


class FileSource:
    """Streams read once at launch and kept in memory, numbered 1… in the order given."""

    name = FILES_SOURCE
    prefix = FILES_PREFIX

    def __init__(self, files: Sequence[LoadedFile]) -> None:
        self._files = {loaded.record.id: loaded for loaded in files}
        # Newest first, as the store lists runs.
        self._ordered = sorted(
            files, key=lambda loaded: (loaded.record.started_at, loaded.record.id), reverse=True
        )

    def __len__(self) -> int:
        return len(self._files)

    def _matching(self, filters: RunFilters) -> list[LoadedFile]:
        def matches(record: RunRecord) -> bool:
            if filters.build is not None and record.build_name != filters.build:
                return False
            if filters.branch is not None and record.git_branch != filters.branch:
                return False
            if filters.status is not None and record.status != filters.status:
                return False
            return all(record.labels.get(key) == value for key, value in filters.labels.items())

        return [loaded for loaded in self._ordered if matches(loaded.record)]

    def _get(self, run_id: int) -> LoadedFile:
        try:
            return self._files[run_id]
        except KeyError:
            raise UnknownRun(f"no run {FILES_PREFIX}{run_id} among the files given") from None

    def runs(self, filters: RunFilters, *, limit: int, offset: int = 0) -> list[RunRecord]:
        return [loaded.record for loaded in self._matching(filters)[offset : offset + limit]]

    def count(self, filters: RunFilters) -> int:
        return len(self._matching(filters))

    def run(self, run_id: int) -> RunRecord:
        return self._get(run_id).record

    def build(self, run_id: int) -> Build:
        return self._get(run_id).build

    def analysis(self, run_id: int) -> BuildAnalysis:
        return self._get(run_id).analysis

    def dockerfile(self, run_id: int, build: Build | None = None) -> Dockerfile | None:
        return self._get(run_id).dockerfile

    def history(self, filters: RunFilters, *, limit: int | None) -> list[RunMetrics]:
        chosen = [f for f in self._matching(filters) if f.record.status == "success"]
        chosen = chosen[:limit] if limit is not None else chosen
        return [loaded.metrics for loaded in reversed(chosen)]

    def branches(self) -> list[str]:
        return sorted({f.record.git_branch for f in self._ordered if f.record.git_branch})

    def labels(self) -> list[tuple[str, str]]:
        return sorted({item for f in self._ordered for item in f.record.labels.items()})

    def builds(self) -> list[BuildSummary]:
        from profiler.store import BuildSummary

        return merged_builds(
            BuildSummary(f.record.build_name, 1, f.record.started_at) for f in self._ordered
        )


def load_file(path: Path, first_id: int, build: str | None = None) -> list[LoadedFile]:
    """Read one stream as the store would ingest it: each of its builds (or the one
    ``build`` names, a number from 1 or a name) numbered from ``first_id``, with the
    context that ``kitprof run`` wrote beside it (its run file) if there is one, and
    the Dockerfile of its folder (for suggestions with diffs) if there is one."""
    from profiler.runfile import run_info_beside
    from profiler.sources import build_position, read_builds, read_input
    from profiler.store import run_context
    from profiler.store.derive import derive
    from profiler.store.records import unstored_record
    from profiler.store.writing import build_context

    raw = read_input(path)
    if not raw.strip():
        raise KitprofError(f"{path} is empty")
    try:
        builds = read_builds(raw)
    except KitprofError as error:
        raise KitprofError(f"{path}: {error}") from None
    numbered: list[tuple[int | None, Build]] = (
        [(None, builds[0])] if len(builds) == 1 else list(enumerate(builds, start=1))
    )
    if build is not None:
        numbered = [numbered[build_position(builds, build, str(path))]]
    context = run_context(run_info_beside(path))
    dockerfile = _dockerfile_beside(path)
    loaded = []
    for offset, (index, one) in enumerate(numbered):
        derived = derive(one)
        run_id = first_id + offset
        record = unstored_record(
            run_id,
            raw,
            derived,
            build_context(context, index, one.name),
            str(path),
            started_fallback=_modified(path),
            build_index=index,
        )
        metrics = run_metrics(
            one,
            derived.analysis,
            run_id=run_id,
            status=record.status,
            git_branch=record.git_branch,
            git_commit=record.git_commit,
        )
        metrics = dataclasses.replace(metrics, started_at=record.started_at)
        loaded.append(
            LoadedFile(record, one, derived.analysis, metrics, dockerfile or _recorded(one))
        )
    return loaded


def load_files(
    paths: Iterable[Path],
    on_loaded: Callable[[Path], None] | None = None,
    *,
    build: str | None = None,
) -> FileSource:
    """Read the streams, every build of each (or the one ``build`` names in each); the
    same stream given twice (e.g. by overlapping globs) counts once."""
    loaded: list[LoadedFile] = []
    seen: set[str] = set()
    for path in paths:
        for entry in load_file(path, len(loaded) + 1, build):
            if entry.record.stream_sha256 in seen:
                continue
            seen.add(entry.record.stream_sha256)
            loaded.append(entry)
        if on_loaded is not None:
            on_loaded(path)
    return FileSource(loaded)


def _modified(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return None


def _recorded(build: Build) -> Dockerfile | None:
    """The Dockerfile a build record (.dockerbuild) carries, if the file was one."""
    from profiler.dockerfile import recorded_dockerfile

    return recorded_dockerfile(build)


def _dockerfile_beside(path: Path) -> Dockerfile | None:
    from profiler.dockerfile import read_dockerfile

    candidate = path.parent / "Dockerfile"
    if not candidate.is_file():
        return None
    try:
        return read_dockerfile(candidate)
    except KitprofError:
        return None  # not a Dockerfile kitprof can read: suggestions come without lines
