"""What every finder is given: one build, prepared once, and the tools to price a change.

A :class:`SuggestContext` holds the build's simulator, critical path, stage chains
and Dockerfile mapping, shared by all finders of one pass. A :class:`Finder` is one
kind of suggestion: a function from the context to the suggestions it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from profiler.analysis.critical_path import observed_critical_path
from profiler.analysis.host_usage import load_over_steps
from profiler.dockerfile import Dockerfile, Instruction, unified_diff
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind
from profiler.suggest.simulate import Simulator, observed_wall_seconds, simulator_for
from profiler.suggest.suggestion import HostPricing, Suggestion, SuggestOptions
from profiler.suggest.taskgraph import TaskGraph

StageKey = tuple[str | None, str | None, str]
"""A stage of one bake target and platform: (target, platform, stage)."""


@dataclass(frozen=True, slots=True)
class Finder:
    """One kind of suggestion: its name, how the docs describe it, and its search."""

    kind: str
    """The name reports and JSON show: ``split-stage``."""
    summary: str
    """One sentence: what it finds and what it proposes (help, docs, dashboard)."""
    find: Callable[[SuggestContext], list[Suggestion]]
    """Every suggestion of this kind in the build, priced; the engine drops small ones."""


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class SuggestContext:
    """One suggestion pass over a build: the graph, chains and mapping, shared."""

    @staticmethod
    def prepare(
        build: Build,
        dockerfile: Dockerfile | None = None,
        *,
        previous: Build | None = None,
        options: SuggestOptions | None = None,
    ) -> SuggestContext:
        """The context of a build: its simulator calibrated, its context directory found."""
        options = options or SuggestOptions()
        simulator = simulator_for(
            build, max_parallelism=options.max_parallelism, cores=options.cores
        )
        context_dir = options.context
        if context_dir is None and dockerfile is not None and dockerfile.path is not None:
            context_dir = dockerfile.path.parent
        return SuggestContext(build, dockerfile, simulator, options, context_dir, previous)

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
        self.simulator = simulator
        self.graph = simulator.graph
        self.options = options
        self.context_dir = context_dir
        self.context_known = context_dir is not None and context_dir.is_dir()
        self.previous = previous
        self.observed = observed_wall_seconds(build)
        self.path = observed_critical_path(build)
        self.steps = [s for s in build if s.kind is StepKind.STEP]
        self.chain_predecessor: dict[str, str] = {}
        """A step's predecessor in its stage's chain (its first input), by digest."""
        for step in self.steps:
            if step.inputs and build.get(step.inputs[0]) is not None:
                self.chain_predecessor[step.digest] = step.inputs[0]
        self._cored: dict[int, Simulator] = {}
        self.consumers: dict[str, list[str]] = {}
        for step in build:
            for digest in step.inputs:
                self.consumers.setdefault(digest, []).append(step.digest)

    # ------------------------------------------------------------------ the build

    @cached_property
    def replayed(self) -> float:
        """The recorded graph's replayed wall time (replayed when a finder first prices)."""
        return self.simulator.calibration.replayed_wall_seconds

    @cached_property
    def long_step(self) -> float:
        """Seconds from which a step counts as long (the options' floor and share)."""
        return max(self.options.long_step_seconds, self.options.long_step_ratio * self.observed)

    def worth_it(self, suggestion: Suggestion) -> bool:
        threshold = max(
            self.options.min_saving_seconds,
            self.options.min_saving_ratio * suggestion.baseline_wall_seconds,
        )
        return suggestion.estimated_saving_seconds >= threshold

    def executed(self, step: Step) -> bool:
        return step.status is StepStatus.DONE and not step.cached and step.digest in self.graph

    def seconds(self, step: Step) -> float:
        """The step's work in the replayed graph (0 for a step that never ran)."""
        return self.graph[step.digest].duration if step.digest in self.graph else 0.0

    def stage_of(self, step: Step) -> StageKey:
        return (step.target, step.parsed.platform, step.stage_key)

    def stage_chain(self, step: Step) -> list[Step]:
        """The steps of ``step``'s stage (per bake target and platform), in chain order."""
        return list(self._chains.get(self.stage_of(step), ()))

    @cached_property
    def chain_successors(self) -> dict[str, list[Step]]:
        """The steps that follow a step in a chain (the inverse of ``chain_predecessor``),
        by digest, in build order: one lookup instead of a pass over every step."""
        successors: dict[str, list[Step]] = {}
        for step in self.steps:
            predecessor = self.chain_predecessor.get(step.digest)
            if predecessor is not None:
                successors.setdefault(predecessor, []).append(step)
        return successors

    @cached_property
    def _chains(self) -> dict[StageKey, list[Step]]:
        # Grouped once: suggestion finders ask for the chain of many steps.
        chains: dict[StageKey, list[Step]] = {}
        for step in self.steps:
            if step.parsed.index is not None:
                chains.setdefault(self.stage_of(step), []).append(step)
        for members in chains.values():
            members.sort(key=lambda s: s.parsed.index or 0)
        return chains

    def descendants(self, digest: str) -> set[str]:
        """Every vertex that consumes ``digest``'s result, directly or not."""
        seen: set[str] = set()
        todo = [digest]
        while todo:
            current = todo.pop()
            for consumer in self.consumers.get(current, ()):
                if consumer not in seen:
                    seen.add(consumer)
                    todo.append(consumer)
        return seen

    def ancestors(self, digest: str) -> set[str]:
        """Every vertex ``digest`` builds on, directly or not."""
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

    # ------------------------------------------------------------------ the Dockerfile

    def locate(self, step: Step) -> Instruction | None:
        return self.dockerfile.find(step) if self.dockerfile is not None else None

    def lines(self, steps: Iterable[Step]) -> tuple[int, ...]:
        found = {i.start_line for s in steps if (i := self.locate(s)) is not None}
        return tuple(sorted(found))

    def where(self, step: Step) -> str:
        """`` (Dockerfile:12)`` for a step found in the Dockerfile, else nothing."""
        instruction = self.locate(step)
        name = (
            self.dockerfile.path.name if self.dockerfile and self.dockerfile.path else "Dockerfile"
        )
        return f" ({name}:{instruction.start_line})" if instruction is not None else ""

    # ------------------------------------------------------------------ pricing

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
        base_wall = self.replayed if baseline is None else self.simulator.wall(baseline)
        new_wall = self.simulator.wall(changed)
        saving = max(0.0, base_wall - new_wall)
        if this_build:
            return saving, max(0.0, self.observed - saving), self.observed
        return saving, new_wall, base_wall

    def host_priced(
        self, steps: Sequence[Step], change: Callable[[TaskGraph], TaskGraph]
    ) -> HostPricing | None:
        """A parallelism change priced with the cores the host had free while ``steps`` ran.

        ``None`` unless the record's host samples show the host CPU-bound over that
        window (and ``--cores`` did not already say how many cores to share).
        ``change`` makes the same change on any task graph of this build: it is made
        again on the replay whose ``RUN`` steps share those cores.
        """
        if self.options.cores is not None:
            return None
        load = load_over_steps(self.build, steps)
        if load is None or not load.cpu_bound:
            return None
        simulator = self._simulator_with(load.cpus_for_build)
        saving = max(
            0.0,
            simulator.calibration.replayed_wall_seconds - simulator.wall(change(simulator.graph)),
        )
        return HostPricing(
            saving_seconds=round(saving, 3),
            wall_seconds=round(max(0.0, self.observed - saving), 3),
            cores=load.cpus_for_build,
            host_cpus=load.cpus,
            busy_percent=round(load.busy_percent, 1),
            idle_cpus=round(load.idle_cpus, 2),
            window=(round(load.start, 3), round(load.end, 3)),
        )

    def _simulator_with(self, cores: int) -> Simulator:
        # One replay per core count, shared by every suggestion of this pass.
        if cores not in self._cored:
            self._cored[cores] = simulator_for(
                self.build, max_parallelism=self.options.max_parallelism, cores=cores
            )
        return self._cored[cores]

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
        host: HostPricing | None = None,
    ) -> Suggestion:
        """A suggestion with its times rounded, its lines found and its diff written."""
        saving, wall, baseline = priced
        diff = None
        if rewritten is not None and self.dockerfile is not None:
            diff = unified_diff(self.dockerfile, rewritten)
        all_assumptions = list(assumptions)
        if self.options.cores is not None:
            all_assumptions.append(f"parallel RUN steps share {self.options.cores} cores")
        if host is not None:
            all_assumptions.append(host.sentence)
        return Suggestion(
            kind=kind,
            title=title,
            detail=detail,
            estimated_saving_seconds=round(saving, 3),
            estimated_wall_seconds=round(wall, 3),
            baseline_wall_seconds=round(baseline, 3),
            scenario=scenario,
            steps=tuple(s.name for s in steps),
            digests=tuple(s.digest for s in steps),
            dockerfile_lines=tuple(sorted(set(lines if lines is not None else self.lines(steps)))),
            diff=diff or None,
            assumptions=tuple(all_assumptions),
            rewritten=rewritten if diff else None,
            host=host,
        )
