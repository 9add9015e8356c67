"""Time totals of a build: wall, sequential, parallelism, concurrency over time."""

from __future__ import annotations

import itertools

from profiler.model import Build, Step, closed_intervals, union_length


def build_origin(build: Build) -> float:
    """When this build really started: the first start of a vertex it did not get cached.

    A vertex shared with another build running on the same daemon (same digest) comes
    with that build's name and times: a cache hit that "ran" up to many seconds before
    this build even began. Cache hits therefore do not mark the start, unless
    everything was cached.
    """
    starts = [s.start for s in build if s.start is not None and not s.cached]
    if not starts:
        starts = [s.start for s in build if s.start is not None]
    return min(starts, default=0.0)


def wall_seconds(build: Build) -> float:
    """First real start (:func:`build_origin`) to last completion (or the stream's end)."""
    ends = [step.end for step in build if step.end is not None]
    if not ends:
        return 0.0
    return max(0.0, max(ends) - build_origin(build))


def busy_seconds(steps: list[Step]) -> float:
    """Time at least one of the steps was running: never more than the wall time, even
    where steps of a reconstructed (plain log) timeline overlap."""
    return union_length(interval for step in steps for interval in closed_intervals(step))


def sequential_seconds(build: Build) -> float:
    """Sum of every vertex's busy time: the cost of the build with no parallelism."""
    return sum(step.duration for step in build)


def parallelism(build: Build, wall: float | None = None, sequential: float | None = None) -> float:
    """Sequential time over wall time: how many steps ran at once, on average.

    ``wall`` and ``sequential``: the build's, when the caller has them already.
    """
    wall = wall_seconds(build) if wall is None else wall
    if not wall > 0:
        return 0.0
    return (sequential_seconds(build) if sequential is None else sequential) / wall


def concurrency(build: Build) -> list[tuple[float, int]]:
    """How many vertices ran at each moment, as ``(time, count)`` change points.

    The count holds from each point until the next; the last point returns to 0.
    Zero-length intervals (synthesised cache hits) are not running time and are left out.
    """
    changes: dict[float, int] = {}
    get = changes.get
    for step in build:
        # closed_intervals(step), without a list per step (5,000-step builds).
        closed_at = step.end if step.end is not None else 0.0
        for interval in step.intervals:
            start, end = interval.start, interval.end
            if end is None:
                end = max(closed_at, start)
            if end > start:
                changes[start] = get(start, 0) + 1
                changes[end] = get(end, 0) - 1
    times = sorted(changes)
    return list(zip(times, itertools.accumulate(map(changes.__getitem__, times)), strict=True))


def peak_concurrency(build: Build) -> int:
    return max((count for _, count in concurrency(build)), default=0)
