"""How builds evolve over many runs, and whether one run is a regression.

Pure functions of :class:`RunMetrics`, the few numbers per run (and per stage) that a
history keeps; the store makes them from its rows, :func:`run_metrics` from a Build.

Build times are noisy (shared CI machines, cold caches), so the regression gate is
robust: the baseline is the **median** of the last N comparable runs, and the noise
is their **MAD** (median absolute deviation, scaled by 1.4826 to estimate a standard
deviation). A run is a regression when it exceeds the median by more than the
allowed fraction *and* by more than ``noise_sigmas`` robust deviations, so one slow
outlier in the baseline neither hides a regression nor raises a false alarm.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from profiler.analysis import stage_label
from profiler.analysis.robust import MAD_TO_SIGMA as MAD_TO_SIGMA
from profiler.analysis.robust import mad as mad
from profiler.analysis.robust import median, regression_limit, slope_per_index, sorted_median
from profiler.analysis.runmetrics import RunMetrics as RunMetrics
from profiler.analysis.runmetrics import StageMetrics as StageMetrics
from profiler.analysis.stagetable import Column, StageTable, stage_table

if TYPE_CHECKING:  # a trend of the history reads neither
    from profiler.analysis.overview import BuildAnalysis
    from profiler.analysis.stagetable import Array
    from profiler.model import Build

DEFAULT_MAX_REGRESSION = 0.20
DEFAULT_BASELINE_RUNS = 10
DEFAULT_NOISE_SIGMAS = 3.0
MIN_BASELINE_RUNS = 3
LONG_SERIES = 256
"""From this many runs on, series are summarised with numpy (:mod:`trendstats`): the
same results, without the import for the short trends users ask for most."""
STAGE_MIN_SECONDS = 0.5
"""A stage must add at least this much (and more than its own noise) to be named."""

RUN_METRICS = ("wall_seconds", "critical_path_seconds", "sequential_seconds", "cache_hit_ratio")
STAGE_METRICS = ("busy_seconds", "sequential_seconds", "critical_path_seconds", "cache_hit_ratio")


def run_metrics(
    build: Build,
    analysis: BuildAnalysis,
    *,
    run_id: int | None = None,
    status: str = "success",
    git_branch: str | None = None,
    git_commit: str | None = None,
) -> RunMetrics:
    """The metrics of one analysed build, as the store would keep them."""
    return RunMetrics(
        run_id=run_id,
        started_at=build.started_at,
        status=status,
        wall_seconds=analysis.wall_seconds,
        critical_path_seconds=analysis.critical_path_seconds,
        sequential_seconds=analysis.sequential_seconds,
        lower_bound_seconds=analysis.lower_bound_seconds,
        cache_hit_ratio=analysis.cache.hit_ratio,
        git_branch=git_branch,
        git_commit=git_commit,
        stages={
            stage_label(stage.target, stage.name, stage.platform): StageMetrics(
                busy_seconds=stage.busy,
                sequential_seconds=stage.sequential,
                critical_path_seconds=analysis.critical_path_by_stage.get(
                    stage_label(stage.target, stage.name, stage.platform), 0.0
                ),
                steps=stage.steps,
                cached=stage.cached,
            )
            for stage in build.stages
        },
    )


# -- the regression gate ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageVerdict:
    stage: str
    value: float
    """The stage's busy seconds in the checked run (0 if it has no such stage)."""
    baseline_median: float
    """Median over the baseline runs, counting runs without the stage as 0."""
    limit: float

    @property
    def delta(self) -> float:
        return self.value - self.baseline_median

    @property
    def ratio(self) -> float | None:
        """Relative change; ``None`` for a stage new in this run."""
        return self.delta / self.baseline_median if self.baseline_median > 0 else None


@dataclass(frozen=True, slots=True)
class CheckResult:
    run: RunMetrics
    baseline: tuple[RunMetrics, ...]
    metric: str
    max_regression: float
    noise_sigmas: float
    value: float
    baseline_median: float
    baseline_mad: float
    limit: float
    """The run is a regression above this value."""
    stages: tuple[StageVerdict, ...]
    """Stages responsible, largest increase first (those over their own limit; if none
    is but the run regressed, the stages that grew most)."""
    min_baseline_runs: int = MIN_BASELINE_RUNS

    @property
    def enough_history(self) -> bool:
        return len(self.baseline) >= self.min_baseline_runs

    @property
    def regression(self) -> bool:
        return self.enough_history and self.value > self.limit

    @property
    def verdict(self) -> str:
        """``regression``, ``ok``, or ``insufficient-history``."""
        if not self.enough_history:
            return "insufficient-history"
        return "regression" if self.regression else "ok"

    @property
    def ratio(self) -> float | None:
        """How much slower than the baseline median (0.25 = 25 % slower)."""
        if not self.baseline or self.baseline_median <= 0:
            return None
        return (self.value - self.baseline_median) / self.baseline_median

    @property
    def baseline_cache_hit_ratio(self) -> float | None:
        if not self.baseline:
            return None
        return median([run.cache_hit_ratio for run in self.baseline])


def check_regression(
    run: RunMetrics,
    history: Sequence[RunMetrics],
    *,
    max_regression: float = DEFAULT_MAX_REGRESSION,
    baseline_runs: int = DEFAULT_BASELINE_RUNS,
    noise_sigmas: float = DEFAULT_NOISE_SIGMAS,
    metric: str = "wall_seconds",
    min_baseline_runs: int = MIN_BASELINE_RUNS,
) -> CheckResult:
    """Judge ``run`` against the last ``baseline_runs`` of ``history`` (oldest first).

    ``history`` must already hold only comparable runs (same branch, successful…):
    which runs compare is the caller's policy, the statistics are this function's.
    """
    baseline = tuple(history[-baseline_runs:]) if baseline_runs > 0 else ()
    stage_limits = [
        _stage_limit(
            label,
            run.stages[label].busy_seconds,
            [past.stages[label].busy_seconds if label in past.stages else 0.0 for past in baseline],
            max_regression,
            noise_sigmas,
        )
        for label in (run.stages if baseline else ())
    ]
    return _judged(
        run,
        baseline,
        stage_limits,
        max_regression=max_regression,
        noise_sigmas=noise_sigmas,
        metric=metric,
        min_baseline_runs=min_baseline_runs,
    )


def _judged(
    run: RunMetrics,
    baseline: tuple[RunMetrics, ...],
    stage_limits: Sequence[StageLimit],
    *,
    max_regression: float,
    noise_sigmas: float,
    metric: str,
    min_baseline_runs: int,
) -> CheckResult:
    """:func:`check_regression` of ``run`` against ``baseline``, given each stage of the
    run with its busy time and the regression limit of the baseline's."""
    values = [past.metric(metric) for past in baseline]
    center, spread, limit = regression_limit(values, max_regression, noise_sigmas)
    value = run.metric(metric)
    stages = _stage_verdicts(stage_limits)
    responsible = tuple(verdict for verdict in stages if verdict.value > verdict.limit)
    regressed = len(baseline) >= min_baseline_runs and value > limit
    if regressed and not responsible:
        responsible = tuple(verdict for verdict in stages if verdict.delta > 0)[:3]
    return CheckResult(
        run=run,
        baseline=baseline,
        metric=metric,
        max_regression=max_regression,
        noise_sigmas=noise_sigmas,
        value=value,
        baseline_median=center,
        baseline_mad=spread,
        limit=limit,
        stages=responsible,
        min_baseline_runs=min_baseline_runs,
    )


StageLimit = tuple[str, float, float, float]
"""A stage of a judged run: its label, its busy time, and the median and regression limit
(:func:`regression_limit`) of its busy time over the baseline (0 for a run without it)."""


def _stage_limit(
    label: str, value: float, values: Sequence[float], max_regression: float, noise_sigmas: float
) -> StageLimit:
    center, _, limit = regression_limit(values, max_regression, noise_sigmas)
    return label, value, center, limit


def _stage_verdicts(stage_limits: Sequence[StageLimit]) -> list[StageVerdict]:
    verdicts = []
    for label, value, center, limit in stage_limits:
        verdicts.append(
            StageVerdict(
                stage=label,
                value=value,
                baseline_median=center,
                limit=max(limit, center + STAGE_MIN_SECONDS),
            )
        )
    verdicts.sort(key=lambda verdict: (-verdict.delta, verdict.stage))
    return verdicts


# -- trends ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """A series in a few numbers. ``change`` compares the median of the last ``window``
    values with the median of the first ``window`` (robust to single outliers)."""

    count: int
    first: float | None
    last: float | None
    minimum: float | None
    maximum: float | None
    median: float | None
    mad: float | None
    change: float | None
    slope_per_run: float | None
    """Least-squares slope over the run index: the average change from run to run."""


@dataclass(frozen=True, slots=True)
class Series:
    metric: str
    values: tuple[float | None, ...]
    """One value per run of the trend, ``None`` where the run lacks it (a stage)."""
    summary: Summary


@dataclass(frozen=True, slots=True)
class Trend:
    runs: tuple[RunMetrics, ...]
    """Oldest first."""
    series: Mapping[str, Series]
    """By run metric (:data:`RUN_METRICS`)."""
    stages: Mapping[str, Mapping[str, Series]]
    """By stage label, then stage metric (:data:`STAGE_METRICS`); stages ordered by
    their median busy time, longest first."""
    regressions: tuple[CheckResult, ...]
    """Runs that the gate would have failed against the runs before them."""
    window: int


def summarize(values: Sequence[float | None], window: int) -> Summary:
    if None not in values:
        return _summarize(values, cast(Sequence[float], values), window)
    return _summarize(values, [value for value in values if value is not None], window)


def _summarize(
    values: Sequence[float | None],
    present: Sequence[float],
    window: int,
    ys: Array | None = None,
) -> Summary:
    """:func:`summarize`, given the values without their ``None`` ones (and, for a long
    series read as an array, that array)."""
    if not present:
        return Summary(0, None, None, None, None, None, None, None, None)
    span = max(1, min(window, len(present) // 2 or 1))
    if len(present) >= LONG_SERIES:
        # The same arithmetic on arrays (a whole history: ~50 series of 10,000 runs).
        from profiler.analysis import trendstats

        minimum, maximum, center, spread, slope = trendstats.summary(values, present, ys)
    else:
        ordered = sorted(present)
        minimum, maximum, center = ordered[0], ordered[-1], sorted_median(ordered)
        spread = median([abs(value - center) for value in present])
        slope = slope_per_index(values)
    return Summary(
        count=len(present),
        first=present[0],
        last=present[-1],
        minimum=minimum,
        maximum=maximum,
        median=center,
        mad=spread,
        change=median(present[-span:]) - median(present[:span]) if len(present) > 1 else 0.0,
        slope_per_run=slope,
    )


def trends(
    runs: Sequence[RunMetrics],
    *,
    stage: str | None = None,
    window: int = DEFAULT_BASELINE_RUNS,
    max_regression: float = DEFAULT_MAX_REGRESSION,
    noise_sigmas: float = DEFAULT_NOISE_SIGMAS,
) -> Trend:
    """Series and summaries of ``runs`` (oldest first), and the regressions among them.

    With ``stage``, only that stage's series are kept (and regressions are judged on
    that stage's busy time).
    """
    ordered = tuple(runs)
    series = {
        name: _series(name, list(map(operator.attrgetter(name), ordered)), window)
        for name in RUN_METRICS
    }
    table = stage_table(ordered)
    labels = set(table.columns) if stage is None else set(table.columns) & {stage}
    every_stage = {label: _stage_series_of(table, label, window) for label in labels}
    # Busiest first: the median busy time is the busy series' summary median.
    stage_series = {
        label: every_stage[label]
        for label in sorted(
            every_stage,
            key=lambda label: (-(every_stage[label]["busy_seconds"].summary.median or 0.0), label),
        )
    }
    if stage is None:
        judged = series["wall_seconds"].values
    else:
        busy = table.columns[stage][0] if stage in table.columns else [None] * len(ordered)
        judged = tuple(value or 0.0 for value in busy)
    jumps = list(_jumps(cast(Sequence[float], judged), window, max_regression, noise_sigmas))
    if stage is None:
        busy_series = {
            label: series["busy_seconds"].values for label, series in every_stage.items()
        }
        limits = _stage_limits(table, busy_series, jumps, window, max_regression, noise_sigmas)
        checks = (
            _rolling_check(ordered, index, limits[index], window, max_regression, noise_sigmas)
            for index in jumps
        )
    else:
        checks = (
            _rolling_stage_check(ordered, index, stage, window, max_regression, noise_sigmas)
            for index in jumps
        )
    regressions = tuple(result for result in checks if result.regression)
    return Trend(
        runs=ordered,
        series=series,
        stages=stage_series,
        regressions=regressions,
        window=window,
    )


def _stage_series_of(table: StageTable, label: str, window: int) -> dict[str, Series]:
    """One stage's series (:data:`STAGE_METRICS`), by metric."""
    arrays = table.arrays.get(label) if len(table) >= LONG_SERIES else None
    if arrays is None:
        columns = table.columns[label]
        gap_free = None not in columns[0]
        return {
            name: _series(name, values, window, gap_free=gap_free)
            for name, values in zip(STAGE_METRICS, _stage_series(columns), strict=True)
        }
    # A long history's stage that every run has: its statistics read its arrays.
    from profiler.analysis import trendstats

    busy, sequential, critical, steps, cached = arrays
    ratios = trendstats.cache_hit_ratios(cached, steps)
    return {
        name: _series(name, values, window, gap_free=True, ys=ys)
        for name, values, ys in zip(
            STAGE_METRICS,
            (busy.tolist(), sequential.tolist(), critical.tolist(), ratios.tolist()),
            (busy, sequential, critical, ratios),
            strict=True,
        )
    }


def _stage_series(columns: Sequence[Column]) -> list[Column]:
    """One stage's series (:data:`STAGE_METRICS`) from its columns in a
    :class:`StageTable` (busy, sequential, critical path, steps, cached)."""
    busy, sequential, critical, steps, cached = columns
    if None not in steps and 0 not in steps:
        # Each StageMetrics' cache_hit_ratio (cached / steps; 0 for a stage without steps).
        ratios: Column = list(map(operator.truediv, cached, steps))
    else:
        ratios = [
            None if count is None else (cast(float, done) / count if count else 0.0)
            for count, done in zip(steps, cached, strict=True)
        ]
    return [busy, sequential, critical, ratios]


def _series(
    name: str,
    values: Sequence[float | None],
    window: int,
    gap_free: bool = False,
    ys: Array | None = None,
) -> Series:
    """``gap_free``: the values hold no ``None`` (a stage every run has); ``ys``: the
    values as an array, if they are one already."""
    summary = (
        _summarize(values, cast(Sequence[float], values), window, ys)
        if gap_free
        else summarize(values, window)
    )
    return Series(metric=name, values=tuple(values), summary=summary)


def _jumps(
    values: Sequence[float], window: int, max_regression: float, noise_sigmas: float
) -> Iterator[int]:
    """Indexes of values above the regression limit of the ``window`` values before."""
    if len(values) >= LONG_SERIES:
        from profiler.analysis import trendstats

        yield from trendstats.jumps(
            values, window, max_regression, noise_sigmas, MAD_TO_SIGMA, MIN_BASELINE_RUNS
        )
        return
    for index in range(MIN_BASELINE_RUNS, len(values)):
        _, _, limit = regression_limit(
            values[max(0, index - window) : index], max_regression, noise_sigmas
        )
        if values[index] > limit:
            yield index


def _stage_limits(
    table: StageTable, busy_series: Mapping[str, Sequence[float | None]], indexes: Sequence[int],
    window: int, max_regression: float, noise_sigmas: float,
) -> dict[int, list[StageLimit]]:  # fmt: skip
    """For each of ``indexes``: the stages of its run, each with its busy time and the
    limit of its busy time over the ``window`` runs before (:data:`StageLimit`).
    ``busy_series``: each label's busy time, a value a run (its busy series). A long
    history's ~200 jumps take their ~2,500 medians in numpy, a stage at a time."""
    vectorised: dict[tuple[int, str], tuple[float, float]] = {}
    if len(table) >= LONG_SERIES:
        from profiler.analysis import trendstats

        full = [index for index in indexes if index >= window > 0]
        for label, busy in busy_series.items():
            arrays = table.arrays.get(label)
            at = full if arrays is not None else [i for i in full if busy[i] is not None]
            if not at:
                continue
            if arrays is not None:  # every run has the stage
                windows: Sequence[Sequence[float]] | Array = trendstats.windows_before(
                    arrays[0], at, window
                )
            else:
                windows = [
                    [past if past is not None else 0.0 for past in busy[index - window : index]]
                    for index in at
                ]
            centers, limits = trendstats.row_limits(
                windows, max_regression, noise_sigmas, MAD_TO_SIGMA
            )
            vectorised.update(
                ((index, label), figures)
                for index, figures in zip(at, zip(centers, limits, strict=True), strict=True)
            )
    found = {}
    for index in indexes:
        lower = max(0, index - window)
        stages = []
        for label in table.labels[index] if index > lower else ():
            busy = busy_series[label]
            value = cast(float, busy[index])
            known = vectorised.get((index, label))
            if known is None:
                values = [past if past is not None else 0.0 for past in busy[lower:index]]
                stages.append(_stage_limit(label, value, values, max_regression, noise_sigmas))
            else:
                stages.append((label, value, *known))
        found[index] = stages
    return found


def _rolling_check(
    runs: Sequence[RunMetrics],
    index: int,
    stage_limits: Sequence[StageLimit],
    window: int,
    max_regression: float,
    noise_sigmas: float,
) -> CheckResult:
    """The regression check of run ``index`` against the ``window`` runs before it, as
    :func:`check_regression` makes it (its stages: :func:`_stage_limits`)."""
    baseline = tuple(runs[max(0, index - window) : index]) if window > 0 else ()
    return _judged(
        runs[index],
        baseline,
        stage_limits,
        max_regression=max_regression,
        noise_sigmas=noise_sigmas,
        metric="wall_seconds",
        min_baseline_runs=MIN_BASELINE_RUNS,
    )


def _rolling_stage_check(
    runs: Sequence[RunMetrics],
    index: int,
    stage: str,
    window: int,
    max_regression: float,
    noise_sigmas: float,
) -> CheckResult:
    """:func:`_rolling_check` of the runs seen through one stage."""
    run = _as_stage_run(runs[index], stage)
    history = [_as_stage_run(past, stage) for past in runs[max(0, index - window) : index]]
    return check_regression(
        run, history, max_regression=max_regression, baseline_runs=window, noise_sigmas=noise_sigmas
    )


def _as_stage_run(run: RunMetrics, stage: str) -> RunMetrics:
    """The run seen through one stage: its wall time is the stage's busy time."""
    metrics = run.stages.get(stage)
    busy = metrics.busy_seconds if metrics is not None else 0.0
    return RunMetrics(
        run_id=run.run_id,
        started_at=run.started_at,
        status=run.status,
        wall_seconds=busy,
        critical_path_seconds=metrics.critical_path_seconds if metrics else 0.0,
        sequential_seconds=metrics.sequential_seconds if metrics else 0.0,
        lower_bound_seconds=0.0,
        cache_hit_ratio=metrics.cache_hit_ratio if metrics else 0.0,
        git_branch=run.git_branch,
        git_commit=run.git_commit,
        stages={stage: metrics} if metrics is not None else {},
    )
