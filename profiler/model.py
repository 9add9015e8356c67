"""The build model: what one BuildKit build did, step by step, in time.

Everything downstream (analysis, reports, figures, the store) reads these frozen
dataclasses. Times are seconds from the build's start (the earliest ``started`` of
any vertex); the absolute start is kept once, as :attr:`Build.started_at`.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from profiler.names import ParsedName, StepKind
from profiler.record import BuildRecord

if TYPE_CHECKING:
    import pandas as pd


class StepStatus(StrEnum):
    DONE = "done"
    CACHED = "cached"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Stopped because another step failed or the build was interrupted."""
    UNFINISHED = "unfinished"
    """Still running when the stream ended (build or capture killed)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """One period a vertex was running; ``end`` is ``None`` if it never completed."""

    start: float
    end: float | None


@dataclass(frozen=True, slots=True)
class LogChunk:
    """A piece of a step's output as BuildKit sent it (not split into lines)."""

    time: float
    stream: int
    """1 for stdout, 2 for stderr."""
    encoded: str
    """The base64 text from the stream, decoded on demand: most logs are never read."""

    @property
    def data(self) -> bytes:
        """The decoded bytes; text that is not base64 is kept as it came, not dropped."""
        try:
            return binascii.a2b_base64(self.encoded)
        except (binascii.Error, ValueError):
            return self.encoded.encode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class StepWarning:
    level: int
    short: str
    detail: tuple[str, ...]
    url: str | None


@dataclass(frozen=True, slots=True)
class SubStatus:
    """Sub-progress of a step, e.g. "transferring context: 2.1MB" or a layer extract."""

    id: str
    name: str
    current: int
    total: int | None
    start: float | None
    end: float | None


@dataclass(frozen=True, slots=True)
class Step:
    """One BuildKit vertex (one digest), merged from all its snapshots in the stream."""

    digest: str
    name: str
    """The first name the stream gave this vertex (the one buildx displays)."""
    names: tuple[str, ...]
    """Every name seen, in order: bake gives a vertex shared by targets several."""
    parsed: ParsedName
    inputs: tuple[str, ...]
    """Digests this vertex waited for, as the stream reports them."""
    intervals: tuple[Interval, ...]
    start: float | None
    end: float | None
    """Last completion; for an unfinished step, the end of the stream."""
    duration: float
    """Union of the intervals: time this vertex was actually running."""
    cached: bool
    error: str | None
    status: StepStatus
    progress_group: str | None = None
    logs: tuple[LogChunk, ...] = ()
    warnings: tuple[StepWarning, ...] = ()
    statuses: tuple[SubStatus, ...] = ()

    @property
    def kind(self) -> StepKind:
        return self.parsed.kind

    @property
    def target(self) -> str | None:
        return self.parsed.target

    @property
    def stage(self) -> str | None:
        return self.parsed.stage

    @property
    def stage_key(self) -> str:
        """The stage this vertex counts towards in rollups.

        Steps of an unnamed single-stage Dockerfile count as ``stage-0`` (BuildKit's
        own name for it); vertices outside any stage as ``(internal)`` or ``(export)``.
        """
        if self.parsed.stage is not None:
            return self.parsed.stage
        if self.kind is StepKind.STEP:
            return "stage-0"
        return "(export)" if self.kind is StepKind.EXPORTER else "(internal)"

    @property
    def log_bytes(self) -> bytes:
        return b"".join(chunk.data for chunk in self.logs)

    def log_lines(self, last: int | None = None) -> list[str]:
        """The step's output as text lines (stdout and stderr interleaved as sent)."""
        lines = self.log_bytes.decode("utf-8", errors="replace").splitlines()
        return lines if last is None else lines[-last:]


class DeferredLogs:
    """A step's log chunks kept by a reader in its own compact form, made on first read.

    A large build carries tens of thousands of log chunks and most are never read
    (a report reads the failed step's; the analysis none). A reader may give a new
    :class:`Step` one of these with :func:`defer_logs`; :attr:`Step.logs` is still a
    ``tuple[LogChunk, ...]`` to every reader, made by :meth:`make` the first time it is
    read and then kept in the step. Subclasses implement :meth:`make`.
    """

    __slots__ = ()

    def make(self) -> tuple[LogChunk, ...]:
        raise NotImplementedError


class _LogsOnFirstRead:
    """``Step.logs``: the slot's tuple, or a :class:`DeferredLogs` turned into one when read.

    Every reader (attribute access, ``==``, ``hash``, ``repr``, pickling,
    ``dataclasses.replace``) goes through ``__get__``, so none ever sees the deferred
    form; making it twice (two threads) gives equal tuples.
    """

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, step: Step | None, owner: type | None = None) -> Any:
        if step is None:
            return self
        logs = self._slot.__get__(step, owner)
        if isinstance(logs, DeferredLogs):
            logs = logs.make()
            self._slot.__set__(step, logs)
        return logs

    def __set__(self, step: Step, value: object) -> None:
        self._slot.__set__(step, value)

    def __delete__(self, step: Step) -> None:
        self._slot.__delete__(step)


_LOGS_SLOT = vars(Step)["logs"]
setattr(Step, "logs", _LogsOnFirstRead(_LOGS_SLOT))  # noqa: B010 (mypy: a field)


def defer_logs(step: Step, logs: DeferredLogs) -> Step:
    """Give ``step``, just made with ``logs=()``, logs made on first read."""
    _LOGS_SLOT.__set__(step, logs)
    return step


@dataclass(frozen=True, slots=True)
class Stage:
    """Rollup of the steps of one stage (per bake target and per platform where there
    are several)."""

    target: str | None
    name: str
    start: float | None
    end: float | None
    busy: float
    """Time at least one of the stage's steps was running."""
    sequential: float
    """Sum of the stage's step durations."""
    steps: int
    cached: int
    failed: int
    platform: str | None = None
    """``linux/386`` for a stage of a multi-platform build (its steps' name prefix)."""

    @property
    def span(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return self.end - self.start


@dataclass(frozen=True)
class Build:
    """A whole build as the stream told it. Immutable; derived views are cached."""

    steps: tuple[Step, ...]
    """Every vertex, in the order the stream first announced it."""
    started_at: datetime | None = None
    """Absolute time of the build's first start (UTC)."""
    messages: tuple[str, ...] = ()
    """Lines of the stream that were not JSON, e.g. ``ERROR: failed to solve: …``."""
    notes: tuple[str, ...] = ()
    """What the reader had to skip or repair, for the user to know."""
    approximations: tuple[str, ...] = ()
    """Why the times are reconstructed rather than read (a plain log has no start
    times, no inputs): empty when the build was read exactly."""
    name: str | None = None
    """What the input calls this build, when it says: a compose service, a bake
    target, the image tag of its ``docker build -t``. ``None`` if it does not."""
    source_format: str | None = None
    """The input format it was read from (``rawjson``, ``plain``; see
    :class:`profiler.sources.Format`); ``None`` for a Build made in code."""
    truncated: bool = False
    """The stream ended inside an event: the build or its capture was killed."""
    stream_end: float = 0.0
    """The latest time anything in the stream mentions, in seconds from the start."""
    skipped_times: int = 0
    """Time values the reader skipped: not RFC 3339 timestamps of a plausible date."""
    untrusted_times: tuple[str, ...] = ()
    """Why the times cannot be trusted (see :mod:`profiler.validate`); empty if they can.
    Such a build is shown, but never stored as a run comparable with others."""
    record: BuildRecord | None = None
    """Docker's own record of the build, when it was read from one (``.dockerbuild``)."""
    _by_digest: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_digest", {step.digest: step for step in self.steps})

    @property
    def approximate(self) -> bool:
        """True if the build was reconstructed (plain logs) rather than read exactly."""
        return bool(self.approximations)

    @property
    def all_notes(self) -> tuple[str, ...]:
        """What reports show: each approximation (``approximate: …``), then the notes."""
        return (*(f"approximate: {reason}" for reason in self.approximations), *self.notes)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def step(self, digest: str) -> Step:
        return self._by_digest[digest]

    def get(self, digest: str) -> Step | None:
        return self._by_digest.get(digest)

    def inputs_of(self, step: Step) -> list[Step]:
        """The step's inputs that the stream knows as vertices."""
        return [self._by_digest[d] for d in step.inputs if d in self._by_digest]

    def timestamp(self, seconds: float) -> datetime | None:
        """Absolute time of a model time, when the build has started."""
        if self.started_at is None:
            return None
        return datetime.fromtimestamp(self.started_at.timestamp() + seconds, tz=UTC)

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        """Stage rollups, in the order their first step started."""
        # One pass over the steps (benchmarks/README.md, "Round 4"): grouping them,
        # then scanning each group five times, cost twice as much. The figures are
        # the same floats: sums and merges see the steps in the same order.
        # The same stage of two platforms ran twice, as two stages: never merged.
        groups: dict[tuple[str | None, str | None, str], _StageParts] = {}
        cached, failed = StepStatus.CACHED, StepStatus.FAILED
        for step in self.steps:
            parsed = step.parsed
            key = (parsed.target, parsed.platform, step.stage_key)
            parts = groups.get(key)
            if parts is None:
                parts = groups[key] = _StageParts()
            # min() and max() keep the first of equal values: so do these comparisons.
            start, end = step.start, step.end
            if start is not None and (parts.start is None or start < parts.start):
                parts.start = start
            if end is not None and (parts.end is None or end > parts.end):
                parts.end = end
            # Closed as closed_intervals() closes them, inline: a call a step doubled
            # the time of this pass (3.5 -> 6.7 ms on the 5,045-step benchmark build).
            closed = end if end is not None else 0.0
            for interval in step.intervals:
                begin, stop = interval.start, interval.end
                parts.intervals.append((begin, stop if stop is not None else max(closed, begin)))
            parts.durations.append(step.duration)
            parts.steps += 1
            status = step.status
            if status is cached:
                parts.cached += 1
            elif status is failed:
                parts.failed += 1
        stages = [
            parts.stage(target, name, platform)
            for (target, platform, name), parts in groups.items()
        ]
        return tuple(sorted(stages, key=lambda s: (s.start is None, s.start or 0.0)))

    def stages_frame(self) -> pd.DataFrame:
        """One row per stage rollup (per bake target where there is one)."""
        import pandas as pd

        rows = [
            {
                "target": s.target,
                "platform": s.platform,
                "stage": s.name,
                "start": s.start,
                "end": s.end,
                "span": s.span,
                "busy": s.busy,
                "sequential": s.sequential,
                "steps": s.steps,
                "cached": s.cached,
                "failed": s.failed,
            }
            for s in self.stages
        ]
        return pd.DataFrame(rows, columns=_STAGE_COLUMNS)


_STAGE_COLUMNS = [
    "target", "platform", "stage", "start", "end", "span", "busy", "sequential", "steps", "cached",
    "failed",
]  # fmt: skip


def merged_intervals(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Disjoint ``(start, end)`` spans covering the intervals, in time order.

    Overlapping or touching intervals join (a vertex shared by bake targets reports
    overlapping runs); empty or inverted ones cover nothing and are left out.
    """
    spans: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def union_length(intervals: Iterable[tuple[float, float]]) -> float:
    """Total length covered by possibly overlapping ``(start, end)`` intervals.

    An interval that ends before it starts covers nothing (never a negative length:
    clocks that disagree must not make a busy time shrink below zero)."""
    return sum((end - start for start, end in merged_intervals(intervals)), 0.0)


def closed_intervals(step: Step) -> list[tuple[float, float]]:
    """The step's intervals with open ends closed at the step's end."""
    end = step.end if step.end is not None else 0.0
    return [(i.start, i.end if i.end is not None else max(end, i.start)) for i in step.intervals]


class _StageParts:
    """A stage's figures, gathered one step at a time, in the build's step order."""

    __slots__ = ("cached", "durations", "end", "failed", "intervals", "start", "steps")

    def __init__(self) -> None:
        self.start: float | None = None
        self.end: float | None = None
        self.intervals: list[tuple[float, float]] = []
        self.durations: list[float] = []
        self.steps = 0
        self.cached = 0
        self.failed = 0

    def stage(self, target: str | None, name: str, platform: str | None) -> Stage:
        return Stage(
            target=target,
            name=name,
            start=self.start,
            end=self.end,
            busy=union_length(self.intervals),
            # sum() of the list, not a running total: from Python 3.12 sum()
            # compensates its rounding, and the figure must not depend on how it is
            # gathered.
            sequential=sum(self.durations),
            steps=self.steps,
            cached=self.cached,
            failed=self.failed,
            platform=platform,
        )
