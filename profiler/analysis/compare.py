"""What changed between two builds of the same project: time, cache, critical path.

Steps are matched by what they are, not by digest: a digest changes whenever anything
upstream changes, which is exactly when a comparison matters. A step's key is its
name without the position (``[final 3/9] RUN make`` → ``[final] RUN make``): bake
target, platform, stage and instruction text. Inserting a line above a step therefore
does not break the match, while editing the step's own command makes it a removed
step and an added one. Repeated identical instructions in one stage are told apart
by their order (``[final] RUN make #2``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from profiler.analysis import BuildAnalysis, analyze, stage_label, step_stage_label
from profiler.analysis.size_changes import SizeChanges, size_changes
from profiler.model import Build, Stage, Step, StepStatus
from profiler.names import StepKind


def step_key(step: Step) -> str:
    """The identity of a step across builds (without the repeat counter).

    A ``FROM`` is keyed by its image alone: BuildKit resolves an image once for every
    stage built from it and names that one vertex after whichever stage it chose
    (``[base 1/4] FROM x`` in one build, ``[final 1/5] FROM x`` in the next).
    """
    parsed = step.parsed
    stage = parsed.stage
    if parsed.kind is StepKind.STEP and parsed.instruction == "FROM":
        stage = None
    if stage is None and parsed.kind is StepKind.STEP and parsed.instruction != "FROM":
        stage = "stage-0"
    if parsed.kind is StepKind.INTERNAL:
        stage = "internal"
    prefix = " ".join(part for part in (parsed.target, parsed.platform, stage) if part)
    text = parsed.text if parsed.text else step.name
    return f"[{prefix}] {text}" if prefix else text


def step_keys(steps: Iterable[Step]) -> dict[str, str]:
    """Unique keys of ``steps`` by digest; repeats get ``#2``, ``#3``… in stream order."""
    seen: dict[str, int] = {}
    keys: dict[str, str] = {}
    for step in steps:
        key = step_key(step)
        seen[key] = seen.get(key, 0) + 1
        keys[step.digest] = key if seen[key] == 1 else f"{key} #{seen[key]}"
    return keys


@dataclass(frozen=True, slots=True)
class StepSide:
    """One step as it was in one of the two builds."""

    name: str
    stage: str
    duration: float
    cached: bool
    status: StepStatus
    on_critical_path: bool


@dataclass(frozen=True, slots=True)
class StepChange:
    key: str
    stage: str
    a: StepSide | None
    """``None``: the step is new in B."""
    b: StepSide | None
    """``None``: the step is gone from B."""

    @property
    def delta(self) -> float:
        return (self.b.duration if self.b else 0.0) - (self.a.duration if self.a else 0.0)

    @property
    def became_uncached(self) -> bool:
        return (
            self.a is not None
            and self.b is not None
            and self.a.status is StepStatus.CACHED
            and self.b.status is not StepStatus.CACHED
        )

    @property
    def became_cached(self) -> bool:
        return (
            self.a is not None
            and self.b is not None
            and self.a.status is not StepStatus.CACHED
            and self.b.status is StepStatus.CACHED
        )


@dataclass(frozen=True, slots=True)
class StageSide:
    busy: float
    sequential: float
    steps: int
    cached: int
    critical_path_seconds: float


@dataclass(frozen=True, slots=True)
class StageChange:
    stage: str
    a: StageSide | None
    b: StageSide | None

    @property
    def delta(self) -> float:
        """Change of the stage's busy time (time at least one of its steps ran)."""
        return (self.b.busy if self.b else 0.0) - (self.a.busy if self.a else 0.0)


@dataclass(frozen=True, slots=True)
class Totals:
    wall_seconds: float
    critical_path_seconds: float
    sequential_seconds: float
    lower_bound_seconds: float
    cache_hit_ratio: float

    @staticmethod
    def of(analysis: BuildAnalysis) -> Totals:
        return Totals(
            wall_seconds=analysis.wall_seconds,
            critical_path_seconds=analysis.critical_path_seconds,
            sequential_seconds=analysis.sequential_seconds,
            lower_bound_seconds=analysis.lower_bound_seconds,
            cache_hit_ratio=analysis.cache.hit_ratio,
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    a: Totals
    b: Totals
    stages: tuple[StageChange, ...]
    """Every stage of either build, largest absolute change first."""
    steps: tuple[StepChange, ...]
    """Steps present in both builds, largest absolute change first."""
    added: tuple[StepChange, ...]
    """Steps only in B (``a`` is None), in B's order."""
    removed: tuple[StepChange, ...]
    """Steps only in A (``b`` is None), in A's order."""
    critical_path_a: tuple[str, ...]
    """Keys of A's critical path (Dockerfile steps that ran: no cache hit, no
    ``FROM``), in time order."""
    critical_path_b: tuple[str, ...]
    sizes: SizeChanges | None = None
    """Layer size changes, when both builds come from Docker's records with sizes."""

    @property
    def became_uncached(self) -> tuple[StepChange, ...]:
        """Steps cached in A that ran in B, costliest first."""
        return tuple(change for change in self.steps if change.became_uncached)

    @property
    def uncached_cost_seconds(self) -> float:
        """Time the steps that lost their cache hit spent running in B (beyond A)."""
        return sum(max(0.0, change.delta) for change in self.became_uncached)

    @property
    def became_cached(self) -> tuple[StepChange, ...]:
        return tuple(change for change in self.steps if change.became_cached)

    @property
    def critical_path_moved(self) -> bool:
        """Both builds did work on their critical paths, and not the same work.

        A fully cached build's path is a chain of cache hits that took no time: there
        is no path to move, so comparing it with a cold build says nothing moved.
        """
        return bool(self.critical_path_a and self.critical_path_b) and (
            self.critical_path_a != self.critical_path_b
        )

    @property
    def critical_path_summary(self) -> str:
        """The critical path's change in a few words, as every presenter says it."""
        if self.critical_path_moved:
            return "critical path moved"
        idle = [
            side
            for side, path in (("A", self.critical_path_a), ("B", self.critical_path_b))
            if not path
        ]
        if idle:
            return f"{' and '.join(idle)}: no step ran on the critical path (cached steps only)"
        return "same critical path"

    @property
    def critical_path_joined(self) -> tuple[str, ...]:
        """Steps on B's critical path that were not on A's."""
        before = set(self.critical_path_a)
        return tuple(key for key in self.critical_path_b if key not in before)

    @property
    def critical_path_left(self) -> tuple[str, ...]:
        """Steps on A's critical path that are no longer on B's."""
        after = set(self.critical_path_b)
        return tuple(key for key in self.critical_path_a if key not in after)


def compare_builds(
    a: Build,
    b: Build,
    analysis_a: BuildAnalysis | None = None,
    analysis_b: BuildAnalysis | None = None,
) -> Comparison:
    """Compare build ``a`` (before) with build ``b`` (after)."""
    analysis_a = analyze(a) if analysis_a is None else analysis_a
    analysis_b = analyze(b) if analysis_b is None else analysis_b
    keys_a = step_keys(a)
    keys_b = step_keys(b)
    sides_a = {keys_a[s.digest]: (s, _side(s, analysis_a)) for s in a}
    sides_b = {keys_b[s.digest]: (s, _side(s, analysis_b)) for s in b}

    matched = [
        StepChange(key=key, stage=step_stage_label(step), a=side, b=sides_b[key][1])
        for key, (step, side) in sides_a.items()
        if key in sides_b
    ]
    removed = [
        StepChange(key=key, stage=step_stage_label(step), a=side, b=None)
        for key, (step, side) in sides_a.items()
        if key not in sides_b
    ]
    added = [
        StepChange(key=key, stage=step_stage_label(step), a=None, b=side)
        for key, (step, side) in sides_b.items()
        if key not in sides_a
    ]
    matched.sort(key=lambda change: (-abs(change.delta), change.key))
    return Comparison(
        a=Totals.of(analysis_a),
        b=Totals.of(analysis_b),
        stages=_stage_changes(a, b, analysis_a, analysis_b),
        steps=tuple(matched),
        added=tuple(added),
        removed=tuple(removed),
        critical_path_a=_path_keys(a, analysis_a, keys_a),
        critical_path_b=_path_keys(b, analysis_b, keys_b),
        sizes=size_changes(a, b, analysis_a.sizes, analysis_b.sizes, keys_a, keys_b),
    )


def _side(step: Step, analysis: BuildAnalysis) -> StepSide:
    return StepSide(
        name=step.name,
        stage=step_stage_label(step),
        duration=step.duration,
        cached=step.cached,
        status=step.status,
        on_critical_path=step.digest in analysis.critical_path,
    )


def _stage_sides(build: Build, analysis: BuildAnalysis) -> dict[str, StageSide]:
    return {
        stage_label(stage.target, stage.name, stage.platform): _stage_side(stage, analysis)
        for stage in build.stages
    }


def _stage_side(stage: Stage, analysis: BuildAnalysis) -> StageSide:
    return StageSide(
        busy=stage.busy,
        sequential=stage.sequential,
        steps=stage.steps,
        cached=stage.cached,
        critical_path_seconds=analysis.critical_path_by_stage.get(
            stage_label(stage.target, stage.name, stage.platform), 0.0
        ),
    )


def _stage_changes(
    a: Build, b: Build, analysis_a: BuildAnalysis, analysis_b: BuildAnalysis
) -> tuple[StageChange, ...]:
    sides_a = _stage_sides(a, analysis_a)
    sides_b = _stage_sides(b, analysis_b)
    labels = list(sides_a) + [label for label in sides_b if label not in sides_a]
    changes = [StageChange(label, sides_a.get(label), sides_b.get(label)) for label in labels]
    changes.sort(key=lambda change: (-abs(change.delta), change.stage))
    return tuple(changes)


def _path_keys(build: Build, analysis: BuildAnalysis, keys: dict[str, str]) -> tuple[str, ...]:
    # Internal vertices (metadata loads, context transfer) and the export sit on every
    # path, so does a FROM (it resolves an image at the start of every path), and a
    # cache hit did no work; whether the path "moved" is a question about the
    # Dockerfile steps that ran.
    return tuple(keys[digest] for digest in analysis.critical_path if _did_work(build.step(digest)))


def _did_work(step: Step) -> bool:
    return (
        step.kind is StepKind.STEP
        and step.parsed.instruction != "FROM"
        and step.status is not StepStatus.CACHED
    )
