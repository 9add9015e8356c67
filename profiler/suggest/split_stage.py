"""``split-stage``: long installs that run one after another although they look independent.

Consecutive long install steps on the critical path inside one stage: run them as
parallel stages from the same base, joined back by ``COPY --from``. System package
installs (``apt-get install``…) stay where they are: later steps usually need them.
"""

from __future__ import annotations

import re

from profiler.model import Step
from profiler.names import StepKind
from profiler.suggest.context import Finder, SuggestContext, short
from profiler.suggest.rewrite import StageSplit, split_stage
from profiler.suggest.suggestion import Suggestion
from profiler.suggest.taskgraph import TaskGraph

KIND = "split-stage"

# Steps that install a toolchain or packages, fetched rather than computed from the
# build's own files: the candidates for running side by side.
_INSTALL = re.compile(
    r"\b(install(?:ing|s|ed)?|download(?:ing|s)?|fetch(?:ing|es)?|setup|set up|"
    r"curl|wget|git clone|rustup|sdkmanager|add-apt-repository)\b",
    re.IGNORECASE,
)
# System package installs: later steps usually need them, so they are never split off.
_SYSTEM_PACKAGES = re.compile(
    r"\b(apt-get|apt|apk|yum|dnf|microdnf|zypper|pacman|emerge)\s+(-\S+\s+)*"
    r"(install|add|update|upgrade)\b"
)
# A COPY --from costs this when the build ran none to measure.
_DEFAULT_JOIN_SECONDS = 0.02

Branches = list[list[Step]]
"""Consecutive parts of a stage's chain, each ending in a long install."""


def find(context: SuggestContext) -> list[Suggestion]:
    suggestions = []
    for run in _path_runs(context):
        for branches in _install_segments(context, run):
            made = _split(context, branches)
            if made is not None:
                suggestions.append(made)
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="consecutive long install steps of one stage on the critical path that could "
    "run as parallel stages joined by COPY --from (with the diff and its assumption)",
    find=find,
)


def _path_runs(context: SuggestContext) -> list[list[Step]]:
    """Maximal runs of the critical path that follow one stage's chain."""
    runs: list[list[Step]] = []
    for step in context.path:
        if step.kind is not StepKind.STEP:
            runs.append([])
            continue
        if (
            runs
            and runs[-1]
            and context.stage_of(runs[-1][-1]) == context.stage_of(step)
            and context.chain_predecessor.get(step.digest) == runs[-1][-1].digest
        ):
            runs[-1].append(step)
        else:
            runs.append([step])
    return [r for r in runs if len(r) >= 2]


def _is_install(context: SuggestContext, step: Step) -> bool:
    return (
        step.parsed.instruction in {"RUN", "ADD"}
        and context.executed(step)
        and context.graph[step.digest].duration >= context.long_step
        and _INSTALL.search(step.parsed.text) is not None
        and _SYSTEM_PACKAGES.search(step.parsed.text) is None
    )


def _install_segments(context: SuggestContext, run: list[Step]) -> list[Branches]:
    """Branches (short steps go with the install after them) of each candidate run."""
    segments: list[Branches] = []
    branches: Branches = []
    pending: list[Step] = []

    def close() -> None:
        nonlocal branches, pending
        if len(branches) >= 2:
            segments.append(branches)
        branches, pending = [], []

    for step in run:
        if _is_install(context, step):
            branches.append([*pending, step])
            pending = []
        elif (
            branches
            and step.parsed.instruction in {"RUN", "COPY", "ADD"}
            and context.seconds(step) < context.long_step
            and _SYSTEM_PACKAGES.search(step.parsed.text) is None
        ):
            pending.append(step)
        else:
            close()
    close()
    return segments


def _plan(context: SuggestContext, branches: Branches) -> StageSplit | None:
    assert context.dockerfile is not None
    located = [[context.locate(s) for s in branch] for branch in branches]
    instructions = [[i for i in branch if i is not None] for branch in located]
    if any(len(found) != len(branch) for found, branch in zip(instructions, located, strict=True)):
        return None
    return split_stage(context.dockerfile, instructions)


def _split(context: SuggestContext, branches: Branches) -> Suggestion | None:
    first = branches[0][0]
    base = context.chain_predecessor.get(first.digest)
    if base is None:
        return None
    plan = _plan(context, branches) if context.dockerfile is not None else None
    if context.dockerfile is not None and plan is None:
        return None
    join_cost = _join_cost(context)

    def change(graph: TaskGraph) -> TaskGraph:
        return graph.split_chain(
            [[s.digest for s in branch] for branch in branches],
            base,
            join_cost,
            joins_per_branch=plan.joins_per_branch if plan is not None else None,
        )

    changed = change(context.graph)
    installs = [branch[-1] for branch in branches]
    total = sum(context.graph[s.digest].duration for s in installs)
    names = ", ".join(short(s.parsed.text, 40) for s in installs)
    stage_label = first.stage_key
    detail = (
        f"Stage {stage_label} runs {len(installs)} long install steps one after another "
        f"({total:.1f} s in all, on the critical path): {names}. They look independent: "
        f"run them as parallel stages that start from the same base and copy their "
        f"results back with COPY --from; the stage then takes about as long as its "
        f"longest install."
    )
    if plan is not None:
        detail += " " + plan.summary
    assumptions = [
        "the later installs do not use the earlier ones' files (nor their PATH or "
        "environment changes)",
    ]
    if plan is not None and plan.guessed:
        assumptions.append(
            "the copied paths are what the installs write, as read from their commands: "
            + "; ".join(plan.guessed)
        )
    steps = [s for branch in branches for s in branch]
    host = context.host_priced(steps, change)
    if context.options.cores is None and host is None:
        assumptions.append(
            "the parallel steps do not contend for CPU (--cores N shares N cores "
            "among parallel RUN steps)"
        )
    return context.make_suggestion(
        KIND,
        f"Split stage {stage_label}: run {len(installs)} installs in parallel stages",
        detail,
        context.priced(changed),
        steps,
        rewritten=plan.text if plan is not None else None,
        assumptions=assumptions,
        host=host,
    )


def _join_cost(context: SuggestContext) -> float:
    """What a ``COPY --from`` costs in this build (median of those that ran)."""
    graph = context.graph
    copies = sorted(
        graph[s.digest].duration
        for s in context.steps
        if s.parsed.instruction == "COPY"
        and "--from" in s.parsed.text
        and s.digest in graph
        and not s.cached
    )
    if not copies:
        copies = sorted(
            graph[s.digest].duration
            for s in context.steps
            if s.parsed.instruction in {"COPY", "ADD"} and s.digest in graph and not s.cached
        )
    return copies[len(copies) // 2] if copies else _DEFAULT_JOIN_SECONDS
