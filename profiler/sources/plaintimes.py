"""Times of a plain log's vertices: from line timestamps, or from durations and line order.

See :mod:`profiler.sources.plain` for what the printer guarantees and how it is used.
"""

from __future__ import annotations

from profiler.sources.plainvertex import Run, Vertex

BASE_SEARCH_ROUNDS = 3
# Printed times are rounded to 0.1 s: an input may seem to end a little after its use.
LINK_TOLERANCE = 0.06


def _runs_by_outcome(vertices: list[Vertex]) -> list[tuple[Vertex, int, Run]]:
    runs = [(v, i, run) for v in vertices for i, run in enumerate(v.runs)]
    # Outcomes in print order, then the runs that never printed one.
    return sorted(
        runs,
        key=lambda item: (
            item[2].outcome is None,
            item[2].outcome_line if item[2].outcome is not None else item[2].header_line,
        ),
    )


def time_from_order(vertices: list[Vertex]) -> None:
    """No clock in the log: a cumulative clock from durations, inputs and line order.

    A stage's first step of unknown base gets the candidate that fits the output best:
    the one whose schedule needs the least pushing to keep completions in printed
    order, and of those the earliest (the earliest schedule the output allows).
    """
    by_number = {vertex.number: vertex for vertex in vertices}
    ordered = _runs_by_outcome(vertices)
    choosing = [v for v in vertices if v.base_candidates]
    choosing.sort(key=lambda v: v.outcome_line if v.outcome_line is not None else v.first_line)
    bases = {v.number: v.base_candidates[-1] for v in choosing}
    for _ in range(BASE_SEARCH_ROUNDS if choosing else 0):
        changed = False
        for vertex in choosing:
            current = bases[vertex.number]
            scored = []
            for candidate in vertex.base_candidates:
                bases[vertex.number] = candidate
                pushed = _schedule(ordered, by_number, bases)
                scored.append((round(pushed, 6), vertex.runs[0].end or 0.0, candidate))
            bases[vertex.number] = min(scored)[2]
            changed = changed or bases[vertex.number] != current
        if not changed:
            break
    _schedule(ordered, by_number, bases)
    for vertex in choosing:
        vertex.deps.append(bases[vertex.number])
        vertex.base_candidates = []


def _schedule(
    ordered: list[tuple[Vertex, int, Run]],
    by_number: dict[int, Vertex],
    bases: dict[int, int],
) -> float:
    """Time every run in outcome order; return how far completions had to be pushed."""
    clock = 0.0
    pushed = 0.0
    done: set[int] = set()
    # The latest end among outcomes printed before each line, for inputs not yet timed.
    outcome_clock: list[tuple[int, float]] = []
    for vertex, index, run in ordered:
        if index > 0:
            previous = vertex.runs[index - 1]
            ready = previous.end if previous.end is not None else previous.start
            if not vertex.structural:
                # Run again (an exporter per bake target): after what was done when
                # its header came again.
                before = [end for line, end in outcome_clock if line < run.header_line]
                ready = max([ready, *before])
        else:
            inputs = list(vertex.deps)
            if vertex.number in bases:
                inputs.append(bases[vertex.number])
            ends = [by_number[d].runs[-1].end for d in inputs if d in done]
            known = [end for end in ends if end is not None]
            if known:
                ready = max(known)
            else:
                ready = max(
                    (end for line, end in outcome_clock if line < run.header_line), default=0.0
                )
        duration = run.duration
        if run.outcome is None:
            run.start, run.end = ready, None
            continue
        if duration is not None:
            if clock > ready + duration:
                pushed += clock - (ready + duration)
            run.end = max(ready + duration, clock)
            run.start = run.end - duration
        else:
            # Failed or cancelled: it ran at least to its last log line; a cancelled
            # step ends with whatever stopped the build, which the clock stands for.
            run.start = ready
            run.end = max(ready + run.log_span, clock)
        clock = max(clock, run.end)
        outcome_clock.append((run.outcome_line, run.end))
        if index == len(vertex.runs) - 1:
            done.add(vertex.number)
    return pushed


def time_from_stamps(vertices: list[Vertex]) -> None:
    """Every line has the time it was printed: bound each start from above."""
    by_number = {vertex.number: vertex for vertex in vertices}

    def latest_start(run: Run) -> float:
        bounds = [run.header_time or 0.0]
        bounds.extend(log.time - log.offset for log in run.logs if log.time is not None)
        duration = run.duration
        if run.outcome_time is not None:
            bounds.append(run.outcome_time - (duration or 0.0))
        return min(bounds)

    # Runs with a printed duration are placed by their own lines alone.
    for vertex in vertices:
        for run in vertex.runs:
            run.start = latest_start(run)
            duration = run.duration
            if duration is not None:
                run.end = run.start + duration
            else:
                run.end = run.outcome_time
    # Failed, cancelled and unfinished steps start as soon as their inputs were done
    # (of the possible base stages, the last one done by then).
    for vertex in vertices:
        first = vertex.runs[0]
        if first.duration is not None:
            continue
        inputs = vertex.deps if vertex.structural else vertex.base_candidates
        ends = [by_number[d].end for d in inputs if d in by_number]
        known = [end for end in ends if end is not None]
        if not vertex.structural:
            known = [end for end in known if end <= first.start + LINK_TOLERANCE][-1:]
        if known:
            first.start = min(first.start, max(known))
    # An input finished before its consumer started: move inputs printed late back,
    # and their own inputs in turn. Moves only go earlier; the bound guards against a
    # cycle of inferred dependencies.
    todo = sorted(vertices, key=lambda v: v.runs[0].start, reverse=True)
    for _ in range(len(vertices) * len(vertices) + 1):
        if not todo:
            break
        vertex = todo.pop(0)
        if not vertex.structural:
            # A link by print order only: with a clock, the lines' times say more (an
            # import to docker runs while the export is still streaming its tarball).
            continue
        start = vertex.runs[0].start
        for number in vertex.deps:
            dep = by_number.get(number)
            if dep is None or dep.end is None or dep.end <= start:
                continue
            last = dep.runs[-1]
            last.end = start
            last.start = min(last.start, start - (last.duration or 0.0))
            todo.append(dep)


def link_base_stages(vertices: list[Vertex]) -> None:
    """Give a stage's first step of unknown base the candidate that ended just before it."""
    by_number = {vertex.number: vertex for vertex in vertices}
    for vertex in vertices:
        if not vertex.base_candidates:
            continue
        start = vertex.runs[0].start
        ends = [
            (end, number)
            for number in vertex.base_candidates
            if (end := by_number[number].end) is not None
        ]
        before = [item for item in ends if item[0] <= start + LINK_TOLERANCE]
        chosen = max(before) if before else min(ends, default=None)
        if chosen is not None and chosen[1] not in vertex.deps:
            vertex.deps.append(chosen[1])
