"""``cache-bust``: a cheap step whose input changed re-runs expensive work after it.

Typically ``COPY . .`` before a dependency install: any source edit re-runs the
install. Kitprof proposes copying the dependency manifests first (priced as a
rebuild after a source edit). Without a fix it can write, a rebuild compared with an
earlier run (``previous``) still names the step that stopped being cached and what
it cost.
"""

from __future__ import annotations

from functools import cached_property

from profiler.dockerfile import CopySpec, copy_spec, resolve
from profiler.model import Build, Step
from profiler.names import StepKind
from profiler.suggest.context import Finder, SuggestContext, short
from profiler.suggest.manifests import install_manifests
from profiler.suggest.rewrite import manifests_first
from profiler.suggest.suggestion import Suggestion
from profiler.suggest.taskgraph import Task, TaskGraph

KIND = "cache-bust"

StepKey = tuple[str | None, str | None, str, int | None, str]
"""A step across runs of a build: (target, platform, stage, index, text)."""


def find(context: SuggestContext) -> list[Suggestion]:
    rebuild = _Rebuild(context)
    suggestions: list[Suggestion] = []
    handled: set[str] = set()
    for step in context.steps:
        spec = copy_spec(step.parsed.text)
        if spec is None or not spec.whole_context or not context.executed(step):
            continue
        made = _manifests_first(context, rebuild, step, spec)
        if made is not None:
            suggestions.append(made)
            handled.add(step.digest)
    # Without an earlier run, "this step's input changed" explains nothing the
    # user did not do on purpose (they edited the file): only compare with one.
    for root in rebuild.roots if context.previous is not None else []:
        if root.digest not in handled:
            suggestions.append(_explain(context, rebuild, root))
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="COPY . . before the dependency install: copy the manifests first (with "
    "--previous: which step stopped being cached, and what that cost)",
    find=find,
)


def _key(step: Step) -> StepKey:
    return (step.target, step.parsed.platform, step.stage_key, step.parsed.index, step.parsed.text)


def _untargeted(step: Step) -> tuple[str | None, str, int | None, str]:
    return (step.parsed.platform, step.stage_key, step.parsed.index, step.parsed.text)


def _by_key(build: Build) -> dict[StepKey, Step]:
    return {_key(s): s for s in build if s.kind is StepKind.STEP}


class _Rebuild:
    """What tells a rebuild from a cold build, and what changed since the previous run."""

    def __init__(self, context: SuggestContext) -> None:
        self.context = context

    @cached_property
    def _ran_here(self) -> set[tuple[str | None, str, int | None, str]]:
        # A step cached because another bake target ran the same step in this very
        # build (BuildKit shares the work) is no sign of an earlier build. Made when
        # first asked: most builds have no candidate to ask about.
        return {_untargeted(s) for s in self.context.steps if self.context.executed(s)}

    @cached_property
    def previous(self) -> dict[StepKey, Step]:
        """The previous run's steps by key (empty without one)."""
        return _by_key(self.context.previous) if self.context.previous is not None else {}

    @cached_property
    def roots(self) -> list[Step]:
        """Steps that ran although what they build on came from the cache, in a rebuild."""
        context, build = self.context, self.context.build
        roots = []
        for step in context.steps:
            if step.parsed.instruction == "FROM" or not context.executed(step):
                continue
            inputs = [build.step(d) for d in step.inputs if build.get(d) is not None]
            step_inputs = [s for s in inputs if s.kind is StepKind.STEP]
            if (
                step_inputs
                and all(s.cached or s.parsed.instruction == "FROM" for s in step_inputs)
                and self.is_rebuild(step)
            ):
                roots.append(step)
        return roots

    def is_rebuild(self, step: Step) -> bool:
        """Whether ``step`` ran in a rebuild, on top of work that came from the cache.

        A cached ``WORKDIR`` proves nothing (any build on the same base image shares
        it); a cached ``RUN``/``COPY`` above the step does, and so does the step's
        presence in a previous run of the build.
        """
        if _key(step) in self.previous:
            return True
        build = self.context.build
        return any(
            (ancestor := build.get(d)) is not None
            and ancestor.kind is StepKind.STEP
            and ancestor.cached
            and ancestor.parsed.instruction not in {"FROM", "WORKDIR"}
            and _untargeted(ancestor) not in self._ran_here
            for d in self.context.ancestors(step.digest)
        )

    def note(self, root: Step, install: Step | None) -> str:
        """`` Compared with the previous run: …`` for a detail (nothing without one)."""
        if self.context.previous is None:
            return ""
        notes = []
        for step in (root, install):
            if step is None:
                continue
            old = self.previous.get(_key(step))
            text = short(step.parsed.text, 40)
            if old is None:
                notes.append(f"{text} is new since the previous run")
            elif old.cached:
                notes.append(
                    f"in the previous run {text} was cached; now it ran ({step.duration:.1f} s)"
                )
            else:
                notes.append(f"{text} ran in the previous run too ({old.duration:.1f} s then)")
        stopped = [
            s
            for s in self.context.steps
            if self.context.executed(s)
            and (old := self.previous.get(_key(s))) is not None
            and old.cached
        ]
        if stopped:
            cost = sum(s.duration for s in stopped)
            notes.append(f"{len(stopped)} step(s) cached last time ran this time ({cost:.1f} s)")
        return " Compared with the previous run: " + "; ".join(notes) + "." if notes else ""


# ---------------------------------------------------------------------- manifests first


def _install_after(context: SuggestContext, copy_step: Step) -> Step | None:
    """The long ``RUN`` right after the copy in its stage: the install it re-runs."""
    install = next(
        (
            s
            for s in context.chain_successors.get(copy_step.digest, ())
            if context.stage_of(s) == context.stage_of(copy_step)
        ),
        None,
    )
    if (
        install is None
        or install.parsed.instruction != "RUN"
        or not context.executed(install)
        or context.graph[install.digest].duration < context.long_step
    ):
        return None
    return install


def _manifests_first(
    context: SuggestContext, rebuild: _Rebuild, copy_step: Step, spec: CopySpec
) -> Suggestion | None:
    install = _install_after(context, copy_step)
    if install is None:
        return None
    copy_instruction = context.locate(copy_step)
    install_instruction = context.locate(install)
    workdir = copy_instruction.workdir if copy_instruction is not None else None
    manifests = install_manifests(
        install,
        install_instruction,
        spec,
        workdir,
        context.context_dir if context.context_known else None,
    )
    if not manifests:
        return None
    baseline = _after_edit(context, copy_step)
    changed = _installed_from_manifests(context, baseline, copy_step, install)
    this_build = rebuild.is_rebuild(copy_step)
    priced = context.priced(changed, baseline, this_build=this_build)
    scenario = (
        "a rebuild after a source edit (this build)"
        if this_build
        else "a rebuild after a source edit (simulated)"
    )
    rewritten = None
    if copy_instruction is not None and install_instruction is not None and context.dockerfile:
        rewritten = manifests_first(
            context.dockerfile, copy_instruction, install_instruction, spec, manifests
        )
    install_seconds = context.graph[install.digest].duration
    copy_text = short(copy_step.parsed.text, 40)
    install_text = f"{short(install.parsed.text, 50)}{context.where(install)}"
    if this_build:
        cause = (
            f"In this build {copy_text}{context.where(copy_step)} was not cached: a file "
            f"in the build context changed. That re-ran {install_text} "
            f"({install_seconds:.1f} s) although its dependencies did not change."
        )
    else:
        cause = (
            f"{copy_text}{context.where(copy_step)} copies the whole build context before "
            f"{install_text} ({install_seconds:.1f} s): any edit to any file re-runs the "
            "install."
        )
    detail = (
        f"{cause}{rebuild.note(copy_step, install)} Copy the dependency manifests "
        f"({', '.join(manifests)}) first, install, then copy the rest: a source edit then "
        "keeps the install cached."
    )
    destination = spec.destination
    destination_note = resolve(destination, workdir) if workdir else destination
    return context.make_suggestion(
        KIND,
        f"Copy {', '.join(manifests)} before {copy_text} so the install stays cached",
        detail,
        priced,
        [copy_step, install],
        scenario=scenario,
        rewritten=rewritten,
        assumptions=[
            f"the install reads only {', '.join(manifests)} from the build context "
            f"(copied to {destination_note})",
            "the source edit does not touch the manifests",
        ],
    )


def _after_edit(context: SuggestContext, changed_root: Step) -> TaskGraph:
    """This build as a rebuild where only ``changed_root``'s input changed."""
    rerun = context.descendants(changed_root.digest) | {changed_root.digest}
    cached = [
        s.digest
        for s in context.steps
        if s.digest not in rerun and s.parsed.instruction != "FROM" and s.digest in context.graph
    ]
    return context.graph.cached(cached)


def _installed_from_manifests(
    context: SuggestContext, baseline: TaskGraph, copy_step: Step, install: Step
) -> TaskGraph:
    """The rebuild with the manifests copied first: the install stays cached."""
    graph = context.graph
    manifest_task = f"manifests:{copy_step.digest}"
    base = context.chain_predecessor.get(copy_step.digest)
    context_inputs = [d for d in copy_step.inputs if d != base and d in graph]
    changed = baseline.with_task(
        Task(
            id=manifest_task,
            duration=0.0,
            predecessors=tuple(
                ([base] if base is not None and base in graph else []) + context_inputs
            ),
            label="COPY <manifests>",
        )
    )
    changed = changed.move_before(install.digest, copy_step.digest, copy_step.digest)
    if base is not None:
        changed = changed.replace_predecessor(install.digest, base, manifest_task)
    return changed.cached([install.digest])


# ---------------------------------------------------------------------- what stopped


def _explain(context: SuggestContext, rebuild: _Rebuild, root: Step) -> Suggestion:
    """A step that stopped being cached: what it re-ran, and what that cost."""
    executed = {s.digest for s in context.steps if context.executed(s)}
    rerun = (context.descendants(root.digest) | {root.digest}) & executed
    shared = set()
    for other in rebuild.roots:
        if other.digest != root.digest:
            shared |= context.descendants(other.digest) | {other.digest}
    exclusive = [d for d in rerun if d not in shared]
    priced = context.priced(context.graph.cached(exclusive))
    steps = [context.build.step(d) for d in exclusive]
    steps.sort(key=lambda s: s.start or 0.0)
    cost = sum(context.graph[d].duration for d in exclusive)
    detail = (
        f"{short(root.parsed.text, 50)}{context.where(root)} ran although the steps "
        f"before it came from the cache: its input changed. It re-ran {len(steps)} "
        f"step(s), {cost:.1f} s of work; had its input not changed this build would "
        f"have taken about {priced[1]:.1f} s."
    )
    return context.make_suggestion(
        KIND,
        f"{short(root.parsed.text, 40)} stopped being cached and re-ran {len(steps)} step(s)",
        detail + rebuild.note(root, None),
        priced,
        steps,
        assumptions=["the steps after it would have been cached too"],
    )
