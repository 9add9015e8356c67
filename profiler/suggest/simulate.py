"""What-if simulator: the wall time of a build whose step graph or durations changed.

A build is replayed as BuildKit schedules it: a vertex starts as soon as every vertex
it waits for has finished (after a small, per-build scheduling latency), and runs for
its busy time. The graph is :func:`~profiler.analysis.critical_path.dependency_graph`:
real inputs, plus time links for the vertices the stream leaves unconnected.

Changes are made on a :class:`~profiler.suggest.taskgraph.TaskGraph`, an immutable
copy of that graph (:func:`graph_from_build`); :func:`simulate` then gives the new
wall time.

Two limits can be modelled:

- ``max_parallelism``: at most N vertices run at once (BuildKit's ``max-parallelism``);
  the others wait in the order they became ready.
- ``cores``: CPU-bound vertices (``RUN`` steps) share N cores. When k of them run
  at once each progresses at ``min(1, N / k)``. Durations recorded while steps
  already contended are first converted back to work at full speed, so replaying
  the recorded graph still reproduces the recorded build.

Calibration: replaying the unmodified graph of a build must give its observed wall
time; :func:`calibrate` reports how close it comes.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from statistics import median

from profiler.analysis.critical_path import dependency_graph
from profiler.analysis.timeline import build_origin, wall_seconds
from profiler.fastinit import fast_constructor
from profiler.model import Build, Step, closed_intervals, merged_intervals, union_length
from profiler.names import StepKind
from profiler.suggest.taskgraph import Task, TaskGraph

# Below this, remaining work counts as done (float noise from rate changes).
_EPSILON = 1e-9
# A vertex that started this much later than everything it waits for waited for
# something the stream does not show (an identical vertex of another bake target
# being computed, a lock): it gets a "wait" link to what finished last before it.
HIDDEN_WAIT_SECONDS = 0.1
# A later run of a cached vertex shorter than this is a re-announcement, not work.
RESTAMP_SECONDS = 0.05
# Scheduling latency is estimated from the build but kept within reason: a gap
# longer than this between a vertex and its inputs is waiting, not latency.
MAX_LATENCY_SECONDS = 0.05
# A cache hit shared with a vertex computed at the same time is stamped a little
# before that vertex's own completion (the two are reported separately).
_STAMP_SKEW_SECONDS = 0.05


# A Task for every vertex that ran: the frozen dataclass's own __init__ would cost
# ~10 ms for a 5,000-step build, a third of making its graph (benchmarks/README.md,
# "Round 4").
_new_task = fast_constructor(Task)


@dataclass(frozen=True, slots=True)
class Schedule:
    start: Mapping[str, float]
    finish: Mapping[str, float]

    @property
    def wall_seconds(self) -> float:
        if not self.finish:
            return 0.0
        return max(self.finish.values()) - min(self.start.values(), default=0.0)

    def critical_path(self, graph: TaskGraph) -> list[str]:
        """The chain that set the simulated finish time, in time order."""
        if not self.finish:
            return []
        current = max(self.finish, key=lambda t: self.finish[t])
        path = [current]
        seen = {current}
        while True:
            predecessors = [
                p for p in graph[current].predecessors if p in self.finish and p not in seen
            ]
            if not predecessors:
                break
            current = max(predecessors, key=lambda p: self.finish[p])
            seen.add(current)
            path.append(current)
        path.reverse()
        return path


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    max_parallelism: int | None = None
    """At most this many vertices run at once (BuildKit ``max-parallelism``)."""
    cores: int | None = None
    """CPU-bound vertices share this many cores; ``None``: they never contend."""
    latency: float = 0.0
    """Seconds between a vertex's inputs finishing and the vertex starting."""


def simulate(graph: TaskGraph, options: SimulationOptions | None = None) -> Schedule:
    """Event-driven list scheduling of the graph; returns every task's start and finish.

    A task is ready ``latency`` seconds after its last predecessor finished (a task
    without predecessors at its ``release`` time) and starts when a slot is free,
    first ready first served. Predecessors that are not in the graph are ignored; a
    cycle (impossible in BuildKit's graph, conceivable in hand-made ones) is broken by
    starting the blocked tasks once nothing else can run.
    """
    options = options or SimulationOptions()
    tasks = graph.tasks
    order: dict[str, int] = {}
    waiting: dict[str, int] = {}
    successors: dict[str, list[str]] = {task_id: [] for task_id in tasks}
    # Per task, read once rather than at every event (5,000-vertex builds): remaining
    # work at or below done_below is done (float noise, relative to the task); the wait
    # after the last predecessor finished (its own delay, else the latency).
    done_below: dict[str, float] = {}
    delay_of: dict[str, float] = {}
    latency = options.latency
    for index, (task_id, task) in enumerate(tasks.items()):
        order[task_id] = index
        predecessors = set(filter(tasks.__contains__, task.predecessors))
        predecessors.discard(task.id)
        waiting[task.id] = len(predecessors)
        for p in predecessors:
            successors[p].append(task.id)
        done_below[task_id] = _EPSILON * max(1.0, task.duration)
        delay_of[task_id] = latency if task.delay is None else task.delay
    ready_at: dict[str, float] = {}
    pending: list[tuple[float, int, str]] = []
    for task in tasks.values():
        if waiting[task.id] == 0:
            ready_at[task.id] = task.release
            heapq.heappush(pending, (task.release, order[task.id], task.id))

    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    running: dict[str, float] = {}  # task -> remaining work
    limit = None if options.max_parallelism is None else max(1, options.max_parallelism)
    now = 0.0

    def complete(task_id: str, at: float) -> None:
        finish[task_id] = at
        for successor in successors[task_id]:
            waiting[successor] -= 1
            ready = max(ready_at.get(successor, 0.0), at + delay_of[successor])
            ready_at[successor] = ready
            if waiting[successor] == 0:
                ready = max(ready, tasks[successor].release)
                ready_at[successor] = ready
                heapq.heappush(pending, (ready, order[successor], successor))

    while len(finish) < len(tasks):
        # Start what is ready, while there is room.
        started_any = True
        while started_any:
            started_any = False
            while pending and pending[0][0] <= now + _EPSILON:
                if limit is not None and len(running) >= limit:
                    break
                _, _, task_id = heapq.heappop(pending)
                start[task_id] = now
                if tasks[task_id].duration <= _EPSILON:
                    complete(task_id, now)
                    started_any = True
                else:
                    running[task_id] = tasks[task_id].duration
        if not running and not pending:
            # Only tasks in a cycle are left: start the earliest announced one.
            blocked = [t for t in tasks if t not in finish and t not in start]
            if not blocked:
                break
            task_id = min(blocked, key=lambda t: order[t])
            waiting[task_id] = 0
            heapq.heappush(pending, (now, order[task_id], task_id))
            continue
        if options.cores is None:
            # Every task runs at rate 1: the same arithmetic as below (x / 1.0 and
            # 1.0 * x are x exactly) without a dict of rates for each event.
            rates = None
            next_finish = min(running.values(), default=float("inf"))
        else:
            rates = _rates(running, tasks, options.cores)
            next_finish = min(
                (remaining / rates[t] for t, remaining in running.items()), default=float("inf")
            )
        room = limit is None or len(running) < limit
        next_ready = pending[0][0] - now if pending and room else float("inf")
        step = max(0.0, min(next_finish, next_ready))
        now += step
        done = []
        for task_id, remaining in running.items():
            remaining -= step if rates is None else rates[task_id] * step
            running[task_id] = remaining
            if remaining <= done_below[task_id]:
                done.append(task_id)
        for task_id in sorted(done, key=order.__getitem__) if len(done) > 1 else done:
            del running[task_id]
            complete(task_id, now)
    return Schedule(start=start, finish=finish)


def _rates(
    running: Mapping[str, float], tasks: Mapping[str, Task], cores: int | None
) -> dict[str, float]:
    if cores is None:
        return dict.fromkeys(running, 1.0)
    contending = sum(1 for t in running if tasks[t].cpu)
    share = min(1.0, cores / contending) if contending else 1.0
    return {t: share if tasks[t].cpu else 1.0 for t in running}


def is_cpu_bound(step: Step) -> bool:
    """The steps that compete for cores when ``cores`` is given: ``RUN`` steps."""
    return step.kind is StepKind.STEP and step.parsed.instruction == "RUN"


def graph_from_build(build: Build, cores: int | None = None) -> TaskGraph:
    """The build's vertices that ran, as a task graph ready to replay.

    Each vertex costs its busy time; with ``cores``, a ``RUN`` step's time while k
    ``RUN`` steps ran at once counts as ``min(1, cores / k)`` of work. Vertices that
    never started are left out, and so are edges to them. A vertex that started much
    later than everything it waits for also waits for what finished last before it
    started (a hidden dependency, see :data:`HIDDEN_WAIT_SECONDS`).
    """
    edges = dependency_graph(build)
    ran = [step for step in build if step.intervals and step.start is not None]
    ids = {step.digest for step in ran}
    origin = build_origin(build)
    work = _work_at_full_speed(ran, cores)
    finished = sorted(
        (s for s in ran if s.end is not None),
        key=lambda s: s.end if s.end is not None else 0.0,
    )
    finished_ends = [s.end or 0.0 for s in finished]
    end_of = {s.digest: s.end or 0.0 for s in build}
    tasks: dict[str, Task] = {}
    for step in ran:
        predecessors = tuple(filter(ids.__contains__, edges.get(step.digest, ())))
        delay = None
        duration = work[step.digest]
        if ids.isdisjoint(step.inputs):
            anchor = step.intervals[-1].start
            if len(step.intervals) > 1 and (_stamps_only(step) or _restamped(step)):
                predecessors = _first_stamp_link(step, finished)
                anchor = step.intervals[0].start
            elif len(step.intervals) > 1:
                # Linked by its last run (an exporter shared by bake targets runs once
                # per target): the earlier runs overlapped other work, only the last
                # one follows the link.
                busy = busy_seconds(step)
                if busy > 0:
                    duration *= _busy_since(step, anchor) / busy
            if predecessors:
                linked = max(end_of[p] for p in predecessors)
                delay = max(0.0, max(0.0, anchor - origin) - max(0.0, linked - origin))
        # A vertex with its own delay already waits as long as it did.
        wait = (
            _hidden_wait(step, predecessors, end_of, finished, finished_ends)
            if delay is None
            else None
        )
        if wait is not None:
            predecessors = (*predecessors, wait)
        tasks[step.digest] = _new_task(
            id=step.digest,
            duration=duration,
            predecessors=predecessors,
            release=max(0.0, (step.start or 0.0) - origin) if not predecessors else 0.0,
            cpu=cores is not None and is_cpu_bound(step),
            label=step.name,
            delay=delay,
        )
    return TaskGraph(tasks)


def observed_wall_seconds(build: Build) -> float:
    """The build's wall time, as the analysis reports it (from its real start)."""
    return wall_seconds(build)


def _stamps_only(step: Step) -> bool:
    return all(i.end is not None and i.end - i.start < 0.001 for i in step.intervals)


def _restamped(step: Step) -> bool:
    """A cache hit announced again after it first ran: only its first run was work.

    With the containerd image store (Docker 28) a base image shared by two stages is
    stamped cached again when the second stage starts, long after it was ready; that
    stamp must not make the stage wait for whatever ran before it.
    """
    return step.cached and all(
        i.end is not None and i.end - i.start < RESTAMP_SECONDS for i in step.intervals[1:]
    )


def _first_stamp_link(step: Step, finished: list[Step]) -> tuple[str, ...]:
    # A vertex known only from cache stamps, stamped again later (another build on
    # the daemon reused it): what it waited for is what finished before its first
    # stamp. Linking by the last stamp could even make a cycle with its consumers.
    first = step.intervals[0].start
    candidates = [
        s
        for s in finished
        if s.digest != step.digest and (s.end or 0.0) <= first + 0.001 and (s.start or 0.0) < first
    ]
    if not candidates:
        return ()
    return (max(candidates, key=lambda s: s.end or 0.0).digest,)


def _hidden_wait(
    step: Step,
    predecessors: tuple[str, ...],
    end_of: Mapping[str, float],
    finished: list[Step],
    finished_ends: list[float],
) -> str | None:
    """What finished last before ``step`` started, after all its inputs were done.

    ``finished`` is sorted by end (``finished_ends``): the candidates are a slice of
    it, walked back from the latest, so a build of n steps costs n log n, not n².
    Of candidates that finished at the same moment, the first in ``finished`` wins.
    ``end_of``: every vertex's end (0 if it has none), by digest.
    """
    if not predecessors or step.start is None:
        return None
    started = step.intervals[-1].start
    ready = max(map(end_of.__getitem__, predecessors))
    if started - ready <= HIDDEN_WAIT_SECONDS:
        return None
    best: Step | None = None
    best_end = 0.0
    for index in range(bisect_right(finished_ends, started + _STAMP_SKEW_SECONDS) - 1, -1, -1):
        end = finished_ends[index]
        if end <= ready or (best is not None and end < best_end):
            break
        candidate = finished[index]
        if (
            candidate.digest != step.digest
            and candidate.digest not in predecessors
            and (candidate.start or 0.0) < started
        ):
            best, best_end = candidate, end
    return best.digest if best is not None else None


def _busy_since(step: Step, moment: float) -> float:
    return union_length(
        (max(begin, moment), end) for begin, end in closed_intervals(step) if end > moment
    )


def busy_seconds(step: Step) -> float:
    """The step's running time, with an interval that never completed closed at its end.

    (A start snapshot superseded by a later start leaves an open interval on a step
    that did complete; closing it at the end of the stream would count time the step
    was not running.)
    """
    if len(step.intervals) == 1:
        # Nearly every step ran once: union_length of one closed interval, which is
        # its length (0.0 + x is x) or nothing, without the lists and the sort.
        interval = step.intervals[0]
        begin, end = interval.start, interval.end
        if end is None:
            end = max(step.end if step.end is not None else 0.0, begin)
        return end - begin if end > begin else 0.0
    return union_length(closed_intervals(step))


def _work_at_full_speed(steps: Sequence[Step], cores: int | None) -> dict[str, float]:
    if cores is None:
        return {step.digest: busy_seconds(step) for step in steps}
    # Sweep the change points of the number of RUN steps running at once.
    changes: dict[float, int] = {}
    for step in steps:
        if is_cpu_bound(step):
            for begin, end in closed_intervals(step):
                if end > begin:
                    changes[begin] = changes.get(begin, 0) + 1
                    changes[end] = changes.get(end, 0) - 1
    points = sorted(changes)
    level: list[tuple[float, float, int]] = []
    running = 0
    for here, there in itertools.pairwise(points):
        running += changes[here]
        level.append((here, there, running))
    work: dict[str, float] = {}
    for step in steps:
        if not is_cpu_bound(step):
            work[step.digest] = busy_seconds(step)
            continue
        total = 0.0
        for begin, end in merged_intervals(closed_intervals(step)):
            # Only the levels from the one holding ``begin`` on can overlap: the same
            # additions in the same order as over every level, without the others.
            first = max(0, bisect_right(points, begin) - 1)
            for here, there, count in itertools.islice(level, first, None):
                if here >= end:
                    break
                overlap = min(end, there) - max(begin, here)
                if overlap > 0:
                    total += overlap * min(1.0, cores / max(1, count))
        work[step.digest] = total
    return work


def estimate_latency(build: Build, graph: TaskGraph | None = None) -> float:
    """The typical delay between a vertex's inputs finishing and the vertex starting.

    The median over the vertices that waited for their inputs (bookkeeping vertices
    keep their own delay), capped at :data:`MAX_LATENCY_SECONDS` (a longer typical
    gap is waiting, not latency).
    """
    graph = graph if graph is not None else graph_from_build(build)
    steps = {step.digest: step for step in build}
    gaps = []
    for task in graph:
        step = steps.get(task.id)
        if step is None or not task.predecessors or not step.intervals or task.delay is not None:
            continue
        ends = [steps[p].end for p in task.predecessors if p in steps]
        known = [end for end in ends if end is not None]
        if not known or len(known) < len(ends):
            continue
        gap = step.intervals[-1].start - max(known)
        if gap >= 0:
            gaps.append(gap)
    if not gaps:
        return 0.0
    return min(MAX_LATENCY_SECONDS, median(gaps))


@dataclass(frozen=True, slots=True)
class Calibration:
    """How well replaying the recorded graph reproduces the recorded build."""

    observed_wall_seconds: float
    replayed_wall_seconds: float
    latency_seconds: float
    """Scheduling latency used for the replay (estimated from the build)."""

    @property
    def error_seconds(self) -> float:
        return abs(self.replayed_wall_seconds - self.observed_wall_seconds)

    @property
    def error_ratio(self) -> float:
        if self.observed_wall_seconds <= 0:
            return 0.0
        return self.error_seconds / self.observed_wall_seconds

    @property
    def bias_seconds(self) -> float:
        """Observed minus replayed: add to a simulated wall to estimate a real one."""
        return self.observed_wall_seconds - self.replayed_wall_seconds


@dataclass(frozen=True)
class Simulator:
    """A build's task graph with the options to replay it, calibrated on the build.

    The latency estimate and the calibration replay are made when first asked: a
    pass whose finders price nothing (most steps of a large build are short) needs
    neither, and the replay of 5,000 vertices is a third of the pass.
    """

    build: Build
    graph: TaskGraph
    max_parallelism: int | None = None
    cores: int | None = None
    latency: float | None = None
    """The scheduling latency to use; ``None``: estimated from the build."""

    @cached_property
    def options(self) -> SimulationOptions:
        latency = self.latency
        if latency is None:
            latency = estimate_latency(self.build, self.graph)
        return SimulationOptions(
            max_parallelism=self.max_parallelism, cores=self.cores, latency=latency
        )

    @cached_property
    def calibration(self) -> Calibration:
        """The recorded graph replayed, against the build's observed wall time."""
        return Calibration(
            observed_wall_seconds=observed_wall_seconds(self.build),
            replayed_wall_seconds=simulate(self.graph, self.options).wall_seconds,
            latency_seconds=self.options.latency,
        )

    def run(self, graph: TaskGraph | None = None) -> Schedule:
        return simulate(self.graph if graph is None else graph, self.options)

    def wall(self, graph: TaskGraph | None = None) -> float:
        return self.run(graph).wall_seconds


def simulator_for(
    build: Build,
    *,
    max_parallelism: int | None = None,
    cores: int | None = None,
    latency: float | None = None,
) -> Simulator:
    """Build the task graph; the latency is estimated and the build replayed (its
    calibration) when first needed."""
    return Simulator(
        build=build,
        graph=graph_from_build(build, cores=cores),
        max_parallelism=max_parallelism,
        cores=cores,
        latency=latency,
    )


def calibrate(
    build: Build,
    *,
    max_parallelism: int | None = None,
    cores: int | None = None,
) -> Calibration:
    """Replay the recorded graph and compare its wall time with the observed one."""
    return simulator_for(build, max_parallelism=max_parallelism, cores=cores).calibration
