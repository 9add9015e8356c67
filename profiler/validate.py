"""Times a build can be trusted with: checked once, between reading and the model.

A stream is data from outside: a clock that jumped, a producer that writes numbers
where BuildKit writes RFC 3339 texts, a hand-edited or fuzzed file. What cannot be
true is never passed on as a measurement:

- a time value that is not a timestamp (a number, a text that is not RFC 3339) or
  lies outside any plausible date (before 2000, from 2100 on) is **skipped** by the
  reader (:func:`timestamp_microseconds`), and counted;
- an interval that ends before it starts is **repaired**: it is taken as 0 s long,
  at its start;
- a build whose steps span more than :data:`MAX_BUILD_SECONDS`, or with a step that
  started before an input of it had completed, is kept as it is;
- an input with vertices but no time left that can be read is **rejected**
  (:class:`~profiler.errors.StreamError`): there is nothing to measure.

Each skip and repair is said in the build's notes, and a build that needed any is
marked :attr:`~profiler.model.Build.untrusted_times`: reports show it, but the history
stores it with the status ``untrusted``, which no trend, comparison baseline or
``kitprof check`` counts as a comparable run.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from profiler.errors import StreamError
from profiler.model import Build, Interval, Step, StepStatus, union_length

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST, LATEST) are no build's: BuildKit appeared in 2017."""
MAX_BUILD_SECONDS = 7 * 24 * 3600.0
"""Longer than any CI job runs (GitHub Actions stops a self-hosted job after 5 days)."""

INPUT_TOLERANCE_SECONDS = 0.01
"""Daemon clocks are not exact: a step may seem to start a hair before its input ended."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_US = (EARLIEST - _EPOCH) // _EPOCH.resolution
_LATEST_US = (LATEST - _EPOCH) // _EPOCH.resolution


class TimeProblem(ValueError):
    """A value where a timestamp belongs that is not a usable one."""


def timestamp_microseconds(value: object) -> int | None:
    """Microseconds since the epoch of an RFC 3339 text; ``None`` for Go's zero time
    (``0001-01-01T00:00:00Z``, which some producers write for "not set").

    Integers, not float seconds: a float epoch time is only good to ~0.1 µs and turns
    0.6 s into 0.5999999 once the build's origin is subtracted. Raises
    :class:`TimeProblem` for a number, a text that is not RFC 3339, or a date outside
    [EARLIEST, LATEST).
    """
    if not isinstance(value, str):
        raise TimeProblem(f"not a timestamp: {_preview(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise TimeProblem(f"not an RFC 3339 timestamp: {_preview(value)}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year <= 1:
        return None
    microseconds = (parsed - _EPOCH) // _EPOCH.resolution
    if not _EARLIEST_US <= microseconds < _LATEST_US:
        raise TimeProblem(f"a time outside any plausible build: {_preview(value)}")
    return microseconds


def validate_build(build: Build, label: str = "input") -> Build:
    """The build with impossible intervals repaired and its trust decided (see the
    module docstring); raises :class:`StreamError` when no time can be read at all."""
    untrusted: list[str] = list(build.untrusted_times)
    if build.skipped_times:
        if all(step.start is None for step in build) and build.steps:
            raise StreamError(
                f"{label}: none of its times can be read ({build.skipped_times} values are "
                "not RFC 3339 timestamps of a plausible date): nothing to measure"
            )
        values = (
            "value that is not a timestamp"
            if build.skipped_times == 1
            else ("values that are not timestamps")
        )
        untrusted.append(f"skipped {build.skipped_times} time {values} of a plausible date")
    steps = list(build.steps)
    backwards = 0
    for position, step in enumerate(steps):
        # A loop rather than any(<generator>): this runs for each of a large
        # build's thousands of steps, nearly all with a single interval.
        for interval in step.intervals:
            end = interval.end
            if end is not None and end < interval.start:
                backwards += 1
                steps[position] = _repaired(step)
                break
    if backwards:
        untrusted.append(
            f"repaired {backwards} step{'s' if backwards != 1 else ''} that completed "
            "before starting (taken as 0 s long)"
        )
    early = _started_before_inputs(steps)
    if early:
        untrusted.append(
            f"{early} step{'s' if early != 1 else ''} started before an input had completed"
        )
    starts = [step.start for step in steps if step.start is not None]
    ends = [step.end for step in steps if step.end is not None]
    if starts and ends and max(ends) - min(starts) > MAX_BUILD_SECONDS:
        days = (max(ends) - min(starts)) / 86400
        untrusted.append(
            f"its steps span {days:,.0f} days, longer than any build "
            f"({MAX_BUILD_SECONDS / 86400:.0f} days): a clock was wrong"
        )
    if untrusted == list(build.untrusted_times) and not backwards:
        return build
    new = [reason for reason in untrusted if reason not in build.untrusted_times]
    return dataclasses.replace(
        build,
        steps=tuple(steps),
        notes=(*build.notes, *(f"times not trusted: {reason}" for reason in new)),
        untrusted_times=tuple(untrusted),
    )


def _started_before_inputs(steps: list[Step]) -> int:
    """Steps stamped as starting before an input of theirs completed: BuildKit runs a
    vertex once its inputs are done, so one clock or the other is wrong."""
    ends = {step.digest: step.end for step in steps if step.status is not StepStatus.UNFINISHED}
    count = 0
    for step in steps:
        start = step.start
        if start is None or step.cached:
            continue
        inputs = step.inputs
        latest = max([ends.get(digest) or 0.0 for digest in inputs]) if inputs else 0.0
        if start < latest - INPUT_TOLERANCE_SECONDS:
            count += 1
    return count


def _repaired(step: Step) -> Step:
    """``step`` with each interval that ends before it starts made 0 s long."""
    intervals = tuple(
        Interval(i.start, i.start) if i.end is not None and i.end < i.start else i
        for i in step.intervals
    )
    ends = [i.end for i in intervals if i.end is not None]
    end = step.end
    if step.status is not StepStatus.UNFINISHED:
        end = max(ends) if ends else None
    elif end is not None and intervals:
        end = max(end, intervals[-1].start)
    closed = [
        (i.start, i.end if i.end is not None else max(end or i.start, i.start)) for i in intervals
    ]
    return dataclasses.replace(step, intervals=intervals, end=end, duration=union_length(closed))


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
