"""How two builds' images differ in size, step by step and stage by stage.

Sizes come from Docker's build records only (:mod:`profiler.analysis.sizes`): a
comparison says something about them when both builds were read from records with
layer sizes. Steps are matched by the same keys as the time comparison
(:func:`profiler.analysis.compare.step_keys`, handed in: this module does not import
the comparison, which imports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from profiler.analysis import stage_label, step_stage_label
from profiler.analysis.sizes import LayerSizes
from profiler.model import Build


@dataclass(frozen=True, slots=True)
class SizeChange:
    key: str
    """The step's key (as in the time comparison), or the stage's label."""
    stage: str
    a: int | None
    """Bytes in A; ``None``: no size there (not in A, or not in A's image)."""
    b: int | None

    @property
    def delta(self) -> int:
        return (self.b or 0) - (self.a or 0)


@dataclass(frozen=True, slots=True)
class SizeChanges:
    image_a: int | None
    image_b: int | None
    steps: tuple[SizeChange, ...]
    """Steps whose layer size changed (or that have one on one side only), largest
    absolute change first."""
    stages: tuple[SizeChange, ...]
    """Stages whose layers' total changed, largest absolute change first."""

    @property
    def image_delta(self) -> int | None:
        if self.image_a is None or self.image_b is None:
            return None
        return self.image_b - self.image_a


def size_changes(
    a: Build,
    b: Build,
    sizes_a: LayerSizes | None,
    sizes_b: LayerSizes | None,
    keys_a: Mapping[str, str],
    keys_b: Mapping[str, str],
) -> SizeChanges | None:
    """The size changes from ``a`` to ``b``; ``None`` unless both have sizes."""
    if sizes_a is None or sizes_b is None:
        return None
    steps_a = _by_key(a, sizes_a, keys_a)
    steps_b = _by_key(b, sizes_b, keys_b)
    steps = [
        SizeChange(
            key, (steps_a.get(key) or steps_b[key])[0], _size(steps_a, key), _size(steps_b, key)
        )
        for key in [*steps_a, *(k for k in steps_b if k not in steps_a)]
    ]
    stages_a = {stage_label(t, s, p): n for (t, p, s), n in sizes_a.stages.items()}
    stages_b = {stage_label(t, s, p): n for (t, p, s), n in sizes_b.stages.items()}
    stages = [
        SizeChange(label, label, stages_a.get(label), stages_b.get(label))
        for label in [*stages_a, *(k for k in stages_b if k not in stages_a)]
    ]
    return SizeChanges(
        image_a=sizes_a.image,
        image_b=sizes_b.image,
        steps=_changed(steps),
        stages=_changed(stages),
    )


def _by_key(build: Build, sizes: LayerSizes, keys: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    return {
        keys[step.digest]: (step_stage_label(step), sizes.steps[step.digest])
        for step in build
        if step.digest in sizes.steps and step.digest in keys
    }


def _size(sides: dict[str, tuple[str, int]], key: str) -> int | None:
    side = sides.get(key)
    return side[1] if side else None


def _changed(changes: list[SizeChange]) -> tuple[SizeChange, ...]:
    kept = [c for c in changes if c.a != c.b]
    return tuple(sorted(kept, key=lambda c: (-abs(c.delta), c.key)))
