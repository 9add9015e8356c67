"""What failed, why, and what it took down with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from profiler.model import Build, Step, StepStatus
from profiler.record import LineRange, SourceLocation

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
    """The Dockerfile lines of the failed instruction and their excerpt: from Docker's
    build record (its error's source), else from what buildx printed after the stream."""
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
    location = recorded.location if recorded else None
    if location is None and first is not None:
        location = printed_location(build.messages)
    return FailureSummary(
        step=first,
        error=first.error if first else None,
        log_tail=tuple(first.log_lines(last=LOG_TAIL_LINES)) if first else (),
        other_failures=tuple(failed[1:]),
        cancelled=cancelled,
        cancelled_seconds=sum(step.duration for step in cancelled),
        messages=messages,
        location=location,
        exit_code=recorded.exit_code if recorded else None,
    )


_PRINTED_FILE = re.compile(r"^(?P<file>\S+):(?P<start>\d+)(?:-(?P<end>\d+))?$")
_PRINTED_LINE = re.compile(r"^\s*(?P<number>\d+) \| (?P<mark>>>>|   ) ?(?P<text>.*)$")
_RULE = "-" * 20


def printed_location(messages: tuple[str, ...]) -> SourceLocation | None:
    """The failed instruction's place as buildx prints it after a failed build's stream
    (when the daemon sends it: Docker 28 does, dockerd 20.10 does not): ``Dockerfile:13``,
    a rule, ``  13 | >>> RUN …`` lines (2 either side), a rule."""
    for index, message in enumerate(messages[:-1]):
        found = _PRINTED_FILE.match(message.strip())
        if found is None or messages[index + 1].strip() != _RULE:
            continue
        shown: list[tuple[int, str, bool]] = []
        for line in messages[index + 2 :]:
            printed = _PRINTED_LINE.match(line)
            if printed is None:
                break
            number, mark = int(printed["number"]), printed["mark"] == ">>>"
            shown.append((number, printed["text"], mark))
        start = int(found["start"])
        end = int(found["end"] or start)
        if shown:
            return SourceLocation(found["file"], (LineRange(start, max(start, end)),),
                                  printed=tuple(shown))  # fmt: skip
    return None
