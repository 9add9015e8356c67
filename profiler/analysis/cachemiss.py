"""Why the cache missed between two runs of a build, down to the file, and what it cost.

For the first step of each chain that was cached in run A and ran again in run B, name
the cause a user can act on:

- ``command``: the instruction itself changed (old → new text);
- ``build-arg``: a build argument the step sees changed (old → new value), also when
  it only shows in the step's name (BuildKit expands arguments in names);
- ``env``: an ``ENV``/``USER``/``SHELL`` line above a ``RUN`` in its stage changed;
- ``base-image``: the stage's base image resolved to another digest;
- ``context``: the same definition, other context content, with the files this
  COPY/ADD takes that changed (from the runs' context manifests, else from git
  between the runs' commits);
- ``upstream``: an input step ran in both runs and gave another result;
- ``no-cache``: run B asked for no cache;
- ``cache-gone``: the step's vertex digest is the same in both runs (same definition,
  same inputs): its cache entry was gone (pruned, another builder);
- ``unknown``: nothing recorded explains it.

And its cost: the time run B spent on every step that was cached in A and re-ran
below it (the step itself included).

Steps are matched across runs by what they are (:func:`~profiler.analysis.compare.
step_keys`) and then, for those whose text changed, by Dockerfile line and
instruction (by stage position when no Dockerfile is known): an expanded build
argument that changes a step's name does not break the match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from profiler.analysis import step_stage_label
from profiler.analysis.cachecause import CAUSE_KINDS, Cause, RunSide, causes_of, instruction_of
from profiler.analysis.compare import step_keys
from profiler.dockerfile import Instruction
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind

__all__ = [
    "CAUSE_KINDS",
    "CacheMiss",
    "CacheMisses",
    "Cause",
    "Rerun",
    "RunSide",
    "explain_cache_misses",
]


@dataclass(frozen=True, slots=True)
class Rerun:
    name: str
    """The step's name in B."""
    seconds: float


@dataclass(frozen=True, slots=True)
class CacheMiss:
    """The first step of a chain that lost its cache hit, why, and what it cost."""

    key: str
    stage: str
    name_a: str
    name_b: str
    line: int | None
    """Its Dockerfile line in B (``None`` when not known)."""
    instruction: str | None
    causes: tuple[Cause, ...]
    reruns: tuple[Rerun, ...]
    """Every step cached in A that ran in B because of this one, itself first."""

    @property
    def cost_seconds(self) -> float:
        return sum(rerun.seconds for rerun in self.reruns)


@dataclass(frozen=True, slots=True)
class CacheMisses:
    misses: tuple[CacheMiss, ...]
    """Costliest first."""
    total_seconds: float
    """Time of every re-run step, each counted once (chains may share steps)."""
    files_from: str | None
    """``manifest``, ``git`` or ``None``: where changed files could be read from."""


def explain_cache_misses(
    a: RunSide, b: RunSide, changed_paths: Sequence[str] | None = None
) -> CacheMisses:
    """Why each chain of steps cached in ``a`` ran again in ``b``.

    ``changed_paths``: context paths git says changed between the runs' commits, used
    for a COPY when the runs have no manifests.
    """
    pairs = _pairs(a, b)
    misses = {
        b_step.digest: a_step
        for a_step, b_step in pairs.values()
        if _countable(b_step)
        and a_step.status is StepStatus.CACHED
        and b_step.status in {StepStatus.DONE, StepStatus.FAILED}
    }
    ancestors = _ancestors(b.build)
    roots = [digest for digest in misses if not (ancestors[digest] & misses.keys())]
    by_b = {b_step.digest: a_step for a_step, b_step in pairs.values()}
    files_from = (
        "manifest"
        if a.manifest is not None and b.manifest is not None
        else "git"
        if changed_paths is not None
        else None
    )
    results = []
    counted: set[str] = set()
    for digest in roots:
        b_step = b.build.step(digest)
        a_step = misses[digest]
        below = [
            step
            for step in b.build
            if step.digest in misses and (step.digest == digest or digest in ancestors[step.digest])
        ]
        counted.update(step.digest for step in below)
        below.sort(key=lambda step: (step.digest != digest, step.start or 0.0))
        instruction = _instruction(b, b_step)
        results.append(
            CacheMiss(
                key=step_keys([b_step])[digest],
                stage=step_stage_label(b_step),
                name_a=a_step.name,
                name_b=b_step.name,
                line=instruction.start_line if instruction is not None else _record_line(b, b_step),
                instruction=instruction.keyword if instruction else b_step.parsed.instruction,
                causes=tuple(causes_of(a, b, a_step, b_step, by_b, changed_paths, files_from)),
                reruns=tuple(Rerun(step.name, step.duration) for step in below),
            )
        )
    results.sort(key=lambda miss: (-miss.cost_seconds, miss.line or 0, miss.key))
    total = sum(b.build.step(digest).duration for digest in counted)
    return CacheMisses(tuple(results), total, files_from)


# -- matching ----------------------------------------------------------------------------


def _countable(step: Step) -> bool:
    return step.kind is StepKind.STEP and step.parsed.instruction != "FROM"


def _pairs(a: RunSide, b: RunSide) -> dict[str, tuple[Step, Step]]:
    """Steps of A and B that are the same step, keyed by B's digest."""
    keys_a = step_keys(a.build)
    keys_b = step_keys(b.build)
    by_key_a = {keys_a[step.digest]: step for step in a.build}
    pairs: dict[str, tuple[Step, Step]] = {}
    for step in b.build:
        found = by_key_a.get(keys_b[step.digest])
        if found is not None:
            pairs[step.digest] = (found, step)
    taken = {a_step.digest for a_step, _ in pairs.values()}
    by_place_a: dict[tuple[object, ...], Step] = {}
    for step in a.build:
        place = _place(a, step)
        if step.digest not in taken and place is not None:
            by_place_a.setdefault(place, step)
    for step in b.build:
        if step.digest in pairs:
            continue
        place = _place(b, step)
        found = by_place_a.get(place) if place is not None else None
        if found is not None and found.digest not in taken:
            pairs[step.digest] = (found, step)
            taken.add(found.digest)
    return pairs


def _place(side: RunSide, step: Step) -> tuple[object, ...] | None:
    """Where a step is: Dockerfile line and instruction, else its stage position."""
    if step.kind is not StepKind.STEP:
        return None
    parsed = step.parsed
    instruction = _instruction(side, step)
    if instruction is not None:
        return ("line", parsed.target, parsed.platform, instruction.start_line, instruction.keyword)
    if parsed.index is None:
        return None
    return ("position", parsed.target, parsed.platform, parsed.stage, parsed.index, parsed.count)


def _instruction(side: RunSide, step: Step) -> Instruction | None:
    return instruction_of(side, step)


def _record_line(side: RunSide, step: Step) -> int | None:
    record = side.build.record
    if record is None:
        return None
    ranges = record.step_lines.get(step.digest)
    return ranges[0].start if ranges else None


def _ancestors(build: Build) -> dict[str, set[str]]:
    """Every vertex each vertex depends on, transitively."""
    memo: dict[str, set[str]] = {}

    def visit(digest: str, trail: frozenset[str]) -> set[str]:
        if digest in memo:
            return memo[digest]
        found: set[str] = set()
        step = build.get(digest)
        for parent in step.inputs if step is not None else ():
            if parent in trail:
                continue
            found.add(parent)
            found |= visit(parent, trail | {parent})
        memo[digest] = found
        return found

    for step in build:
        visit(step.digest, frozenset({step.digest}))
    return memo
