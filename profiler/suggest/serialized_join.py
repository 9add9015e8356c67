"""``serialized-join``: a long step waits behind a ``COPY --from`` it does not need.

The copy waited for another stage that finished late; the step after it does not use
the copied files, so it could have run meanwhile: move it above the copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from profiler.dockerfile import copy_spec, mentions_path, resolve
from profiler.model import Step
from profiler.names import StepKind
from profiler.suggest.context import Finder, StageKey, SuggestContext, short
from profiler.suggest.rewrite import move_above
from profiler.suggest.suggestion import Suggestion
from profiler.suggest.taskgraph import TaskGraph

KIND = "serialized-join"
# A source stage counts as late when it finished this long after the chain was ready.
_LATE_SECONDS = 0.05


def find(context: SuggestContext) -> list[Suggestion]:
    """The best move of each stage chain, if one saves anything."""
    suggestions: list[Suggestion] = []
    seen_chains: set[StageKey] = set()
    for step in context.steps:
        key = context.stage_of(step)
        if key in seen_chains:
            continue
        seen_chains.add(key)
        chain = [s for s in context.stage_chain(step) if s.digest in context.graph]
        best: Suggestion | None = None
        for position, mover in enumerate(chain):
            made = _move_up(context, chain, position, mover)
            if made is not None and (
                best is None or made.estimated_saving_seconds > best.estimated_saving_seconds
            ):
                best = made
        if best is not None:
            suggestions.append(best)
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="a long step waits behind a COPY --from of a stage that finishes late, although "
    "it does not use the copied files: move it above the copy",
    find=find,
)


def _waiting_join(context: SuggestContext, step: Step) -> Step | None:
    """The other stage's step a join waited for, when it finished after the chain."""
    build = context.build
    chain = context.chain_predecessor.get(step.digest)
    chain_end = build.step(chain).end if chain else None
    sources = [
        build.step(d)
        for d in step.inputs[1:]
        if build.get(d) is not None and build.step(d).kind is StepKind.STEP
    ]
    late = [
        s
        for s in sources
        if s.end is not None and (chain_end is None or s.end > chain_end + _LATE_SECONDS)
    ]
    return max(late, key=lambda s: s.end or 0.0) if late else None


def _move_up(
    context: SuggestContext, chain: list[Step], position: int, mover: Step
) -> Suggestion | None:
    """``mover`` moved above the first join before it that waited, if it may move."""
    if (
        mover.parsed.instruction not in {"RUN", "COPY", "ADD"}
        or not context.executed(mover)
        or context.graph[mover.digest].duration < context.long_step
        or mover.digest not in context.chain_predecessor
    ):
        return None
    anchor_index = next(
        (
            i
            for i in range(position)
            if chain[i].parsed.instruction != "FROM"
            and _waiting_join(context, chain[i]) is not None
        ),
        None,
    )
    if anchor_index is None:
        return None
    between = chain[anchor_index:position]
    if any(s.parsed.instruction not in {"COPY", "ADD"} for s in between):
        return None
    if _mover_uses(context, mover, between):
        return None
    anchor = chain[anchor_index]
    waited = _waiting_join(context, anchor)
    predecessor = context.chain_predecessor[mover.digest]

    def change(graph: TaskGraph) -> TaskGraph:
        return graph.move_before(mover.digest, anchor.digest, predecessor)

    changed = change(context.graph)
    priced = context.priced(changed)
    # The moved step now runs beside the stage the copy waits for: added parallelism.
    host = context.host_priced([mover, waited] if waited is not None else [mover], change)
    rewritten = None
    if context.dockerfile is not None:
        anchor_instruction = context.locate(anchor)
        mover_instruction = context.locate(mover)
        if anchor_instruction is None or mover_instruction is None:
            return None
        rewritten = move_above(context.dockerfile, mover_instruction, anchor_instruction)
    waited_text = (
        f" (stage {waited.stage_key} finished at {waited.end or 0:.1f} s)" if waited else ""
    )
    detail = (
        f"{short(mover.parsed.text, 50)}{context.where(mover)} "
        f"({context.graph[mover.digest].duration:.1f} s) waits behind "
        f"{short(anchor.parsed.text, 50)}{context.where(anchor)}, which waited for another "
        f"stage{waited_text}. Moving it above the copy lets it run while that stage "
        "builds."
    )
    return context.make_suggestion(
        KIND,
        f"Move {short(mover.parsed.text, 40)} above {short(anchor.parsed.text, 40)}",
        detail,
        priced,
        [mover, *between],
        rewritten=rewritten,
        assumptions=[
            f"{short(mover.parsed.text, 40)} does not use the files copied by the "
            f"step(s) it moves above",
        ],
        host=host,
    )


def _absolute_destination(context: SuggestContext, step: Step, destination: str) -> str | None:
    """A copy's destination as an absolute path (``None``: relative, and step not found)."""
    if destination.startswith("/"):
        return destination
    instruction = context.locate(step)
    return resolve(destination, instruction.workdir) if instruction is not None else None


def _mover_uses(context: SuggestContext, mover: Step, between: Sequence[Step]) -> bool:
    """Whether the moved step may read what the steps it jumps over wrote."""
    mover_spec = copy_spec(mover.parsed.text)
    for step in between:
        spec = copy_spec(step.parsed.text)
        if spec is None:
            return True
        destination = _absolute_destination(context, step, spec.destination)
        if destination is None:
            return True
        if mover_spec is not None:
            mover_destination = _absolute_destination(context, mover, mover_spec.destination)
            if mover_destination is None:
                return True
            if mentions_path(mover_destination, destination):
                return True
            if mover_spec.flag("from") is None and mover_spec.whole_context:
                return True
        else:
            if mentions_path(mover.parsed.text, destination):
                return True
            # A relative path in the command may point into the copied directory
            # when one holds the other (the root aside: "/" holds everything).
            mover_instruction = context.locate(mover)
            if mover_instruction is None:
                return True
            workdir = mover_instruction.workdir
            if workdir != "/" and mentions_path(workdir, destination):
                return True
    return False
