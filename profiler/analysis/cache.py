"""How much of the build came from the cache."""

from __future__ import annotations

from dataclasses import dataclass

from profiler.model import Build, StepStatus
from profiler.names import StepKind


@dataclass(frozen=True, slots=True)
class CacheSummary:
    steps: int
    """Cacheable Dockerfile steps: not internal vertices, exports, or ``FROM``.

    A ``FROM`` resolves a base image rather than computing a layer, and BuildKit does
    not mark it cached even in a no-op rebuild; counting it would cap a fully cached
    build below 100%.
    """
    cached: int
    executed: int
    """Steps that ran (done, failed or cancelled after starting)."""

    @property
    def hit_ratio(self) -> float:
        return self.cached / self.steps if self.steps else 0.0


def cache_summary(build: Build) -> CacheSummary:
    steps = [
        step for step in build if step.kind is StepKind.STEP and step.parsed.instruction != "FROM"
    ]
    cached = sum(1 for step in steps if step.status is StepStatus.CACHED)
    executed = sum(
        1 for step in steps if step.status is not StepStatus.CACHED and step.duration > 0
    )
    return CacheSummary(steps=len(steps), cached=cached, executed=executed)
