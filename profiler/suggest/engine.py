"""One suggestion pass: prepare the build once, ask every finder, keep what pays."""

from __future__ import annotations

from profiler.analysis.memo import without_cycle_collection
from profiler.dockerfile import Dockerfile
from profiler.model import Build, StepStatus
from profiler.names import StepKind
from profiler.suggest.context import SuggestContext
from profiler.suggest.finders import FINDERS
from profiler.suggest.suggestion import Suggestion, SuggestionReport, SuggestOptions

_INCOMPLETE = frozenset({StepStatus.FAILED, StepStatus.UNFINISHED, StepStatus.CANCELLED})


@without_cycle_collection
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
    context = SuggestContext.prepare(build, dockerfile, previous=previous, options=options)
    simulator, options = context.simulator, context.options
    notes: list[str] = []
    if not completed(build):
        notes.append("the build did not complete: timing suggestions need a complete build")
        return SuggestionReport((), simulator, options, tuple(notes), complete=False)
    if dockerfile is not None:
        unmapped = [s for s in build if s.kind is StepKind.STEP and dockerfile.find(s) is None]
        if unmapped:
            notes.append(
                f"{len(unmapped)} of the build's steps do not match the Dockerfile "
                f"(first: {unmapped[0].name}); their lines are not shown"
            )
    found: list[Suggestion] = []
    for finder in FINDERS:
        found.extend(finder.find(context))
    kept = [s for s in found if context.worth_it(s)]
    kept.sort(key=lambda s: (-s.estimated_saving_seconds, s.kind, s.title))
    return SuggestionReport(tuple(kept), simulator, options, tuple(notes))


def completed(build: Build) -> bool:
    """Whether the build ran to its end: only then are its timings worth changing."""
    return not build.truncated and not any(s.status in _INCOMPLETE for s in build)
