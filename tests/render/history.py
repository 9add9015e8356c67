"""Runs of a small history as the store would return them, for the presenter tests."""

from __future__ import annotations

from profiler.analysis.trends import RunMetrics
from tests.analysis.test_trends import T0, run

__all__ = ["STEADY", "T0", "metrics"]


def metrics(index: int, wall: float, *, build: float | None = None) -> RunMetrics:
    """Run ``index`` (an hour after the one before) taking ``wall`` seconds; its
    ``build`` stage takes ``build`` seconds (80% of the wall time if not given), its
    ``test`` stage always 20 s."""
    return run(index, wall, stages={"build": wall * 0.8 if build is None else build, "test": 20.0})


STEADY = [metrics(index, 100.0 + (index % 3)) for index in range(1, 9)]
"""Eight runs of 100-102 s."""
