"""Every figure of one build at once: :func:`analyze` → :class:`BuildAnalysis`.

(Exported by :mod:`profiler.analysis`, which imports this module on first use: a
trend reads the history's figures and needs none of it.)
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler.analysis import step_stage_label
from profiler.analysis.cache import CacheSummary, cache_summary
from profiler.analysis.critical_path import dependency_graph, longest_path, observed_critical_path
from profiler.analysis.failure import FailureSummary, failure_summary
from profiler.analysis.memo import without_cycle_collection
from profiler.analysis.platforms import PlatformSummary, platform_summaries
from profiler.analysis.sizes import LayerSizes, layer_sizes
from profiler.analysis.timeline import (
    busy_seconds,
    concurrency,
    parallelism,
    sequential_seconds,
    wall_seconds,
)
from profiler.model import Build


@dataclass(frozen=True, slots=True)
class BuildAnalysis:
    wall_seconds: float
    sequential_seconds: float
    parallelism: float
    critical_path: tuple[str, ...]
    """Digests of the observed critical path, in time order."""
    critical_path_seconds: float
    """Busy time of the critical path's steps (the rest of the wall time was waiting)."""
    critical_path_by_stage: dict[str, float]
    """Seconds of the critical path spent in each stage (``target/stage`` for bake)."""
    lower_bound_seconds: float
    """Wall time with unlimited parallelism: the longest duration-weighted path."""
    lower_bound_path: tuple[str, ...]
    concurrency: tuple[tuple[float, int], ...]
    cache: CacheSummary
    failure: FailureSummary | None
    platforms: tuple[PlatformSummary, ...] = ()
    """Per platform of a multi-platform build, then its shared steps (see
    :mod:`profiler.analysis.platforms`); empty when no step names a platform."""
    sizes: LayerSizes | None = None
    """Layer size per step and stage, from Docker's build record; ``None`` without."""

    @property
    def overhead_seconds(self) -> float:
        """Wall time above the lower bound: scheduling, contention, idle gaps."""
        return max(0.0, self.wall_seconds - self.lower_bound_seconds)


@without_cycle_collection
def analyze(build: Build) -> BuildAnalysis:
    graph = dependency_graph(build)
    path = observed_critical_path(build, graph)
    by_stage: dict[str, float] = {}
    for step in path:
        label = step_stage_label(step)
        by_stage[label] = by_stage.get(label, 0.0) + step.duration
    bound, bound_path = longest_path(build, graph)
    wall = wall_seconds(build)
    sequential = sequential_seconds(build)
    return BuildAnalysis(
        wall_seconds=wall,
        sequential_seconds=sequential,
        parallelism=parallelism(build, wall, sequential),
        critical_path=tuple(step.digest for step in path),
        # The path's steps' busy time (their intervals merged), never longer than the
        # build: only clocks that disagree (a step stamped as starting before its input
        # finished, see profiler.validate) could make it so.
        critical_path_seconds=min(busy_seconds(path), wall),
        critical_path_by_stage=by_stage,
        # Measured as the critical path is (the union of its steps' intervals), so
        # that the same chain gives the same figure; and a vertex run once per bake
        # target weighs all its runs on the path although its consumer waited for
        # one: the build did finish within its wall time.
        lower_bound_seconds=min(busy_seconds(bound_path), bound, wall),
        lower_bound_path=tuple(step.digest for step in bound_path),
        concurrency=tuple(concurrency(build)),
        cache=cache_summary(build),
        failure=failure_summary(build),
        platforms=platform_summaries(build, graph),
        sizes=layer_sizes(build),
    )
