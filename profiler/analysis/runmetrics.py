"""What a history keeps of each run for trends and the regression gate: a few figures
per run and per stage. The records :mod:`trends` computes over and
:mod:`stagetable` stores as columns; the store makes them from its rows,
:func:`profiler.analysis.trends.run_metrics` from a Build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class StageMetrics(NamedTuple):
    # A NamedTuple, not a dataclass: a long history holds 100,000s of these and a
    # tuple is built three times faster.
    busy_seconds: float
    """Time at least one of the stage's steps was running."""
    sequential_seconds: float
    critical_path_seconds: float
    steps: int
    cached: int

    @property
    def cache_hit_ratio(self) -> float:
        return self.cached / self.steps if self.steps else 0.0

    def metric(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True, slots=True)
class RunMetrics:
    run_id: int | None
    """The stored run's id; ``None`` for a build not (yet) in the store."""
    started_at: datetime | None
    status: str
    wall_seconds: float
    critical_path_seconds: float
    sequential_seconds: float
    lower_bound_seconds: float
    cache_hit_ratio: float
    git_branch: str | None = None
    git_commit: str | None = None
    stages: Mapping[str, StageMetrics] = field(default_factory=dict)
    """By stage label (``target/stage`` for bake)."""

    def metric(self, name: str) -> float:
        return float(getattr(self, name))
