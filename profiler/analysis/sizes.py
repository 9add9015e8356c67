"""How much each step and each stage added to the exported image (Docker's record only).

A progress stream says nothing of sizes; a ``.dockerbuild`` record's provenance does
(:mod:`profiler.sources.llb`): for each step of the exported image's chain, the
compressed bytes of the layers it added. Steps of stages that are not in the
image (a builder stage copied from) have no size: nothing of theirs was exported
but what a ``COPY --from`` took, which counts as that COPY's layer. A ``FROM`` counts
the base image's layers, under the stage whose name its vertex carries (BuildKit
resolves an image once for every stage built from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from profiler.model import Build


@dataclass(frozen=True)
class LayerSizes:
    steps: MappingProxyType[str, int]
    """Vertex digest → bytes its layers add to the image (compressed)."""
    stages: MappingProxyType[tuple[str | None, str | None, str], int]
    """(bake target, platform, stage) → the sum of its steps' sizes, for stages with at least
    one step of known size."""
    image: int | None
    """The exported image's layers, all of them (compressed); ``None`` if unknown."""

    def stage(self, target: str | None, name: str, platform: str | None = None) -> int | None:
        return self.stages.get((target, platform, name))


def layer_sizes(build: Build) -> LayerSizes | None:
    """The sizes the build's record gives; ``None`` when it gives none."""
    record = build.record
    if record is None or (not record.layer_sizes and record.image_size is None):
        return None
    known = record.layer_sizes
    steps = {step.digest: known[step.digest] for step in build if step.digest in known}
    stages: dict[tuple[str | None, str | None, str], int] = {}
    for step in build:
        if step.digest in steps:
            key = (step.target, step.parsed.platform, step.stage_key)
            stages[key] = stages.get(key, 0) + steps[step.digest]
    return LayerSizes(
        steps=MappingProxyType(steps),
        stages=MappingProxyType(stages),
        image=record.image_size,
    )
