"""Suggestions that pay: what to change in the Dockerfile, and how much wall time it saves.

Every suggestion is priced by the what-if simulator (:mod:`profiler.analysis.simulate`):
the build's graph is changed the way the suggestion changes the Dockerfile and replayed.
Only suggestions whose saving the simulator can estimate, and whose saving is worth
reading about (:attr:`SuggestOptions.min_saving_seconds` and ``min_saving_ratio``),
are made. Kinds:

``split-stage``
    Consecutive long install steps on the critical path inside one stage run one
    after another although they look independent: run them as parallel stages from
    the same base, joined back by ``COPY --from``.
``cache-bust``
    A cheap step whose input changed (typically ``COPY . .``) re-runs an expensive
    dependency install after it: copy the dependency manifests first. Without a fix
    kitprof can write, a partly cached build (or a comparison with a previous run)
    still names the step that stopped being cached and what it cost.
``serialized-join``
    A long step waits behind a ``COPY --from`` of a stage that finishes late,
    although it does not use the copied files: move it above the copy.
``unneeded-stage``
    Work that nothing the target needs consumes.
``slow-base``
    Resolving or pulling a base image dominates the critical path.
``build-context``
    Sending the build context dominates the critical path.

A suggestion points at Dockerfile lines when the Dockerfile is given (steps are
mapped by stage name and step index, see :mod:`profiler.dockerfile`), and carries a
unified diff where kitprof can write the change.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from profiler.analysis.critical_path import observed_critical_path
from profiler.analysis.simulate import Calibration, Simulator, Task, TaskGraph, simulator_for
from profiler.dockerfile import (
    CopySpec,
    Dockerfile,
    Edit,
    Instruction,
    Stage,
    apply_edits,
    copy_spec,
    mentions_path,
    minimal_cover,
    normalize_image,
    resolve,
    unified_diff,
    written_paths,
)
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind

SCHEMA_VERSION = 1
_INCOMPLETE = frozenset({StepStatus.FAILED, StepStatus.UNFINISHED, StepStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str
    title: str
    detail: str
    estimated_saving_seconds: float
    estimated_wall_seconds: float
    """The predicted wall time of the ``scenario`` with the change made."""
    baseline_wall_seconds: float
    """The wall time of the ``scenario`` as the Dockerfile is today."""
    scenario: str
    """What the times describe: ``"this build"`` or ``"a rebuild after a source edit"``."""
    steps: tuple[str, ...]
    """Names of the steps involved, as the build shows them."""
    digests: tuple[str, ...]
    dockerfile_lines: tuple[int, ...] = ()
    diff: str | None = None
    assumptions: tuple[str, ...] = ()
    rewritten: str | None = field(default=None, repr=False)
    """The whole Dockerfile with the change made, when there is a diff."""

    @property
    def saving_ratio(self) -> float:
        if self.baseline_wall_seconds <= 0:
            return 0.0
        return self.estimated_saving_seconds / self.baseline_wall_seconds


@dataclass(frozen=True, slots=True)
class SuggestOptions:
    cores: int | None = None
    """Parallel ``RUN`` steps share this many cores (``None``: they never contend)."""
    max_parallelism: int | None = None
    """At most this many vertices run at once (BuildKit ``max-parallelism``)."""
    context: Path | None = None
    """The build context directory; by default the Dockerfile's directory."""
    min_saving_seconds: float = 0.25
    min_saving_ratio: float = 0.03
    long_step_seconds: float = 0.5
    """A step is long if it takes at least this long…"""
    long_step_ratio: float = 0.03
    """…and at least this share of the wall time."""


@dataclass(frozen=True, slots=True)
class SuggestionReport:
    suggestions: tuple[Suggestion, ...]
    calibration: Calibration
    options: SuggestOptions
    notes: tuple[str, ...] = ()
    complete: bool = True
    """False when the build failed or was cut off: then nothing is suggested."""

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.suggestions)

    def __len__(self) -> int:
        return len(self.suggestions)


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
# Dependency installers and the manifests they read (required, optional).
_MANIFESTS: tuple[tuple[re.Pattern[str], tuple[str, ...], tuple[str, ...]], ...] = (
    (re.compile(r"\bnpm\s+(ci|install|i)\b"), ("package.json",),
     ("package-lock.json", "npm-shrinkwrap.json", ".npmrc")),
    (re.compile(r"\byarn(\s+install)?\b"), ("package.json",),
     ("yarn.lock", ".yarnrc.yml", ".yarnrc")),
    (re.compile(r"\bpnpm\s+(install|i)\b"), ("package.json",), ("pnpm-lock.yaml", ".npmrc")),
    (re.compile(r"\bbun\s+install\b"), ("package.json",), ("bun.lockb", "bun.lock")),
    (re.compile(r"\bpoetry\s+install\b"), ("pyproject.toml",), ("poetry.lock",)),
    (re.compile(r"\buv\s+sync\b"), ("pyproject.toml",), ("uv.lock",)),
    (re.compile(r"\bpipenv\s+(install|sync)\b"), ("Pipfile",), ("Pipfile.lock",)),
    (re.compile(r"\bgo\s+mod\s+download\b"), ("go.mod",), ("go.sum",)),
    (re.compile(r"\bcargo\s+fetch\b"), ("Cargo.toml",), ("Cargo.lock",)),
    (re.compile(r"\bbundle\s+install\b"), ("Gemfile",), ("Gemfile.lock",)),
    (re.compile(r"\bcomposer\s+install\b"), ("composer.json",), ("composer.lock",)),
    (re.compile(r"\bmvn\b.*\bdependency:"), ("pom.xml",), ()),
    (re.compile(r"\bmix\s+deps\.get\b"), ("mix.exs",), ("mix.lock",)),
)  # fmt: skip
_MANIFEST_NAME = re.compile(
    r"(^|/)(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|package(-lock)?\.json|"
    r"yarn\.lock|pnpm-lock\.yaml|go\.(mod|sum)|Cargo\.(toml|lock)|Gemfile(\.lock)?|"
    r"composer\.(json|lock)|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile(\.lock)?|pom\.xml|"
    r"[\w.-]*\.(lock|lockfile))$"
)


def suggest(
    build: Build,
    dockerfile: Dockerfile | None = None,
    *,
    previous: Build | None = None,
    options: SuggestOptions | None = None,
) -> SuggestionReport:
    """Suggestions for a recorded build, best saving first, with the replay's calibration.

    ``dockerfile`` maps steps to lines and enables diffs; ``previous`` (an earlier
    run of the same build) explains which steps stopped being cached.
    """
    options = options or SuggestOptions()
    simulator = simulator_for(build, max_parallelism=options.max_parallelism, cores=options.cores)
    notes: list[str] = []
    if any(s.status in _INCOMPLETE for s in build) or build.truncated:
        notes.append("the build did not complete: timing suggestions need a complete build")
        return SuggestionReport((), simulator.calibration, options, tuple(notes), complete=False)
    context_dir = options.context
    if context_dir is None and dockerfile is not None and dockerfile.path is not None:
        context_dir = dockerfile.path.parent
    run = _Run(build, dockerfile, simulator, options, context_dir, previous)
    if dockerfile is not None:
        unmapped = [s for s in build if s.kind is StepKind.STEP and dockerfile.find(s) is None]
        if unmapped:
            notes.append(
                f"{len(unmapped)} of the build's steps do not match the Dockerfile "
                f"(first: {unmapped[0].name}); their lines are not shown"
            )
    found: list[Suggestion] = []
    for finder in (
        run.split_stages,
        run.cache_busts,
        run.serialized_joins,
        run.unneeded_stages,
        run.slow_bases,
        run.build_context,
    ):
        found.extend(finder())
    kept = [s for s in found if run.worth_it(s)]
    kept.sort(key=lambda s: (-s.estimated_saving_seconds, s.kind, s.title))
    return SuggestionReport(tuple(kept), simulator.calibration, options, tuple(notes))


def _round(value: float) -> float:
    return round(value, 3)


class _Run:
    """One suggestion pass over a build: the graph, chains and mapping, shared."""

    def __init__(
        self,
        build: Build,
        dockerfile: Dockerfile | None,
        simulator: Simulator,
        options: SuggestOptions,
        context_dir: Path | None,
        previous: Build | None,
    ) -> None:
        self.build = build
        self.dockerfile = dockerfile
        self.sim = simulator
        self.options = options
        self.context_dir = context_dir
        self.context_known = context_dir is not None and context_dir.is_dir()
        self.previous = previous
        self.observed = simulator.calibration.observed_wall_seconds
        self.replayed = simulator.calibration.replayed_wall_seconds
        self.path = observed_critical_path(build)
        self.steps = [s for s in build if s.kind is StepKind.STEP]
        self.chain_pred: dict[str, str] = {}
        for step in self.steps:
            if step.inputs and build.get(step.inputs[0]) is not None:
                self.chain_pred[step.digest] = step.inputs[0]
        self._roots: list[Step] | None = None
        # A step cached because another bake target ran the same step in this very
        # build (BuildKit shares the work) is no sign of an earlier build.
        self._ran_here = {_untargeted(s) for s in self.steps if self.executed(s)}
        self.consumers: dict[str, list[str]] = {}
        for step in build:
            for digest in step.inputs:
                self.consumers.setdefault(digest, []).append(step.digest)

    # ------------------------------------------------------------------ helpers

    @property
    def long_step(self) -> float:
        return max(self.options.long_step_seconds, self.options.long_step_ratio * self.observed)

    def worth_it(self, suggestion: Suggestion) -> bool:
        threshold = max(
            self.options.min_saving_seconds,
            self.options.min_saving_ratio * suggestion.baseline_wall_seconds,
        )
        return suggestion.estimated_saving_seconds >= threshold

    def executed(self, step: Step) -> bool:
        return step.status is StepStatus.DONE and not step.cached and step.digest in self.sim.graph

    def stage_of(self, step: Step) -> tuple[str | None, str | None, str]:
        return (step.target, step.parsed.platform, step.stage_key)

    def locate(self, step: Step) -> Instruction | None:
        return self.dockerfile.find(step) if self.dockerfile is not None else None

    def lines(self, steps: Iterable[Step]) -> tuple[int, ...]:
        found = {i.start_line for s in steps if (i := self.locate(s)) is not None}
        return tuple(sorted(found))

    def where(self, step: Step) -> str:
        instruction = self.locate(step)
        name = (
            self.dockerfile.path.name if self.dockerfile and self.dockerfile.path else "Dockerfile"
        )
        return f" ({name}:{instruction.start_line})" if instruction is not None else ""

    def priced(
        self,
        changed: TaskGraph,
        baseline: TaskGraph | None = None,
        this_build: bool = True,
    ) -> tuple[float, float, float]:
        """(saving, predicted wall, baseline wall) of a changed graph.

        For this build the saving is taken off the observed wall time (the replay's
        error cancels out); for another scenario both walls are simulated.
        """
        base_wall = self.replayed if baseline is None else self.sim.wall(baseline)
        new_wall = self.sim.wall(changed)
        saving = max(0.0, base_wall - new_wall)
        if this_build:
            return saving, max(0.0, self.observed - saving), self.observed
        return saving, new_wall, base_wall

    def stage_chain(self, step: Step) -> list[Step]:
        """The steps of ``step``'s stage (per bake target and platform), in chain order."""
        return list(self._chains.get(self.stage_of(step), ()))

    @cached_property
    def _chains(self) -> dict[tuple[str | None, str | None, str], list[Step]]:
        # Grouped once: suggestion finders ask for the chain of many steps.
        chains: dict[tuple[str | None, str | None, str], list[Step]] = {}
        for step in self.steps:
            if step.parsed.index is not None:
                chains.setdefault(self.stage_of(step), []).append(step)
        for members in chains.values():
            members.sort(key=lambda s: s.parsed.index or 0)
        return chains

    def descendants(self, digest: str) -> set[str]:
        seen: set[str] = set()
        todo = [digest]
        while todo:
            current = todo.pop()
            for consumer in self.consumers.get(current, ()):
                if consumer not in seen:
                    seen.add(consumer)
                    todo.append(consumer)
        return seen

    def make_suggestion(
        self,
        kind: str,
        title: str,
        detail: str,
        priced: tuple[float, float, float],
        steps: Sequence[Step],
        *,
        scenario: str = "this build",
        lines: Iterable[int] | None = None,
        rewritten: str | None = None,
        assumptions: Sequence[str] = (),
    ) -> Suggestion:
        saving, wall, baseline = priced
        diff = None
        if rewritten is not None and self.dockerfile is not None:
            diff = unified_diff(self.dockerfile, rewritten)
        all_assumptions = list(assumptions)
        if self.options.cores is None and kind == "split-stage":
            all_assumptions.append(
                "the parallel steps do not contend for CPU (--cores N shares N cores "
                "among parallel RUN steps)"
            )
        elif self.options.cores is not None:
            all_assumptions.append(f"parallel RUN steps share {self.options.cores} cores")
        return Suggestion(
            kind=kind,
            title=title,
            detail=detail,
            estimated_saving_seconds=_round(saving),
            estimated_wall_seconds=_round(wall),
            baseline_wall_seconds=_round(baseline),
            scenario=scenario,
            steps=tuple(s.name for s in steps),
            digests=tuple(s.digest for s in steps),
            dockerfile_lines=tuple(sorted(set(lines if lines is not None else self.lines(steps)))),
            diff=diff or None,
            assumptions=tuple(all_assumptions),
            rewritten=rewritten if diff else None,
        )

    def join_cost(self) -> float:
        """What a ``COPY --from`` costs in this build (median of those that ran)."""
        copies = sorted(
            self.sim.graph[s.digest].duration
            for s in self.steps
            if s.parsed.instruction == "COPY"
            and "--from" in s.parsed.text
            and s.digest in self.sim.graph
            and not s.cached
        )
        if not copies:
            copies = sorted(
                self.sim.graph[s.digest].duration
                for s in self.steps
                if s.parsed.instruction in {"COPY", "ADD"}
                and s.digest in self.sim.graph
                and not s.cached
            )
        return copies[len(copies) // 2] if copies else 0.02

    # ------------------------------------------------------------------ split-stage

    def split_stages(self) -> list[Suggestion]:
        suggestions = []
        for run in self._path_runs():
            for segment in self._install_segments(run):
                made = self._split(segment)
                if made is not None:
                    suggestions.append(made)
        return suggestions

    def _path_runs(self) -> list[list[Step]]:
        """Maximal runs of the critical path that follow one stage's chain."""
        runs: list[list[Step]] = []
        for step in self.path:
            if step.kind is not StepKind.STEP:
                runs.append([])
                continue
            if (
                runs
                and runs[-1]
                and self.stage_of(runs[-1][-1]) == self.stage_of(step)
                and self.chain_pred.get(step.digest) == runs[-1][-1].digest
            ):
                runs[-1].append(step)
            else:
                runs.append([step])
        return [r for r in runs if len(r) >= 2]

    def _is_install(self, step: Step) -> bool:
        return (
            step.parsed.instruction in {"RUN", "ADD"}
            and self.executed(step)
            and self.sim.graph[step.digest].duration >= self.long_step
            and _INSTALL.search(step.parsed.text) is not None
            and _SYSTEM_PACKAGES.search(step.parsed.text) is None
        )

    def _install_segments(self, run: list[Step]) -> list[list[list[Step]]]:
        """Branches (short steps go with the install after them) of each candidate run."""
        segments: list[list[list[Step]]] = []
        branches: list[list[Step]] = []
        pending: list[Step] = []

        def close() -> None:
            nonlocal branches, pending
            if len(branches) >= 2:
                segments.append(branches)
            branches, pending = [], []

        for step in run:
            duration = self.sim.graph[step.digest].duration if step.digest in self.sim.graph else 0
            if self._is_install(step):
                branches.append([*pending, step])
                pending = []
            elif (
                branches
                and step.parsed.instruction in {"RUN", "COPY", "ADD"}
                and duration < self.long_step
                and _SYSTEM_PACKAGES.search(step.parsed.text) is None
            ):
                pending.append(step)
            else:
                close()
        close()
        return segments

    def _split(self, branches: list[list[Step]]) -> Suggestion | None:
        first = branches[0][0]
        base = self.chain_pred.get(first.digest)
        if base is None:
            return None
        stage_label = first.stage_key
        plan = _SplitPlan.make(self, branches) if self.dockerfile is not None else None
        if self.dockerfile is not None and plan is None:
            return None
        joins = plan.joins_per_branch if plan is not None else None
        changed = self.sim.graph.split_chain(
            [[s.digest for s in branch] for branch in branches],
            base,
            self.join_cost(),
            joins_per_branch=joins,
        )
        priced = self.priced(changed)
        installs = [branch[-1] for branch in branches]
        total = sum(self.sim.graph[s.digest].duration for s in installs)
        names = ", ".join(_short(s.parsed.text, 40) for s in installs)
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
        return self.make_suggestion(
            "split-stage",
            f"Split stage {stage_label}: run {len(installs)} installs in parallel stages",
            detail,
            priced,
            [s for branch in branches for s in branch],
            rewritten=plan.text if plan is not None else None,
            assumptions=assumptions,
        )

    # ------------------------------------------------------------------ cache-bust

    def cache_busts(self) -> list[Suggestion]:
        suggestions: list[Suggestion] = []
        handled: set[str] = set()
        for step in self.steps:
            spec = copy_spec(step.parsed.text)
            if spec is None or not spec.whole_context or not self.executed(step):
                continue
            made = self._manifest_first(step, spec)
            if made is not None:
                suggestions.append(made)
                handled.add(step.digest)
        # Without an earlier run, "this step's input changed" explains nothing the
        # user did not do on purpose (they edited the file): only compare with one.
        for root in self._bust_roots() if self.previous is not None else []:
            if root.digest in handled:
                continue
            made = self._explain_bust(root)
            if made is not None:
                suggestions.append(made)
        return suggestions

    def _bust_roots(self) -> list[Step]:
        """Steps that ran although what they build on came from the cache, in a rebuild."""
        if self._roots is not None:
            return self._roots
        roots = []
        for step in self.steps:
            if step.parsed.instruction == "FROM" or not self.executed(step):
                continue
            inputs = [self.build.step(d) for d in step.inputs if self.build.get(d) is not None]
            step_inputs = [s for s in inputs if s.kind is StepKind.STEP]
            if (
                step_inputs
                and all(s.cached or s.parsed.instruction == "FROM" for s in step_inputs)
                and self._is_rebuild(step)
            ):
                roots.append(step)
        self._roots = roots
        return roots

    def _is_rebuild(self, step: Step) -> bool:
        """Whether ``step`` ran in a rebuild, on top of work that came from the cache.

        A cached ``WORKDIR`` proves nothing (any build on the same base image shares
        it); a cached ``RUN``/``COPY`` above the step does, and so does the step's
        presence in a previous run of the build.
        """
        if self.previous is not None and _key(step) in _by_key(self.previous):
            return True
        return any(
            (ancestor := self.build.get(d)) is not None
            and ancestor.kind is StepKind.STEP
            and ancestor.cached
            and ancestor.parsed.instruction not in {"FROM", "WORKDIR"}
            and _untargeted(ancestor) not in self._ran_here
            for d in self._ancestors(step.digest)
        )

    def _after_edit(self, changed_root: Step) -> TaskGraph:
        """This build as a rebuild where only ``changed_root``'s input changed."""
        rerun = self.descendants(changed_root.digest) | {changed_root.digest}
        cached = [
            s.digest
            for s in self.steps
            if s.digest not in rerun
            and s.parsed.instruction != "FROM"
            and s.digest in self.sim.graph
        ]
        return self.sim.graph.cached(cached)

    def _manifest_first(self, copy_step: Step, spec: CopySpec) -> Suggestion | None:
        install = next(
            (
                s
                for s in self.steps
                if self.chain_pred.get(s.digest) == copy_step.digest
                and self.stage_of(s) == self.stage_of(copy_step)
            ),
            None,
        )
        if (
            install is None
            or install.parsed.instruction != "RUN"
            or not self.executed(install)
            or self.sim.graph[install.digest].duration < self.long_step
        ):
            return None
        copy_instruction = self.locate(copy_step)
        install_instruction = self.locate(install)
        workdir = copy_instruction.workdir if copy_instruction is not None else None
        destination = spec.destination
        manifests = self._manifests(install, install_instruction, spec, workdir)
        if not manifests:
            return None
        baseline = self._after_edit(copy_step)
        manifest_task = f"manifests:{copy_step.digest}"
        base = self.chain_pred.get(copy_step.digest)
        context_inputs = [d for d in copy_step.inputs if d != base and d in self.sim.graph]
        changed = baseline.with_task(
            Task(
                id=manifest_task,
                duration=0.0,
                predecessors=tuple(
                    ([base] if base is not None and base in self.sim.graph else []) + context_inputs
                ),
                label="COPY <manifests>",
            )
        )
        changed = changed.move_before(install.digest, copy_step.digest, copy_step.digest)
        if base is not None:
            changed = changed.replace_predecessor(install.digest, base, manifest_task)
        changed = changed.cached([install.digest])
        this_build = self._is_rebuild(copy_step)
        priced = self.priced(changed, baseline, this_build=this_build)
        scenario = (
            "a rebuild after a source edit (this build)"
            if this_build
            else "a rebuild after a source edit (simulated)"
        )
        rewritten = None
        if copy_instruction is not None and install_instruction is not None and self.dockerfile:
            rewritten = _manifest_rewrite(
                self.dockerfile, copy_instruction, install_instruction, spec, manifests
            )
        install_seconds = self.sim.graph[install.digest].duration
        copy_text = _short(copy_step.parsed.text, 40)
        if this_build:
            cause = (
                f"In this build {copy_text}{self.where(copy_step)} was not cached: a file in the "
                f"build context changed. That re-ran {_short(install.parsed.text, 50)}"
                f"{self.where(install)} ({install_seconds:.1f} s) although its dependencies "
                "did not change."
            )
        else:
            cause = (
                f"{copy_text}{self.where(copy_step)} copies the whole build context before "
                f"{_short(install.parsed.text, 50)}{self.where(install)} "
                f"({install_seconds:.1f} s): any edit to any file re-runs the install."
            )
        cause += self._previous_note(copy_step, install)
        detail = (
            f"{cause} Copy the dependency manifests ({', '.join(manifests)}) first, install, "
            f"then copy the rest: a source edit then keeps the install cached."
        )
        destination_note = resolve(destination, workdir) if workdir else destination
        return self.make_suggestion(
            "cache-bust",
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

    def _manifests(
        self,
        install: Step,
        instruction: Instruction | None,
        spec: CopySpec,
        copy_workdir: str | None,
    ) -> list[str]:
        command = instruction.arguments if instruction is not None else install.parsed.text
        if instruction is not None:
            command += "".join("\n" + h.body for h in instruction.heredocs)
        run_workdir = instruction.workdir if instruction is not None else copy_workdir or "/"
        destination = resolve(spec.destination, copy_workdir or run_workdir)
        found: list[str] = []
        # Files the command names, inside the copied context.
        for token in re.findall(r"[\w./-]+", command):
            if token.startswith("-") or "://" in token or "." not in token.split("/")[-1]:
                continue
            absolute = resolve(token, run_workdir)
            if absolute != destination and not absolute.startswith(destination.rstrip("/") + "/"):
                continue
            relative = posixpath.relpath(absolute, destination)
            if relative.startswith(".."):
                continue
            if self._in_context(relative) or (
                not self.context_known and _MANIFEST_NAME.search(relative)
            ):
                found.append(relative)
        # Files the installer reads by convention.
        for pattern, required, optional in _MANIFESTS:
            if pattern.search(command) is None:
                continue
            for name in (*required, *optional):
                if self._in_context(name) or (not self.context_known and name in required):
                    found.append(name)
        return list(dict.fromkeys(found))

    def _in_context(self, relative: str) -> bool:
        if self.context_dir is None or not self.context_known:
            return False
        candidate = self.context_dir / relative
        return candidate.is_file()

    def _explain_bust(self, root: Step) -> Suggestion | None:
        rerun = (self.descendants(root.digest) | {root.digest}) & {
            s.digest for s in self.steps if self.executed(s)
        }
        other_roots = [r for r in self._bust_roots() if r.digest != root.digest]
        shared = set()
        for other in other_roots:
            shared |= self.descendants(other.digest) | {other.digest}
        exclusive = [d for d in rerun if d not in shared]
        changed = self.sim.graph.cached(exclusive)
        priced = self.priced(changed)
        steps = [self.build.step(d) for d in exclusive]
        steps.sort(key=lambda s: s.start or 0.0)
        cost = sum(self.sim.graph[d].duration for d in exclusive)
        detail = (
            f"{_short(root.parsed.text, 50)}{self.where(root)} ran although the steps before "
            f"it came from the cache: its input changed. It re-ran {len(steps)} step(s), "
            f"{cost:.1f} s of work; had its input not changed this build would have taken "
            f"about {priced[1]:.1f} s."
        )
        detail += self._previous_note(root, None)
        return self.make_suggestion(
            "cache-bust",
            f"{_short(root.parsed.text, 40)} stopped being cached and re-ran {len(steps)} step(s)",
            detail,
            priced,
            steps,
            assumptions=["the steps after it would have been cached too"],
        )

    def _previous_note(self, root: Step, install: Step | None) -> str:
        if self.previous is None:
            return ""
        before = _by_key(self.previous)
        notes = []
        for step in (root, install):
            if step is None:
                continue
            old = before.get(_key(step))
            if old is None:
                notes.append(f"{_short(step.parsed.text, 40)} is new since the previous run")
            elif old.cached:
                notes.append(
                    f"in the previous run {_short(step.parsed.text, 40)} was cached; "
                    f"now it ran ({step.duration:.1f} s)"
                )
            else:
                notes.append(
                    f"{_short(step.parsed.text, 40)} ran in the previous run too "
                    f"({old.duration:.1f} s then)"
                )
        stopped = [
            s
            for s in self.steps
            if self.executed(s) and (old := before.get(_key(s))) is not None and old.cached
        ]
        if stopped:
            cost = sum(s.duration for s in stopped)
            notes.append(f"{len(stopped)} step(s) cached last time ran this time ({cost:.1f} s)")
        return " Compared with the previous run: " + "; ".join(notes) + "." if notes else ""

    # ------------------------------------------------------------------ serialized-join

    def serialized_joins(self) -> list[Suggestion]:
        suggestions: list[Suggestion] = []
        seen_chains: set[tuple[str | None, str | None, str]] = set()
        for step in self.steps:
            key = self.stage_of(step)
            if key in seen_chains:
                continue
            seen_chains.add(key)
            chain = [s for s in self.stage_chain(step) if s.digest in self.sim.graph]
            best: Suggestion | None = None
            for position, mover in enumerate(chain):
                made = self._move_up(chain, position, mover)
                if made is not None and (
                    best is None or made.estimated_saving_seconds > best.estimated_saving_seconds
                ):
                    best = made
            if best is not None:
                suggestions.append(best)
        return suggestions

    def _waiting_join(self, step: Step) -> Step | None:
        """The other stage's step a join waited for, when it finished after the chain."""
        chain = self.chain_pred.get(step.digest)
        chain_end = self.build.step(chain).end if chain else None
        sources = [
            self.build.step(d)
            for d in step.inputs[1:]
            if self.build.get(d) is not None and self.build.step(d).kind is StepKind.STEP
        ]
        late = [
            s
            for s in sources
            if s.end is not None and (chain_end is None or s.end > chain_end + 0.05)
        ]
        return max(late, key=lambda s: s.end or 0.0) if late else None

    def _move_up(self, chain: list[Step], position: int, mover: Step) -> Suggestion | None:
        if (
            mover.parsed.instruction not in {"RUN", "COPY", "ADD"}
            or not self.executed(mover)
            or self.sim.graph[mover.digest].duration < self.long_step
            or mover.digest not in self.chain_pred
        ):
            return None
        anchor_index = next(
            (
                i
                for i in range(position)
                if chain[i].parsed.instruction != "FROM"
                and self._waiting_join(chain[i]) is not None
            ),
            None,
        )
        if anchor_index is None:
            return None
        between = chain[anchor_index:position]
        if any(s.parsed.instruction not in {"COPY", "ADD"} for s in between):
            return None
        if self._mover_uses(mover, between):
            return None
        anchor = chain[anchor_index]
        waited = self._waiting_join(anchor)
        changed = self.sim.graph.move_before(
            mover.digest, anchor.digest, self.chain_pred[mover.digest]
        )
        priced = self.priced(changed)
        rewritten = None
        anchor_instruction = self.locate(anchor)
        mover_instruction = self.locate(mover)
        if self.dockerfile is not None:
            if anchor_instruction is None or mover_instruction is None:
                return None
            rewritten = _move_rewrite(self.dockerfile, mover_instruction, anchor_instruction)
        waited_text = (
            f" (stage {waited.stage_key} finished at {waited.end or 0:.1f} s)" if waited else ""
        )
        detail = (
            f"{_short(mover.parsed.text, 50)}{self.where(mover)} "
            f"({self.sim.graph[mover.digest].duration:.1f} s) waits behind "
            f"{_short(anchor.parsed.text, 50)}{self.where(anchor)}, which waited for another "
            f"stage{waited_text}. Moving it above the copy lets it run while that stage "
            "builds."
        )
        return self.make_suggestion(
            "serialized-join",
            f"Move {_short(mover.parsed.text, 40)} above {_short(anchor.parsed.text, 40)}",
            detail,
            priced,
            [mover, *between],
            rewritten=rewritten,
            assumptions=[
                f"{_short(mover.parsed.text, 40)} does not use the files copied by the "
                f"step(s) it moves above",
            ],
        )

    def _mover_uses(self, mover: Step, between: Sequence[Step]) -> bool:
        """Whether the moved step may read what the steps it jumps over wrote."""
        mover_spec = copy_spec(mover.parsed.text)
        for step in between:
            spec = copy_spec(step.parsed.text)
            if spec is None:
                return True
            instruction = self.locate(step)
            destination = spec.destination
            if not destination.startswith("/"):
                if instruction is None:
                    return True
                destination = resolve(destination, instruction.workdir)
            if mover_spec is not None:
                mover_instruction = self.locate(mover)
                mover_destination = mover_spec.destination
                if not mover_destination.startswith("/"):
                    if mover_instruction is None:
                        return True
                    mover_destination = resolve(mover_destination, mover_instruction.workdir)
                if mentions_path(mover_destination, destination):
                    return True
                if mover_spec.flag("from") is None and mover_spec.whole_context:
                    return True
            else:
                if mentions_path(mover.parsed.text, destination):
                    return True
                # A relative path in the command may point into the copied directory
                # when one holds the other (the root aside: "/" holds everything).
                mover_instruction = self.locate(mover)
                if mover_instruction is None:
                    return True
                workdir = mover_instruction.workdir
                if workdir != "/" and mentions_path(workdir, destination):
                    return True
        return False

    # ------------------------------------------------------------------ unneeded-stage

    def unneeded_stages(self) -> list[Suggestion]:
        groups: dict[tuple[str | None, str | None], list[Step]] = {}
        for step in self.steps:
            if self.executed(step) or step.cached:
                groups.setdefault((step.target, step.parsed.platform), []).append(step)
        suggestions = []
        for members in groups.values():
            member_ids = {s.digest for s in members}
            sinks = [
                s
                for s in members
                if not any(c in member_ids for c in self.consumers.get(s.digest, ()))
            ]
            if len(sinks) < 2:
                continue
            target = self._target_sink(sinks)
            needed = self._ancestors(target.digest)
            unneeded = [s for s in members if s.digest not in needed and s.digest != target.digest]
            ran = [s for s in unneeded if self.executed(s)]
            if not ran:
                continue
            changed = self.sim.graph.without_tasks(s.digest for s in ran)
            priced = self.priced(changed)
            stages = sorted({s.stage_key for s in ran})
            work = sum(self.sim.graph[s.digest].duration for s in ran)
            suggestions.append(
                self.make_suggestion(
                    "unneeded-stage",
                    f"Stage(s) {', '.join(stages)} are built but the target does not use them",
                    f"Nothing the target ({target.stage_key}) needs consumes the result of "
                    f"{', '.join(stages)} ({len(ran)} steps, {work:.1f} s of work). Build "
                    "with --target, or drop the stage from what the build needs.",
                    priced,
                    ran,
                    assumptions=["the target does not need these stages' output"],
                )
            )
        return suggestions

    def _target_sink(self, sinks: list[Step]) -> Step:
        if self.dockerfile is not None and self.dockerfile.stages:
            last = self.dockerfile.stages[-1].label
            for sink in sinks:
                if sink.stage_key == last:
                    return sink
        return max(sinks, key=lambda s: s.end or 0.0)

    def _ancestors(self, digest: str) -> set[str]:
        seen: set[str] = set()
        todo = [digest]
        while todo:
            current = self.build.get(todo.pop())
            if current is None:
                continue
            for d in current.inputs:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    # ------------------------------------------------------------------ slow-base, context

    def slow_bases(self) -> list[Suggestion]:
        slow = [
            s
            for s in self.path
            if (
                (s.kind is StepKind.INTERNAL and s.parsed.text.startswith("load metadata for"))
                or s.parsed.instruction == "FROM"
            )
            and s.digest in self.sim.graph
            and self.sim.graph[s.digest].duration >= self.long_step
        ]
        suggestions = []
        for step in slow:
            image = step.parsed.text.removeprefix("load metadata for ").removeprefix("FROM ")
            changed = self.sim.graph.with_duration(step.digest, 0.0)
            priced = self.priced(changed)
            action = "resolving" if step.kind is StepKind.INTERNAL else "pulling"
            lines = self._from_lines(image)
            suggestions.append(
                self.make_suggestion(
                    "slow-base",
                    f"{action.capitalize()} the base image {image} takes "
                    f"{self.sim.graph[step.digest].duration:.1f} s on the critical path",
                    f"Before any step of the stage can run, BuildKit spends "
                    f"{self.sim.graph[step.digest].duration:.1f} s {action} {image}. "
                    "Keep the image in the builder (pre-pull it, or pin it by digest so no "
                    "tag has to be resolved), use a registry mirror near the builder, or a "
                    "smaller base image. The saving is the most this can give.",
                    priced,
                    [step],
                    lines=lines,
                    assumptions=[f"{action} {image} becomes instant"],
                )
            )
        return suggestions

    def _from_lines(self, image: str) -> list[int]:
        if self.dockerfile is None:
            return []
        wanted = normalize_image(image)
        return [
            stage.from_instruction.start_line
            for stage in self.dockerfile.stages
            if stage.base_stage is None and normalize_image(stage.base) == wanted
        ]

    def build_context(self) -> list[Suggestion]:
        suggestions = []
        for step in self.path:
            if step.kind is not StepKind.INTERNAL or not step.parsed.text.startswith(
                "load build context"
            ):
                continue
            duration = (
                self.sim.graph[step.digest].duration if step.digest in self.sim.graph else 0.0
            )
            if duration < self.long_step:
                continue
            changed = self.sim.graph.with_duration(step.digest, 0.0)
            priced = self.priced(changed)
            readers = [
                s
                for s in self.steps
                if step.digest in s.inputs
                and (spec := copy_spec(s.parsed.text)) is not None
                and spec.whole_context
            ]
            suggestions.append(
                self.make_suggestion(
                    "build-context",
                    f"Sending the build context takes {duration:.1f} s on the critical path",
                    f"The client sends the build context ({duration:.1f} s here) before the "
                    "first COPY from it can run. A .dockerignore that leaves out what the "
                    "image does not need (.git, build outputs, node_modules, data) makes it "
                    "smaller; the saving is the most this can give.",
                    priced,
                    [step, *readers],
                    assumptions=["sending the context becomes instant"],
                )
            )
        return suggestions


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _key(step: Step) -> tuple[str | None, str | None, str, int | None, str]:
    return (step.target, step.parsed.platform, step.stage_key, step.parsed.index, step.parsed.text)


def _untargeted(step: Step) -> tuple[str | None, str, int | None, str]:
    return (step.parsed.platform, step.stage_key, step.parsed.index, step.parsed.text)


def _by_key(build: Build) -> dict[tuple[str | None, str | None, str, int | None, str], Step]:
    return {_key(s): s for s in build if s.kind is StepKind.STEP}


# ---------------------------------------------------------------------- rewrites


def _leading(dockerfile: Dockerfile, instruction: Instruction, floor: int) -> int:
    """First line of the comments directly above an instruction (not above ``floor``)."""
    line = instruction.start_line
    while line - 1 > floor and dockerfile.lines[line - 2].lstrip().startswith("#"):
        line -= 1
    return line


def _block(dockerfile: Dockerfile, instruction: Instruction, floor: int) -> str:
    start = _leading(dockerfile, instruction, floor)
    text = "".join(dockerfile.lines[start - 1 : instruction.end_line])
    return text if text.endswith("\n") else text + "\n"


def _manifest_rewrite(
    dockerfile: Dockerfile,
    copy_instruction: Instruction,
    install: Instruction,
    spec: CopySpec,
    manifests: Sequence[str],
) -> str | None:
    if install.stage != copy_instruction.stage or install.start_line < copy_instruction.end_line:
        return None
    stage = dockerfile.stages[copy_instruction.stage or 0]
    between = [
        i
        for i in stage.instructions
        if copy_instruction.end_line < i.start_line < install.start_line
    ]
    if any(i.step is not None or i.keyword in {"USER", "SHELL", "ONBUILD"} for i in between):
        return None
    flags = " ".join(
        f"--{key}={value}" if value is not None else f"--{key}"
        for key, value in spec.flags
        if key in {"chown", "chmod", "link"}
    )
    keyword = copy_instruction.keyword
    destination = spec.destination
    by_directory: dict[str, list[str]] = {}
    for manifest in manifests:
        by_directory.setdefault(posixpath.dirname(manifest), []).append(manifest)
    copies = []
    for directory, files in by_directory.items():
        target = posixpath.join(destination, directory) if directory else destination
        target = target if target.endswith("/") else target + "/"
        if target.startswith("./") and target != "./":
            target = target[2:]
        parts = [keyword, *([flags] if flags else []), *files, target]
        copies.append(" ".join(parts) + "\n")
    moved = "".join(_block(dockerfile, i, copy_instruction.end_line) for i in between)
    replacement = (
        "".join(copies)
        + moved
        + _block(dockerfile, install, copy_instruction.end_line)
        + "".join(dockerfile.lines[copy_instruction.start_line - 1 : copy_instruction.end_line])
    )
    start = copy_instruction.start_line
    return apply_edits(dockerfile, [Edit(start, install.end_line, replacement)])


def _move_rewrite(dockerfile: Dockerfile, mover: Instruction, anchor: Instruction) -> str:
    previous_end = max(
        (
            i.end_line
            for stage in dockerfile.stages
            for i in (stage.from_instruction, *stage.instructions)
            if i.end_line < mover.start_line
        ),
        default=0,
    )
    start = _leading(dockerfile, mover, previous_end)
    block = "".join(dockerfile.lines[start - 1 : mover.end_line])
    if not block.endswith("\n"):
        block += "\n"
    anchor_start = _leading(dockerfile, anchor, 0)
    return apply_edits(
        dockerfile,
        [
            Edit(anchor_start, anchor_start - 1, block),
            Edit(start, mover.end_line, ""),
        ],
    )


@dataclass(frozen=True)
class _SplitPlan:
    """The Dockerfile text of a stage split, and what the simulator needs to know of it."""

    text: str
    joins_per_branch: list[int]
    summary: str
    guessed: list[str]

    @staticmethod
    def make(run: _Run, branches: list[list[Step]]) -> _SplitPlan | None:
        dockerfile = run.dockerfile
        assert dockerfile is not None
        located = [[run.locate(s) for s in branch] for branch in branches]
        if any(i is None for branch in located for i in branch):
            return None
        instructions = [[i for i in branch if i is not None] for branch in located]
        stage_index = instructions[0][0].stage
        if stage_index is None or any(i.stage != stage_index for b in instructions for i in b):
            return None
        stage = dockerfile.stages[stage_index]
        first, last = instructions[0][0], instructions[-1][-1]
        in_segment = [
            i for i in stage.instructions if first.start_line <= i.start_line <= last.start_line
        ]
        vertex_ids = {id(i) for b in instructions for i in b}
        metadata = [i for i in in_segment if id(i) not in vertex_ids]
        if any(
            i.step is not None or i.keyword in {"USER", "SHELL", "ONBUILD", "WORKDIR"}
            for i in metadata
        ):
            return None
        before = [i for i in stage.instructions if i.start_line < first.start_line]
        has_prefix = bool(before)
        taken = {s.label for s in dockerfile.stages}
        label = stage.label

        def fresh(name: str) -> str:
            candidate, n = name, 2
            while candidate in taken:
                candidate, n = f"{name}-{n}", n + 1
            taken.add(candidate)
            return candidate

        prefix_name = fresh(f"{label}-base") if has_prefix else None
        side_names = [
            fresh(f"{label}-{_slug(b[-1].arguments, k + 1)}")
            for k, b in enumerate(instructions[:-1])
        ]
        from_flags = " ".join(
            f"--{key}={value}" if value is not None else f"--{key}"
            for key, value in stage.from_instruction.flags
        )
        raw_base = stage.from_instruction.operands[0]
        image_from = f"FROM {from_flags + ' ' if from_flags else ''}{raw_base}"
        side_from = f"FROM {prefix_name}" if prefix_name else image_from
        floor = before[-1].end_line if before else stage.from_instruction.end_line

        def ordered(items: Iterable[Instruction]) -> str:
            return "".join(
                _block(dockerfile, i, floor) for i in sorted(items, key=lambda i: i.start_line)
            )

        side_blocks = []
        joins: list[int] = []
        join_lines: list[str] = []
        guessed: list[str] = []
        for name, branch in zip(side_names, instructions[:-1], strict=True):
            carried = [m for m in metadata if m.start_line < branch[-1].start_line]
            side_blocks.append(f"{side_from} AS {name}\n" + ordered([*carried, *branch]))
            paths = _outputs(branch)
            if paths:
                guessed.append(f"{name}: {', '.join(paths)}")
                for path in paths:
                    join_lines.append(f"COPY --from={name} {path} {path}\n")
                joins.append(len(paths))
            else:
                join_lines.append(
                    f"# kitprof: could not tell what {name} writes; narrow this COPY to it\n"
                    f"COPY --from={name} / /\n"
                )
                guessed.append(f"{name}: / (unknown)")
                joins.append(1)
        continuation = ordered([*metadata, *instructions[-1]]) + "".join(join_lines)
        edits: list[Edit] = []
        segment_start = _leading(dockerfile, first, floor)
        inserted = len(side_names) + (1 if prefix_name else 0)
        if prefix_name:
            header = f"{image_from} AS {prefix_name}\n"
            edits.append(
                Edit(stage.from_instruction.start_line, stage.from_instruction.end_line, header)
            )
            named = f" AS {stage.name}" if stage.name else ""
            new_stages = "\n".join(side_blocks) + f"\nFROM {prefix_name}{named}\n"
            edits.append(Edit(segment_start, last.end_line, "\n" + new_stages + continuation))
            continuation_index = stage.index + inserted
        else:
            edits.append(
                Edit(
                    stage.from_instruction.start_line,
                    stage.from_instruction.start_line - 1,
                    "\n".join(side_blocks) + "\n",
                )
            )
            edits.append(Edit(segment_start, last.end_line, continuation))
            continuation_index = stage.index + inserted
        edits.extend(_renumber(dockerfile, stage, inserted, continuation_index))
        text = apply_edits(dockerfile, edits)
        summary = (
            f"New stages {', '.join(side_names)} run beside stage {label}"
            + (f" (its first steps become stage {prefix_name})" if prefix_name else "")
            + "."
        )
        return _SplitPlan(text=text, joins_per_branch=joins, summary=summary, guessed=guessed)


def _outputs(branch: Sequence[Instruction]) -> list[str]:
    paths: list[str] = []
    for instruction in branch:
        if instruction.keyword == "RUN":
            command = instruction.arguments + "".join("\n" + h.body for h in instruction.heredocs)
            paths.extend(written_paths(command, instruction.workdir))
        else:
            spec = copy_spec(instruction.text)
            if spec is not None:
                paths.append(resolve(spec.destination, instruction.workdir))
    return minimal_cover(p for p in paths if p != "/")


def _slug(arguments: str, number: int) -> str:
    match = re.search(r"install(?:ing)?\s+(?:-\S+\s+)*([A-Za-z][\w.+-]*)", arguments, re.IGNORECASE)
    word = match.group(1).lower() if match else ""
    word = re.sub(r"[^a-z0-9-]", "-", word).strip("-")
    return word[:20] if word else f"part{number}"


def _renumber(
    dockerfile: Dockerfile, stage: Stage, inserted: int, continuation_index: int
) -> list[Edit]:
    """Fix ``--from=N`` references to stages that moved down by ``inserted``."""
    edits = []
    pattern = re.compile(r"((?:--from=|\bfrom=))(\d+)\b")
    for later in dockerfile.stages[stage.index + 1 :]:
        for instruction in later.instructions:
            original = "".join(dockerfile.lines[instruction.start_line - 1 : instruction.end_line])

            def shift(match: re.Match[str]) -> str:
                index = int(match.group(2))
                if index == stage.index:
                    index = continuation_index
                elif index > stage.index:
                    index += inserted
                return f"{match.group(1)}{index}"

            changed = pattern.sub(shift, original)
            if changed != original:
                edits.append(Edit(instruction.start_line, instruction.end_line, changed))
    return edits


__all__ = [
    "SCHEMA_VERSION",
    "SuggestOptions",
    "Suggestion",
    "SuggestionReport",
    "suggest",
]
