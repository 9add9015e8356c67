"""Runs of a small history as the store would return them, for the presenter tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from profiler.analysis.trends import RunMetrics, StageMetrics

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def metrics(index: int, wall: float, *, build: float | None = None) -> RunMetrics:
    """Run ``index`` (an hour after the one before) taking ``wall`` seconds; its
    ``build`` stage takes ``build`` seconds (80% of the wall time if not given), its
    ``test`` stage always 20 s."""
    busy = {"build": wall * 0.8 if build is None else build, "test": 20.0}
    return RunMetrics(
        run_id=index,
        started_at=T0 + timedelta(hours=index),
        status="success",
        wall_seconds=wall,
        critical_path_seconds=wall * 0.9,
        sequential_seconds=wall * 1.5,
        lower_bound_seconds=wall * 0.8,
        cache_hit_ratio=0.5,
        stages={
            label: StageMetrics(
                busy_seconds=seconds,
                sequential_seconds=seconds,
                critical_path_seconds=seconds,
                steps=4,
                cached=2,
            )
            for label, seconds in busy.items()
        },
    )


STEADY = [metrics(index, 100.0 + (index % 3)) for index in range(1, 9)]
"""Eight runs of 100-102 s."""
