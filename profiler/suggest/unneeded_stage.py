"""``unneeded-stage``: work the build ran although nothing the target needs consumes it."""

from __future__ import annotations

from profiler.model import Step
from profiler.suggest.context import Finder, SuggestContext
from profiler.suggest.suggestion import Suggestion

KIND = "unneeded-stage"


def find(context: SuggestContext) -> list[Suggestion]:
    """Per bake target and platform: the steps the target's last step does not build on."""
    groups: dict[tuple[str | None, str | None], list[Step]] = {}
    for step in context.steps:
        if context.executed(step) or step.cached:
            groups.setdefault((step.target, step.parsed.platform), []).append(step)
    suggestions = []
    for members in groups.values():
        member_ids = {s.digest for s in members}
        sinks = [s for s in members if member_ids.isdisjoint(context.consumers.get(s.digest, ()))]
        if len(sinks) < 2:
            continue
        target = _target_sink(context, sinks)
        needed = context.ancestors(target.digest)
        # A stage the target does build on is needed, even where the record shows a
        # second copy of some of its steps (a compose session's shared base, whose
        # context vertex differs per service): only whole stages are "unneeded".
        needed_stages = {s.stage_key for s in members if s.digest in needed}
        unneeded = [
            s
            for s in members
            if s.digest not in needed
            and s.digest != target.digest
            and s.stage_key not in needed_stages
        ]
        ran = [s for s in unneeded if context.executed(s)]
        if not ran:
            continue
        changed = context.graph.without_tasks(s.digest for s in ran)
        stages = sorted({s.stage_key for s in ran})
        work = sum(context.graph[s.digest].duration for s in ran)
        suggestions.append(
            context.make_suggestion(
                KIND,
                f"Stage(s) {', '.join(stages)} are built but the target does not use them",
                f"Nothing the target ({target.stage_key}) needs consumes the result of "
                f"{', '.join(stages)} ({len(ran)} steps, {work:.1f} s of work). Build "
                "with --target, or drop the stage from what the build needs.",
                context.priced(changed),
                ran,
                assumptions=["the target does not need these stages' output"],
            )
        )
    return suggestions


FINDER = Finder(
    kind=KIND,
    summary="work that nothing the target needs consumes: build with --target, or drop it",
    find=find,
)


def _target_sink(context: SuggestContext, sinks: list[Step]) -> Step:
    """The sink of the target: the last stage of the Dockerfile, else what ended last."""
    if context.dockerfile is not None and context.dockerfile.stages:
        last = context.dockerfile.stages[-1].label
        for sink in sinks:
            if sink.stage_key == last:
                return sink
    return max(sinks, key=lambda s: s.end or 0.0)
