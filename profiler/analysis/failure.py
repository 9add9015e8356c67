"""What failed, why, and what it took down with it."""

from __future__ import annotations

from dataclasses import dataclass

from profiler.model import Build, Step, StepStatus
from profiler.record import SourceLocation

LOG_TAIL_LINES = 20


@dataclass(frozen=True, slots=True)
class FailureSummary:
    step: Step | None
    """The first step that failed (by completion time); None if only cancellations."""
    error: str | None
    log_tail: tuple[str, ...]
    other_failures: tuple[Step, ...]
    cancelled: tuple[Step, ...]
    """Steps stopped because of the failure or an interruption."""
    cancelled_seconds: float
    """Time the cancelled steps had already run: work thrown away."""
    messages: tuple[str, ...]
    """``ERROR: …`` lines the build command printed."""
    location: SourceLocation | None = None
    """The Dockerfile lines of the failed instruction, with the text for an excerpt:
    from Docker's build record (its error's source), when the build was read from one."""
    exit_code: int | None = None
    """The failed process's exit code, when the record says."""


def failure_summary(build: Build) -> FailureSummary | None:
    """None when the build neither failed nor was cancelled."""
    failed = sorted(
        (step for step in build if step.status is StepStatus.FAILED),
        key=lambda step: step.end if step.end is not None else float("inf"),
    )
    cancelled = tuple(step for step in build if step.status is StepStatus.CANCELLED)
    messages = tuple(m for m in build.messages if m.lstrip().startswith("ERROR"))
    if not failed and not cancelled and not messages:
        return None
    first = failed[0] if failed else None
    recorded = build.record.failure if build.record is not None else None
    # The record names the vertex that failed; its location is that step's.
    if recorded is not None and first is not None and recorded.vertex not in (None, first.digest):
        recorded = None
    return FailureSummary(
        step=first,
        error=first.error if first else None,
        log_tail=tuple(first.log_lines(last=LOG_TAIL_LINES)) if first else (),
        other_failures=tuple(failed[1:]),
        cancelled=cancelled,
        cancelled_seconds=sum(step.duration for step in cancelled),
        messages=messages,
        location=recorded.location if recorded else None,
        exit_code=recorded.exit_code if recorded else None,
    )
