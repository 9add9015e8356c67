"""How busy the host was while a build ran: Docker's ``sysUsage`` samples, read over time.

A build record (``.dockerbuild``) carries a sample of the host's CPU, memory and
pressure counters about every 2 s (:class:`~profiler.record.HostSample`). Each
sample's percentages cover the interval since the previous sample, so the host was
"busy X %" from one sample's time to the next's. This module answers, as pure
functions of a Build: what the strip under the Gantt shows (:func:`host_series`),
when the host was CPU-bound (:func:`cpu_bound_windows`), whether that happened while
the critical path ran, and how many cores the build's steps really had over a window
(:func:`load_over`), which prices suggestions that add parallelism.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from profiler.analysis.critical_path import observed_critical_path
from profiler.model import Build, Step, closed_intervals, merged_intervals
from profiler.names import StepKind
from profiler.record import HostSample

CPU_BOUND_PERCENT = 90.0
"""From this busy share of all cores on, the host counts as CPU-bound: a step added
beside the running ones would find no idle core to run on."""


@dataclass(frozen=True, slots=True)
class HostSeries:
    """The samples as columns, on the build's time axis (seconds from its start).

    Memory is shown as a share of the host's total; each value is ``None`` where the
    sample lacks it (the first sample has no CPU share: nothing to compare with).
    """

    time: tuple[float, ...]
    cpu_busy_percent: tuple[float | None, ...]
    iowait_percent: tuple[float | None, ...]
    memory_used_percent: tuple[float | None, ...]
    cpu_pressure: tuple[float | None, ...]
    memory_pressure: tuple[float | None, ...]
    memory_total_kib: int | None
    cpus: int | None

    def __len__(self) -> int:
        return len(self.time)


@dataclass(frozen=True, slots=True)
class HostLoad:
    """The host's CPU over one window of the build, and what it left the build's steps."""

    start: float
    end: float
    busy_percent: float
    """Mean non-idle share of all cores over the window (time-weighted)."""
    cpus: int
    """The host's cores, measured from the counters (:func:`host_cpus`)."""
    run_steps: float
    """The build's ``RUN`` steps running at once over the window, on average."""

    @property
    def cpu_bound(self) -> bool:
        return self.busy_percent >= CPU_BOUND_PERCENT

    @property
    def idle_cpus(self) -> float:
        """Cores that were idle over the window, on average."""
        return self.cpus * max(0.0, 100.0 - self.busy_percent) / 100.0

    @property
    def other_cpus(self) -> float:
        """Busy cores that the build's own ``RUN`` steps do not explain (one core each)."""
        busy = self.cpus * min(100.0, self.busy_percent) / 100.0
        return max(0.0, busy - min(self.run_steps, float(self.cpus)))

    @property
    def cpus_for_build(self) -> int:
        """Cores the build's ``RUN`` steps had: the host's, less what else kept busy.

        At least one: the steps did run. This is what the what-if replay shares among
        parallel ``RUN`` steps (its ``cores``) to price a change on this host.
        """
        return max(1, round(self.cpus - self.other_cpus))


def samples_of(build: Build) -> tuple[HostSample, ...]:
    """The build's host samples, in time order (none unless it was read from a record)."""
    if build.record is None:
        return ()
    return tuple(sorted(build.record.host_usage, key=lambda s: s.time))


def host_cpus(build: Build) -> int | None:
    """The host's cores: the median of what the samples' counters measured."""
    measured = [s.cpus for s in samples_of(build) if s.cpus is not None and s.cpus > 0]
    return max(1, round(median(measured))) if measured else None


def host_series(build: Build) -> HostSeries:
    """What the host-usage strip draws: every sample, as columns (empty without samples)."""
    samples = samples_of(build)
    totals = [s.memory_total_kib for s in samples if s.memory_total_kib]
    return HostSeries(
        time=tuple(s.time for s in samples),
        cpu_busy_percent=tuple(s.cpu_busy_percent for s in samples),
        iowait_percent=tuple(s.iowait_percent for s in samples),
        memory_used_percent=tuple(_memory_percent(s) for s in samples),
        cpu_pressure=tuple(s.cpu_pressure for s in samples),
        memory_pressure=tuple(s.memory_pressure for s in samples),
        memory_total_kib=max(totals) if totals else None,
        cpus=host_cpus(build),
    )


def _memory_percent(sample: HostSample) -> float | None:
    if sample.memory_used_kib is None or not sample.memory_total_kib:
        return None
    return 100.0 * sample.memory_used_kib / sample.memory_total_kib


def _busy_intervals(samples: Sequence[HostSample]) -> list[tuple[float, float, float]]:
    """(from, to, busy %) of every interval a sample's share covers."""
    return [
        (before.time, after.time, after.cpu_busy_percent)
        for before, after in itertools.pairwise(samples)
        if after.cpu_busy_percent is not None and after.time > before.time
    ]


def cpu_bound_windows(
    build: Build, threshold: float = CPU_BOUND_PERCENT
) -> list[tuple[float, float]]:
    """The spans of the build (seconds from its start) when the host was CPU-bound."""
    spans = [(a, b) for a, b, busy in _busy_intervals(samples_of(build)) if busy >= threshold]
    return merged_intervals(spans)


def critical_path_cpu_bound(
    build: Build, threshold: float = CPU_BOUND_PERCENT
) -> list[tuple[float, float]]:
    """The parts of the critical path's running time when the host was CPU-bound."""
    bound = cpu_bound_windows(build, threshold)
    if not bound:
        return []
    running = merged_intervals(
        interval for step in observed_critical_path(build) for interval in closed_intervals(step)
    )
    found = [(max(a, c), min(b, d)) for a, b in running for c, d in bound if min(b, d) > max(a, c)]
    return merged_intervals(found)


def load_over(build: Build, start: float, end: float) -> HostLoad | None:
    """The host's CPU over ``[start, end]``, or ``None`` where no sample covers it."""
    samples = samples_of(build)
    cpus = host_cpus(build)
    if cpus is None or end <= start:
        return None
    covered = 0.0
    weighted = 0.0
    for a, b, busy in _busy_intervals(samples):
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            covered += overlap
            weighted += overlap * busy
    if covered <= 0:
        return None
    return HostLoad(
        start=start,
        end=end,
        busy_percent=weighted / covered,
        cpus=cpus,
        run_steps=_run_steps_over(build, start, end),
    )


def load_over_steps(build: Build, steps: Sequence[Step]) -> HostLoad | None:
    """The host's CPU while ``steps`` ran (from the first start to the last end)."""
    starts = [s.start for s in steps if s.start is not None]
    ends = [s.end for s in steps if s.end is not None]
    if not starts or not ends:
        return None
    return load_over(build, min(starts), max(ends))


def _run_steps_over(build: Build, start: float, end: float) -> float:
    running = 0.0
    for step in build:
        if step.kind is not StepKind.STEP or step.parsed.instruction != "RUN":
            continue
        for a, b in merged_intervals(closed_intervals(step)):
            running += max(0.0, min(b, end) - max(a, start))
    return running / (end - start)
