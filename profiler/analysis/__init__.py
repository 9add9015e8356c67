"""Pure functions of a Build: timeline totals, critical path, lower bound, cache, failure.

:func:`analyze` runs them all once and returns a :class:`BuildAnalysis`, which every
presenter (terminal report, JSON, figures) reads (both in :mod:`.overview`). Names
resolve on first use: ``kitprof trends`` reads only :mod:`.trends` and what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from profiler.lazy import lazy_attributes

if TYPE_CHECKING:
    from profiler.analysis.cache import CacheSummary
    from profiler.analysis.critical_path import path_start
    from profiler.analysis.failure import FailureSummary
    from profiler.analysis.overview import BuildAnalysis, analyze
    from profiler.analysis.sizes import LayerSizes
    from profiler.model import Step

_HOMES = {
    "BuildAnalysis": "profiler.analysis.overview",
    "analyze": "profiler.analysis.overview",
    "CacheSummary": "profiler.analysis.cache",
    "FailureSummary": "profiler.analysis.failure",
    "LayerSizes": "profiler.analysis.sizes",
    "path_start": "profiler.analysis.critical_path",
}
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, globals())


def stage_label(target: str | None, stage: str, platform: str | None = None) -> str:
    """A stage's name as reports show it, qualified by its bake target if it has one
    and by its platform in a multi-platform build (``linux/386 compile``, as BuildKit
    prefixes the step names): the same stage of two platforms is two stages."""
    name = f"{platform} {stage}" if platform else stage
    return f"{target}/{name}" if target else name


def step_stage_label(step: Step) -> str:
    return stage_label(step.target, step.stage_key, step.parsed.platform)


__all__ = [
    "BuildAnalysis",
    "CacheSummary",
    "FailureSummary",
    "LayerSizes",
    "analyze",
    "path_start",
    "stage_label",
    "step_stage_label",
]
