"""``build-context``: sending the build context dominates the critical path."""

from __future__ import annotations

from profiler.dockerfile import copy_spec
from profiler.names import StepKind
from profiler.suggest.context import Finder, SuggestContext
from profiler.suggest.suggestion import Suggestion

KIND = "build-context"


def find(context: SuggestContext) -> list[Suggestion]:
    """A long context load on the critical path, priced as instant."""
    suggestions = []
    for step in context.path:
        if step.kind is not StepKind.INTERNAL or not step.parsed.text.startswith(
            "load build context"
        ):
            continue
        seconds = context.seconds(step)
        if seconds < context.long_step:
            continue
        changed = context.graph.with_duration(step.digest, 0.0)
        readers = [
            s
            for s in context.steps
            if step.digest in s.inputs
            and (spec := copy_spec(s.parsed.text)) is not None
            and spec.whole_context
        ]
        suggestions.append(
            context.make_suggestion(
                KIND,
                f"Sending the build context takes {seconds:.1f} s on the critical path",
                f"The client sends the build context ({seconds:.1f} s here) before the "
                "first COPY from it can run. A .dockerignore that leaves out what the "
                "image does not need (.git, build outputs, node_modules, data) makes it "
                "smaller; the saving is the most this can give.",
                context.priced(changed),
                [step, *readers],
                assumptions=["sending the context becomes instant"],
            )
        )
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="sending the build context dominates the critical path: a .dockerignore helps",
    find=find,
)
