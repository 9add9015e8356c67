"""``slow-base``: resolving or pulling a base image dominates the critical path."""

from __future__ import annotations

from profiler.dockerfile import normalize_image
from profiler.model import Step
from profiler.names import StepKind
from profiler.suggest.context import Finder, SuggestContext
from profiler.suggest.suggestion import Suggestion

KIND = "slow-base"


def find(context: SuggestContext) -> list[Suggestion]:
    """Every long image resolution or pull on the critical path, priced as instant."""
    suggestions = []
    for step in context.path:
        if not _loads_a_base(step) or step.digest not in context.graph:
            continue
        seconds = context.graph[step.digest].duration
        if seconds < context.long_step:
            continue
        image = step.parsed.text.removeprefix("load metadata for ").removeprefix("FROM ")
        changed = context.graph.with_duration(step.digest, 0.0)
        action = "resolving" if step.kind is StepKind.INTERNAL else "pulling"
        suggestions.append(
            context.make_suggestion(
                KIND,
                f"{action.capitalize()} the base image {image} takes "
                f"{seconds:.1f} s on the critical path",
                f"Before any step of the stage can run, BuildKit spends "
                f"{seconds:.1f} s {action} {image}. "
                "Keep the image in the builder (pre-pull it, or pin it by digest so no "
                "tag has to be resolved), use a registry mirror near the builder, or a "
                "smaller base image. The saving is the most this can give.",
                context.priced(changed),
                [step],
                lines=_from_lines(context, image),
                assumptions=[f"{action} {image} becomes instant"],
            )
        )
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="resolving or pulling a base image dominates the critical path",
    find=find,
)


def _loads_a_base(step: Step) -> bool:
    return (
        step.kind is StepKind.INTERNAL and step.parsed.text.startswith("load metadata for")
    ) or step.parsed.instruction == "FROM"


def _from_lines(context: SuggestContext, image: str) -> list[int]:
    """The ``FROM`` lines of the stages built on ``image`` (not on another stage)."""
    if context.dockerfile is None:
        return []
    wanted = normalize_image(image)
    return [
        stage.from_instruction.start_line
        for stage in context.dockerfile.stages
        if stage.base_stage is None and normalize_image(stage.base) == wanted
    ]
