"""Which steps determined the finish time, and how fast the graph could go.

BuildKit reports real dependencies as vertex ``inputs`` but leaves some vertices
unconnected: the definition and ``.dockerignore`` loads, metadata resolution, image
sources, the exporter. Without a link, a path stops at "exporting to image". So a
vertex without inputs is linked by time to the vertex that finished last before it
started, which is what it really waited for (the solve cannot start before the
definition is loaded; the export cannot start before the last step).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Mapping

from profiler.analysis.memo import derived
from profiler.model import Build, Step, StepStatus

# Daemon and client clocks differ slightly; a vertex that "finished" a hair after
# another started still counts as finished before it.
TIME_LINK_TOLERANCE = 0.001


def dependency_graph(build: Build) -> Mapping[str, tuple[str, ...]]:
    """Predecessors of every vertex: its known inputs, or its time link if it has none.

    Made once per Build (the analysis, the suggestions and the figures all ask).
    """
    return derived(build, "dependency_graph", lambda: _dependency_graph(build))


def _dependency_graph(build: Build) -> dict[str, tuple[str, ...]]:
    finished = sorted(
        (step for step in build if step.end is not None and step.start is not None),
        key=lambda step: step.end or 0.0,
    )
    ends = [step.end or 0.0 for step in finished]
    graph: dict[str, tuple[str, ...]] = {}
    known = build.get
    for step in build:
        inputs = tuple(d for d in step.inputs if known(d) is not None and d != step.digest)
        if (inputs and not _waited_beyond_inputs(step, inputs, build)) or not step.intervals:
            graph[step.digest] = inputs
            continue
        link = _finished_last_before(step, finished, ends)
        if link is not None and link.digest not in inputs:
            inputs = (*inputs, link.digest)
        graph[step.digest] = inputs
    return graph


def _waited_beyond_inputs(step: Step, inputs: tuple[str, ...], build: Build) -> bool:
    """A cached vertex stamped after all its inputs had finished (see the module doc)."""
    if step.status is not StepStatus.CACHED or step.start is None:
        return False
    ends = [build.step(d).end for d in inputs]
    last = max((end for end in ends if end is not None), default=None)
    return last is not None and step.start - last > TIME_LINK_TOLERANCE


def _finished_last_before(step: Step, finished: list[Step], ends: list[float]) -> Step | None:
    # A vertex that ran more than once (bake targets sharing one exporter digest, a
    # second export pass) waited, before its final run, for what ended before that run.
    started = step.intervals[-1].start
    for index in range(bisect_right(ends, started + TIME_LINK_TOLERANCE) - 1, -1, -1):
        candidate = finished[index]
        # A zero-length vertex stamped at this very moment did not hold this one up.
        if candidate.digest != step.digest and (candidate.start or 0.0) < started:
            return candidate
    return None


def observed_critical_path(
    build: Build,
    graph: Mapping[str, tuple[str, ...]] | None = None,
    among: Collection[str] | None = None,
) -> list[Step]:
    """The chain that set the finish time, in time order.

    ``among`` (digests): the chain that set the finish time of those vertices only,
    e.g. one platform's of a multi-platform build; it may run through any vertex
    they depended on.

    Start from the vertex that completed last, then repeatedly step to the
    predecessor that finished last: the one it was actually waiting for. In a failed
    build the first failure is what ended it (the steps completing after it are
    siblings being cancelled), so the chain starts there.

    Predecessors that finished within the clock's resolution of the last one
    (:func:`tie_seconds`) cannot be told apart by time: the one heading the heavier
    chain of work is taken, as the scheduler must have waited for that work too. So
    the path never weighs less than the lower bound because of a clock's rounding.
    """
    if among is None and (graph is None or graph is dependency_graph(build)):
        # The path of the whole build: the analysis and the suggestions both ask.
        return list(derived(build, "critical_path", lambda: _observed(build, None, None)))
    return _observed(build, graph, among)


def _observed(
    build: Build,
    graph: Mapping[str, tuple[str, ...]] | None,
    among: Collection[str] | None,
) -> list[Step]:
    graph = dependency_graph(build) if graph is None else graph
    candidates = [
        step for step in build if step.end is not None and (among is None or step.digest in among)
    ]
    if not candidates:
        return []
    chains, _ = _heaviest_chains(build, graph)
    tie = tie_seconds(build)

    def latest(steps: list[Step]) -> Step:
        last_end = max(step.end or 0.0 for step in steps)
        close = [step for step in steps if (step.end or 0.0) >= last_end - tie]
        return max(
            close, key=lambda step: (chains.get(step.digest, 0.0), step.end or 0.0, step.duration)
        )

    failed = [step for step in candidates if step.status is StepStatus.FAILED]
    current = min(failed, key=lambda step: step.end or 0.0) if failed else latest(candidates)
    path = [current]
    visited = {current.digest}
    while True:
        predecessors = [build.step(d) for d in graph.get(current.digest, ()) if d not in visited]
        predecessors = [p for p in predecessors if p.end is not None]
        if not predecessors:
            break
        current = latest(predecessors)
        visited.add(current.digest)
        path.append(current)
    path.reverse()
    return path


EXACT_TIE_SECONDS = 0.05
"""BuildKit stamps times to the microsecond, but a vertex is scheduled some tens of
milliseconds after its inputs complete: inputs finishing closer than this are a tie."""
APPROXIMATE_TIE_SECONDS = 0.25
"""A plain log's times come from ``DONE 1.2s`` (0.1 s) and lines printed every
100-150 ms: inputs finishing closer than this are a tie."""


def tie_seconds(build: Build) -> float:
    """How close two completion times must be to count as one moment."""
    return APPROXIMATE_TIE_SECONDS if build.approximate else EXACT_TIE_SECONDS


def _heaviest_chains(
    build: Build, graph: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, float], dict[str, str | None]]:
    """For each vertex, the busy time of the heaviest chain of work ending with it,
    and the predecessor that chain comes through. (Shared: not to be changed.)"""
    if graph is dependency_graph(build):
        return derived(build, "heaviest_chains", lambda: _chains_of(build, graph))
    return _chains_of(build, graph)


def _chains_of(
    build: Build, graph: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, float], dict[str, str | None]]:
    # Depth first, each vertex after its predecessors; an edge back to a vertex still
    # on the stack (a cycle odd timestamps made) is ignored. Each stack entry holds an
    # iterator over the vertex's predecessors, resumed where it stopped.
    finish: dict[str, float] = {}
    best_predecessor: dict[str, str | None] = {}
    seen: set[str] = set()  # on the stack or done; done ones are in finish
    for root in graph:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(graph.get(root, ())))]
        while stack:
            digest, predecessors = stack[-1]
            for predecessor in predecessors:
                if predecessor in graph and predecessor not in seen:
                    seen.add(predecessor)
                    stack.append((predecessor, iter(graph.get(predecessor, ()))))
                    break
            else:
                stack.pop()
                done = [(finish[p], p) for p in graph.get(digest, ()) if p in finish]
                earliest_start, chosen = max(done, default=(0.0, None))
                finish[digest] = earliest_start + build.step(digest).duration
                best_predecessor[digest] = chosen
    return finish, best_predecessor


def longest_path(
    build: Build,
    graph: Mapping[str, tuple[str, ...]] | None = None,
    among: Collection[str] | None = None,
) -> tuple[float, list[Step]]:
    """The duration-weighted longest path: the wall time with unlimited parallelism.

    ``among`` (digests): the longest path ending at one of those vertices (one
    platform's lower bound), through whatever they depended on.

    Every vertex costs its busy time and may start as soon as its predecessors are
    done. A failed build ended with its first failure, so its bound is the earliest
    that failure could have come: the longest path to it (the steps cancelled
    around it never finished, and their cut-off times bound nothing).

    Cycles cannot occur in BuildKit's graph; should odd timestamps make the time
    links form one, the edge that closes it is ignored.
    """
    graph = dependency_graph(build) if graph is None else graph
    finish, best_predecessor = _heaviest_chains(build, graph)
    if among is not None:
        finish = {d: seconds for d, seconds in finish.items() if d in among}
    if not finish:
        return 0.0, []
    failed = [step for step in map(build.step, finish) if step.status is StepStatus.FAILED]
    ended = [step for step in failed if step.end is not None]
    if ended:
        last = min(ended, key=lambda step: step.end or 0.0).digest
    else:
        last = max(finish, key=lambda d: finish[d])
    path: list[Step] = []
    cursor: str | None = last
    while cursor is not None:
        path.append(build.step(cursor))
        cursor = best_predecessor.get(cursor)
    path.reverse()
    return finish[last], path


def path_start(step: Step) -> float | None:
    """When ``step`` started the run a critical path counts: its last one.

    A vertex can run more than once (the exporter bake targets share runs once per
    target); the path reaches it through what it waited for before its final run,
    so a table of the path listing its first start would go back in time.
    """
    return step.intervals[-1].start if step.intervals else step.start
