"""What each page shows, as plain data: the functions the callbacks delegate to.

Each function takes the :class:`~dashboard.sources.Catalog` and what the URL or a
control says, and returns a frozen view object that the layout builders turn into
components. No Dash here: these are tested as ordinary functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from dashboard.sources import Catalog, CatalogRun, RunFilters, RunRef, UnknownRun
from dashboard.urls import ALL_BUILDS
from profiler.analysis import BuildAnalysis, step_stage_label
from profiler.analysis.cachemiss import CacheMisses, explain_cache_misses
from profiler.analysis.compare import Comparison, compare_builds
from profiler.analysis.trends import RunMetrics, Trend, trends
from profiler.model import Build, Stage, Step

if TYPE_CHECKING:
    from profiler.store import BuildSummary

PAGE_SIZE = 50
SPARK_RUNS = 20
"""A run's sparkline: its wall time and that of the runs listed before it."""
TREND_RUNS = 200
"""Runs on the Runs page's trend chart."""
OPTION_RUNS = 200
"""Runs offered by the compare page's pickers."""
TRENDS_DEFAULT_LAST = 100
LOG_TAIL_LINES = 400
LOG_MAX_CHARS = 200_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


# -- runs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRow:
    run: CatalogRun
    spark: tuple[float, ...]
    """Wall times, oldest first, ending with this run's."""

    @property
    def ref(self) -> RunRef:
        return self.run.ref


def scoped(catalog: Catalog, filters: RunFilters, *, allow_all: bool = False) -> RunFilters:
    """The filters of a page that shows one build: the URL's build, else the build of
    the newest run. ``build=*`` means every build where ``allow_all`` (the Runs list)."""
    if filters.build == ALL_BUILDS:
        return filters if allow_all else replace(filters, build=catalog.newest_build())
    if filters.build is None:
        return replace(filters, build=catalog.newest_build())
    return filters


def source_filters(filters: RunFilters) -> RunFilters:
    """What the sources are asked: ``build=*`` is no build filter at all."""
    return replace(filters, build=None) if filters.build == ALL_BUILDS else filters


@dataclass(frozen=True, slots=True)
class RunsView:
    filters: RunFilters
    page: int
    pages: int
    total: int
    rows: tuple[RunRow, ...]
    trend: tuple[CatalogRun, ...]
    """The newest matching runs, oldest first, for the trend chart."""
    branches: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    page_size: int
    builds: tuple[BuildSummary, ...] = ()

    @property
    def all_builds(self) -> bool:
        return self.filters.build == ALL_BUILDS


def runs_view(
    catalog: Catalog, filters: RunFilters, page: int = 1, *, page_size: int = PAGE_SIZE
) -> RunsView:
    shown = scoped(catalog, filters, allow_all=True)
    filters = source_filters(shown)
    total = catalog.count(filters)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    offset = (page - 1) * page_size
    # One query for the page and the runs before its last row, for the sparklines.
    listed = catalog.runs(filters, limit=page_size + SPARK_RUNS - 1, offset=offset)
    rows = tuple(
        RunRow(run, sparkline_values(listed, index)) for index, run in enumerate(listed[:page_size])
    )
    newest = catalog.runs(filters, limit=TREND_RUNS)
    return RunsView(
        filters=shown,
        page=page,
        pages=pages,
        total=total,
        rows=rows,
        trend=tuple(reversed(newest)),
        branches=tuple(catalog.branches()),
        labels=tuple(catalog.labels()),
        sources=catalog.source_names,
        page_size=page_size,
        builds=tuple(catalog.builds()),
    )


def sparkline_values(newest_first: Sequence[CatalogRun], index: int) -> tuple[float, ...]:
    """Wall times of run ``index`` and the (up to) ``SPARK_RUNS - 1`` runs of its build
    listed after it (older), oldest first: a list of every build never mixes them."""
    build = newest_first[index].record.build_name
    window = [run for run in newest_first[index:] if run.record.build_name == build]
    return tuple(run.record.wall_seconds for run in reversed(window[:SPARK_RUNS]))


def record_metrics(run: CatalogRun) -> RunMetrics:
    """The few numbers of a listed run that a history chart draws (no stages)."""
    return run.record.metrics()


def picked_compare(refs: Sequence[RunRef]) -> tuple[RunRef, RunRef] | None:
    """The two runs ticked on the Runs page, older (listed lower) as A; else None."""
    if len(refs) != 2:
        return None
    return refs[1], refs[0]


# -- one build -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildView:
    run: CatalogRun
    build: Build
    analysis: BuildAnalysis
    approximate: bool
    has_dockerfile: bool


def build_view(catalog: Catalog, ref: RunRef) -> BuildView:
    run = catalog.run(ref)
    build, analysis = catalog.build(run.ref)
    return BuildView(
        run=run,
        build=build,
        analysis=analysis,
        approximate=build.approximate,
        has_dockerfile=catalog.dockerfile(run.ref) is not None,
    )


QUICK_VERTICES = 150
"""Above this many vertices a history run's page opens on its stored rows while its
stream is read (below, reading it is quicker than a second round trip)."""


def quick_build(
    catalog: Catalog, ref: RunRef, *, above: int = QUICK_VERTICES
) -> tuple[CatalogRun, list[Stage], dict[str, float]] | None:
    """A history run of more than ``above`` vertices not in memory yet: its record and
    stored stages, for the page to draw at once; ``None`` otherwise (then
    :func:`build_view`)."""
    run = catalog.run(ref)
    if run.record.vertex_count <= above:
        return None
    stored = catalog.stored_stages(run.ref)
    if stored is None:
        return None
    stages, on_path = stored
    return run, stages, on_path


@dataclass(frozen=True, slots=True)
class StepView:
    digest: str
    name: str
    stage: str
    status: str
    cached: bool
    start: float | None
    end: float | None
    duration: float
    on_critical_path: bool
    error: str | None
    inputs: tuple[str, ...]
    """Names of the steps it waited for."""
    log: str
    """The output's last lines, as text (terminal colour codes removed)."""
    log_lines: int
    """Lines in the whole output."""
    log_shown: int
    layer_size: int | None = None
    """Bytes its layers add to the image (Docker's build record only)."""


def step_view(build: Build, analysis: BuildAnalysis, digest: str) -> StepView | None:
    """One step's facts and the tail of its logs; None for a digest not in the build."""
    step = build.get(digest)
    if step is None:
        return None
    lines = [_ANSI.sub("", line) for line in step.log_lines()]
    tail = lines[-LOG_TAIL_LINES:]
    text = "\n".join(tail)
    if len(text) > LOG_MAX_CHARS:
        text = text[-LOG_MAX_CHARS:]
        tail = text.splitlines()
    return StepView(
        digest=step.digest,
        name=step.name,
        stage=step_stage_label(step),
        status=step.status.value,
        cached=step.cached,
        start=step.start,
        end=step.end,
        duration=step.duration,
        on_critical_path=step.digest in set(analysis.critical_path),
        error=step.error,
        inputs=tuple(step.name for step in build.inputs_of(step)),
        log=text,
        log_lines=len(lines),
        log_shown=len(tail),
        layer_size=analysis.sizes.steps.get(step.digest) if analysis.sizes else None,
    )


def clicked_digest(click_data: object) -> str | None:
    """The vertex digest of a click on a Gantt bar (its ``customdata``), if any."""
    if not isinstance(click_data, dict):
        return None
    points = click_data.get("points")
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    digest = points[0].get("customdata")
    return digest if isinstance(digest, str) else None


def clicked_ref(click_data: object) -> RunRef | None:
    """The run ref of a click on a trend chart's point (its ``customdata``)."""
    return clicked_digest(click_data)


def slowest_steps(build: Build, count: int = 10) -> list[Step]:
    return sorted(build, key=lambda step: step.duration, reverse=True)[:count]


# -- a build's own page ----------------------------------------------------------------

HOME_RUNS = 200
"""Runs on a build's own page (its chart); the count says how many there are in all."""
HOME_TABLE_RUNS = 10


@dataclass(frozen=True, slots=True)
class BuildHomeView:
    name: str
    total: int
    """Runs of the build, all of them."""
    runs: tuple[CatalogRun, ...]
    """The newest :data:`HOME_RUNS`, oldest first."""
    last_failure: CatalogRun | None
    failures: int
    trends: TrendsView
    """Its successful runs' stages over time."""


def build_home_view(catalog: Catalog, name: str) -> BuildHomeView:
    """What a build's own page shows; :class:`UnknownRun` for a build with no run."""
    scope = RunFilters(build=name)
    total = catalog.count(scope)
    if total == 0:
        raise UnknownRun(f"no run of a build named {name!r}")
    failed = replace(scope, status="failed")
    last_failure = catalog.runs(failed, limit=1)
    return BuildHomeView(
        name=name,
        total=total,
        runs=tuple(reversed(catalog.runs(scope, limit=HOME_RUNS))),
        last_failure=last_failure[0] if last_failure else None,
        failures=catalog.count(failed),
        trends=trends_view(catalog, scope),
    )


# -- compare ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunOption:
    ref: RunRef
    label: str


@dataclass(frozen=True, slots=True)
class CompareView:
    a: BuildView
    b: BuildView
    comparison: Comparison
    misses: CacheMisses | None = None
    """Why the cache missed (:mod:`profiler.analysis.cachemiss`)."""


def run_options(
    catalog: Catalog, include: Sequence[RunRef | None] = (), build: str | None = None
) -> list[RunOption]:
    """The newest runs, for a picker, those of ``build`` (if given) first, plus any
    ``include`` refs not among them."""
    runs = catalog.runs(RunFilters(build=build), limit=OPTION_RUNS)
    known = {run.ref for run in runs}
    if build is not None:
        others = catalog.runs(RunFilters(), limit=OPTION_RUNS)
        runs.extend(run for run in others if run.ref not in known)
        known.update(run.ref for run in others)
    for ref in include:
        if ref and ref not in known:
            try:
                runs.append(catalog.run(ref))
            except UnknownRun:
                continue
            known.add(ref)
    return [RunOption(run.ref, option_label(run)) for run in runs]


def option_label(run: CatalogRun) -> str:
    record = run.record
    parts = [
        record.build_name,
        run.label,
        record.started_at.strftime("%Y-%m-%d %H:%M"),
        record.status,
        f"{record.wall_seconds:.1f}s",
    ]
    if record.git_branch:
        parts.append(record.git_branch)
    return " · ".join(parts)


def default_pair(
    catalog: Catalog, a: RunRef | None, b: RunRef | None
) -> tuple[RunRef | None, RunRef | None]:
    """Fill in what the URL leaves out: B is the newest run (of A's build if A is
    given); A the run of B's build just before it, preferring one on the same branch
    with the same labels. Never a run of another build: with no earlier run of B's
    build, A stays empty and the page says so."""
    if b is None:
        build = build_of(catalog, a) if a is not None else None
        newest = catalog.runs(RunFilters(build=build), limit=2)
        b = next((run.ref for run in newest if run.ref != a), None)
    if a is None and b is not None:
        try:
            target = catalog.run(b)
        except UnknownRun:
            return a, b
        runs = catalog.runs(RunFilters(build=target.record.build_name), limit=OPTION_RUNS)
        refs = [run.ref for run in runs]
        older = runs[refs.index(b) + 1 :] if b in refs else runs
        older = [run for run in older if run.ref != b]
        similar = [run for run in older if _same_setting(run, target)]
        chosen = similar or older
        a = chosen[0].ref if chosen else None
    return a, b


def build_of(catalog: Catalog, ref: RunRef) -> str | None:
    """The build ``ref`` is a run of (``None`` for an unknown ref)."""
    try:
        return catalog.run(ref).record.build_name
    except UnknownRun:
        return None


def _same_setting(run: CatalogRun, other: CatalogRun) -> bool:
    return run.record.git_branch == other.record.git_branch and dict(run.record.labels) == dict(
        other.record.labels
    )


def compare_view(catalog: Catalog, a: RunRef, b: RunRef) -> CompareView:
    view_a = build_view(catalog, a)
    view_b = build_view(catalog, b)
    comparison = compare_builds(view_a.build, view_b.build, view_a.analysis, view_b.analysis)
    misses = explain_cache_misses(catalog.run_side(a), catalog.run_side(b))
    return CompareView(view_a, view_b, comparison, misses)


# -- trends ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendsView:
    filters: RunFilters
    refs: tuple[RunRef, ...]
    """Refs of the trend's runs, oldest first (parallel to ``trend.runs``)."""
    trend: Trend
    stage: str | None
    stages: tuple[str, ...]
    """Every stage in the runs, longest median busy time first."""
    last: int
    branches: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    builds: tuple[BuildSummary, ...] = ()

    def ref_of(self, metrics: RunMetrics) -> RunRef | None:
        """The ref of one of the trend's runs (their ``run_id`` is an index)."""
        index = metrics.run_id
        return self.refs[index] if index is not None and 0 <= index < len(self.refs) else None


def trends_view(
    catalog: Catalog,
    filters: RunFilters,
    *,
    stage: str | None = None,
    last: int = TRENDS_DEFAULT_LAST,
) -> TrendsView:
    """Successful runs over time (the last ``last``, 0 for all), with regressions marked.

    Runs of several sources share no id space, so each run's metrics get its index as
    ``run_id`` for the analysis; :meth:`TrendsView.ref_of` maps back. One build only
    (:func:`scoped`): a median of unrelated builds means nothing.
    """
    filters = scoped(catalog, filters)
    history = catalog.history(filters, limit=last or None)
    refs = tuple(ref for ref, _ in history)
    metrics = [_with_id(m, index) for index, (_, m) in enumerate(history)]
    every = trends(metrics)
    stages = tuple(every.stages)
    chosen = stage if stage in stages else None
    trend = trends(metrics, stage=chosen) if chosen else every
    return TrendsView(
        filters=filters,
        refs=refs,
        trend=trend,
        stage=chosen,
        stages=stages,
        last=last,
        branches=tuple(catalog.branches()),
        labels=tuple(catalog.labels()),
        builds=tuple(catalog.builds()),
    )


def _with_id(metrics: RunMetrics, run_id: int) -> RunMetrics:

    return replace(metrics, run_id=run_id)


def moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"
