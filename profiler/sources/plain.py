"""Read BuildKit ``--progress=plain`` logs into a :class:`~profiler.model.Build`.

Most CI systems keep months of plain build logs and no rawjson. The plain printer
(buildkit ``util/progress/progressui/printer.go``) writes, per vertex ``#N``:

    #8 [base 4/4] RUN make                  header: the vertex has started
    #8 0.106 compiling …                    a log line, seconds since the vertex started
    #8 transferring context: 289B done      a sub-status
    #8 ...                                  the printer switches to another vertex
    #8 DONE 1.1s | CACHED | ERROR: … | CANCELED     the outcome, when it completes

and, after a failure, a ``------`` recap of the failed step's last log lines and an
``ERROR: failed to solve: …`` line. CI systems may prefix every line with the time it
was written (GitHub Actions: ``2026-11-26T17:03:24.1417110Z``; GitLab adds a stream
tag such as ``00O``); ANSI colours are stripped.

What plain output does not say, and how it is inferred (the Build is flagged
*approximate*, :attr:`~profiler.model.Build.approximations` says why):

- **Start times.** Without line timestamps there is no clock at all: only ``DONE``
  durations (0.1 s resolution), log offsets (ms) and the order of the lines. The
  printer prints a vertex's outcome at its first refresh after completion (every
  100–150 ms) and prints completed vertices first, in completion order, so outcome
  lines are in completion order. A vertex starts when its inputs are done (BuildKit
  schedules eagerly) but never completes before an outcome printed earlier: its end
  is ``max(ready + duration, end of the previous outcome)`` and its start that end
  minus its duration. Headers and logs of a vertex that is not the printer's current
  one are held back, so they do not date the start. Steps that failed or were
  cancelled print no duration: they start when ready and last at least as long as
  their last log line, and until the previous outcome.
- **With line timestamps** a finished step starts at the earliest of its header's
  time, each log line's time minus its offset, and its outcome's time minus its
  duration; a step without a duration starts when its inputs were done, at the
  latest at those times. An input must have finished before its consumer started:
  inputs printed late (buffered lines all stamped when the reading end started) are
  moved back.
- **Dependencies** (rawjson ``inputs``) are not printed. They are inferred from the
  names: the previous step of the same stage (of another bake target if the vertex
  is printed under that target's name); ``COPY --from=X`` / ``RUN --mount=…from=X``:
  the last step of stage X; a step whose ``FROM`` vertex is shared and named after
  another stage: that FROM vertex. A stage's first step depends on the last step of
  its base stage: from the Dockerfile when given; else one of the named stages whose
  last step had succeeded when the step was printed, the one whose schedule fits the
  order of the outcomes best (least pushed, then earliest), noted as guessed.
  Internal loads and exporters get no inputs, as in rawjson (the analysis links them
  by time); they are placed after the outcome printed last before their header.
- **Not recoverable:** which log lines went to stderr (all count as stdout); steps
  that were only announced, never started (plain output never shows them); several
  intervals of one vertex (only the last is timed).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from profiler.errors import StreamError
from profiler.model import Build, Interval, LogChunk, Step, StepStatus, union_length
from profiler.names import ParsedName, StepKind, parse_name
from profiler.sources.opening import open_chunks

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

NOTE_INFERRED = (
    "read from --progress=plain output without timestamps; start times "
    "inferred from DONE durations, log offsets and the order of the lines"
)
NOTE_TIMESTAMPED = (
    "read from --progress=plain output with per-line timestamps; times are "
    "when lines were printed (BuildKit prints every 100-150 ms)"
)
NOTE_STREAMS = "plain output does not tell stdout from stderr: every log line counts as stdout"
MAX_MESSAGES = 10_000
DIGEST_PREFIX = "plain:"
BASE_SEARCH_ROUNDS = 3
MAX_BASE_CANDIDATES = 12
# Printed times are rounded to 0.1 s: an input may seem to end a little after its use.
LINK_TOLERANCE = 0.06

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# GitHub Actions: "2026-11-26T17:03:24.1417110Z line"; GitLab: "…Z 00O line" (stream tag).
_TIMESTAMP = re.compile(
    r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"(?: [0-9a-f]{2}[OE]\+?)?(?: |$)"
)
_VERTEX_LINE = re.compile(r"^#(\d+)(?: (.*))?$", re.DOTALL)
_DONE = re.compile(r"^DONE(?: (\d+(?:\.\d+)?)s)?$")
_ERROR = re.compile(r"^ERROR(?::\s?(.*))?$", re.DOTALL)
# The printer writes offsets with 3 decimals below 10 s, 2 below 100 s, 1 above.
_LOG = re.compile(r"^(\d+\.\d{1,3})(?: (.*))?$", re.DOTALL)
_FROM_FLAG = re.compile(r"--from=(\S+)")
_MOUNT_FROM = re.compile(r"--mount=\S*?\bfrom=([^,\s]+)")
# FROM names a stage by its AS name only: an unnamed stage is nobody's base.
_UNNAMED_STAGE = re.compile(r"^stage-\d+$")
_MESSAGE_PREFIXES = ("ERROR", "WARNING", "WARN")


def is_progress_line(raw: str) -> bool:
    """Whether one line of a log is BuildKit plain progress output (``#N …``).

    Any CI prefix (a timestamp, colours) is looked past. A rawjson stream never has
    such a line: its objects start with ``{`` and their lines are indented. Used by
    :mod:`profiler.sources.detect` on every line until the first one says yes.
    """
    match = _VERTEX_LINE.match(_strip_prefix(raw)[1])
    return match is not None and bool((match.group(2) or "").strip())


@dataclass(slots=True)
class _Log:
    offset: float
    text: str
    time: float | None


@dataclass(slots=True)
class _Run:
    """One period of a vertex in the output: a header, its logs, an outcome."""

    header_line: int
    header_time: float | None
    logs: list[_Log] = field(default_factory=list)
    outcome: str | None = None
    """"done", "cached", "error", "canceled", or None if never printed."""
    seconds: float | None = None
    error: str | None = None
    outcome_line: int = -1
    outcome_time: float | None = None
    start: float = 0.0
    end: float | None = None

    @property
    def log_span(self) -> float:
        return max((log.offset for log in self.logs), default=0.0)

    @property
    def duration(self) -> float | None:
        """Its printed duration (at least its last log offset); None if not printed."""
        if self.outcome == "cached":
            return 0.0
        if self.outcome != "done":
            return None
        return max(self.seconds or 0.0, self.log_span)


@dataclass(slots=True)
class _Vertex:
    number: int
    name: str
    parsed: ParsedName
    runs: list[_Run]
    names: list[str] = field(default_factory=list)
    """Every name printed for it: bake prints a vertex shared by targets under each."""
    deps: list[int] = field(default_factory=list)
    structural: bool = False
    """Whether ``deps`` come from the build's structure rather than the output's order."""
    base_candidates: list[int] = field(default_factory=list)
    """For a stage's first step whose base stage is unknown: the stage-ending steps that
    had succeeded when it was printed, one of which is its base."""
    guessed_base: bool = False

    @property
    def first_line(self) -> int:
        return self.runs[0].header_line

    @property
    def outcome_line(self) -> int | None:
        lines = [run.outcome_line for run in self.runs if run.outcome is not None]
        return lines[0] if lines else None

    @property
    def end(self) -> float | None:
        return self.runs[-1].end


class PlainLogParser:
    """Accumulates plain progress lines; :meth:`build` reconstructs the Build."""

    def __init__(self) -> None:
        self._vertices: dict[int, _Vertex] = {}
        self._current: int | None = None
        self._blank = True
        self._line = 0
        self._messages: list[str] = []
        self._builds = 0
        self._ignoring = False
        self._vertex_lines = 0
        self._stamped_vertex_lines = 0
        self._headless = 0
        self._since_start = 0

    def feed_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.feed_line(line)

    def feed_line(self, raw: str) -> None:
        self._line += 1
        time, line = _strip_prefix(raw)
        if not line.strip():
            self._blank = True
            return
        blank_before, self._blank = self._blank, False
        match = _VERTEX_LINE.match(line)
        if match is None:
            keep = line.startswith(_MESSAGE_PREFIXES) and not self._ignoring
            if keep and len(self._messages) < MAX_MESSAGES:
                self._messages.append(line)
            return
        number = int(match.group(1))
        rest = match.group(2) or ""
        if self._starts_another_build(number, rest, blank_before):
            self._builds += 1
            self._ignoring = self._builds > 1
            self._since_start = 0
        if number != 0:
            self._since_start += 1
        if self._ignoring or number == 0:
            return
        self._vertex_lines += 1
        if time is not None:
            self._stamped_vertex_lines += 1
        self._vertex_line(number, rest, time, blank_before)

    def _starts_another_build(self, number: int, rest: str, blank_before: bool) -> bool:
        # "#0 building with …" opens every buildx build (0.11+); older ones start at #1.
        if number == 0:
            return True
        if number != 1 or not blank_before or not rest.startswith("[internal] load build"):
            return False
        if self._builds == 0:
            return True
        # A reprint of #1 within the build is not a new build; #1 right after "#0" is not.
        first = self._vertices.get(1)
        return (
            self._since_start > 0
            and first is not None
            and first.runs[-1].outcome is not None
            and len(self._vertices) > 1
        )

    def _vertex_line(self, number: int, rest: str, time: float | None, blank_before: bool) -> None:
        vertex = self._vertices.get(number)
        if rest == "...":
            self._current = None
            return
        outcome = _outcome(rest)
        if outcome is not None:
            kind, seconds, error = outcome
            if vertex is None:
                vertex = self._headless_vertex(number, time)
            run = vertex.runs[-1]
            if run.outcome is not None:
                run = _Run(self._line, time)
                vertex.runs.append(run)
            run.outcome, run.seconds, run.error = kind, seconds, error
            run.outcome_line, run.outcome_time = self._line, time
            self._current = None
            return
        log = _LOG.match(rest)
        if log is not None:
            if vertex is None:
                vertex = self._headless_vertex(number, time)
            vertex.runs[-1].logs.append(_Log(float(log.group(1)), log.group(2) or "", time))
            self._current = number
            return
        if vertex is None:
            self._new_vertex(number, rest, time)
            self._current = number
            return
        if vertex.name.startswith("#") and vertex.name[1:] == str(number):
            # The header of a vertex first seen by a log line or an outcome.
            vertex.name, vertex.parsed = rest, parse_name(rest)
            self._headless -= 1
        if rest not in vertex.names and (number != self._current or blank_before):
            vertex.names.append(rest)
        if (number != self._current or blank_before) and vertex.runs[-1].outcome is not None:
            # Printed again after its outcome: it may be starting again. A run that never
            # gets an outcome is folded back (see _fold_open_runs).
            vertex.runs.append(_Run(self._line, time))
        # Otherwise a reprint of a running vertex or a sub-status ("transferring context").
        self._current = number

    def _headless_vertex(self, number: int, time: float | None) -> _Vertex:
        # Its header is not in the log (a log that starts mid-build): named by number.
        self._headless += 1
        return self._new_vertex(number, f"#{number}", time)

    def _new_vertex(self, number: int, name: str, time: float | None) -> _Vertex:
        vertex = _Vertex(number, name, parse_name(name), [_Run(self._line, time)], [name])
        self._vertices[number] = vertex
        self._builds = max(self._builds, 1)
        return vertex

    # -- reconstruction -------------------------------------------------------------

    def build(self, dockerfile: Dockerfile | None = None) -> Build:
        vertices = [self._vertices[n] for n in sorted(self._vertices)]
        if not vertices:
            hint = f" (it says: {self._messages[0][:200]})" if self._messages else ""
            raise StreamError(
                "no BuildKit progress found: expected `docker buildx build --progress=rawjson` "
                f"or --progress=plain output{hint}"
            )
        for vertex in vertices:
            _fold_open_runs(vertex)
        _infer_dependencies(vertices, dockerfile)
        stamped = self._stamped_vertex_lines == self._vertex_lines
        approximations = [NOTE_TIMESTAMPED if stamped else NOTE_INFERRED]
        notes: list[str] = []
        if stamped:
            _time_from_stamps(vertices)
        else:
            _time_from_order(vertices)
        _link_base_stages(vertices)
        origin = min(run.start for vertex in vertices for run in vertex.runs)
        stopped = any(m.startswith("ERROR") for m in self._messages) or any(
            run.outcome in ("error", "canceled") for vertex in vertices for run in vertex.runs
        )
        finished = not stopped and any(
            vertex.parsed.kind is StepKind.EXPORTER and vertex.runs[-1].outcome == "done"
            for vertex in vertices
        )
        stream_end = max(
            max(run.end if run.end is not None else run.start + run.log_span, run.start)
            for vertex in vertices
            for run in vertex.runs
        )
        steps = [
            _freeze(vertex, origin, stream_end - origin, finished_build=finished)
            for vertex in vertices
        ]
        source = "step names and the Dockerfile" if dockerfile is not None else "step names"
        approximations.append(
            f"dependencies inferred from {source} and the order of the output "
            "(plain output has no vertex inputs)"
        )
        guessed = sum(1 for vertex in vertices if vertex.guessed_base)
        if guessed:
            approximations.append(
                f"the base stage of {guessed} stages was guessed from the output: "
                "give the Dockerfile to know it"
            )
        if any(vertex.runs[-1].logs for vertex in vertices):
            notes.append(NOTE_STREAMS)
        unprinted = [v for v in vertices if v.runs[-1].outcome is None]
        if unprinted and finished:
            notes.append(
                f"{len(unprinted)} vertices never printed an outcome although the build "
                "finished: counted as done"
            )
        if self._headless:
            notes.append(
                f"{self._headless} vertices whose header is not in the log "
                "(it starts mid-build?) are named by their number"
            )
        if self._builds > 1:
            notes.append(f"the log holds {self._builds} builds: read the first one")
        started_at = datetime.fromtimestamp(origin, tz=UTC) if stamped and origin > 0 else None
        return Build(
            steps=tuple(steps),
            started_at=started_at,
            messages=tuple(self._messages),
            notes=tuple(notes),
            approximations=tuple(approximations),
            truncated=False,
            stream_end=stream_end - origin,
        )


def read_plain_chunks(
    chunks: Iterable[bytes],
    *,
    dockerfile: Dockerfile | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Build:
    """Read plain progress output given as byte chunks (any split) into a Build."""
    parser = PlainLogParser()
    parser.feed_lines(_lines(chunks, on_progress))
    return parser.build(dockerfile)


def read_plain(
    source: str | Path | BinaryIO,
    *,
    dockerfile: Dockerfile | str | Path | None = None,
) -> Build:
    """Read a plain progress log (file, gzip file, ``-`` or a binary file object).

    ``dockerfile`` (a parsed Dockerfile or its path) sharpens the inferred
    dependencies: which stage each stage is built ``FROM``.
    """
    if isinstance(dockerfile, str | Path):
        from profiler.dockerfile import read_dockerfile

        dockerfile = read_dockerfile(dockerfile)
    return read_plain_chunks(open_chunks(source), dockerfile=dockerfile)


def _lines(chunks: Iterable[bytes], on_progress: Callable[[int], None] | None) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        if on_progress is not None:
            on_progress(len(chunk))
        data = pending + chunk if pending else chunk
        parts = data.split(b"\n")
        pending = parts.pop()
        for part in parts:
            yield part.decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")


def _strip_prefix(raw: str) -> tuple[float | None, str]:
    """The line's CI timestamp (seconds since the epoch), if any, and the rest."""
    line = raw.rstrip("\r\n")
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    match = _TIMESTAMP.match(line)
    if match is None:
        return None, line
    try:
        parsed = datetime.fromisoformat(match.group(1).replace(",", "."))
    except ValueError:
        return None, line
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp(), line[match.end() :]


def _outcome(rest: str) -> tuple[str, float | None, str | None] | None:
    if rest == "CACHED":
        return "cached", None, None
    if rest == "CANCELED":
        return "canceled", None, "context canceled"
    done = _DONE.match(rest)
    if done is not None:
        return "done", float(done.group(1)) if done.group(1) else None, None
    error = _ERROR.match(rest)
    if error is not None:
        return "error", None, (error.group(1) or "").strip() or "error"
    return None


def _fold_open_runs(vertex: _Vertex) -> None:
    """A reprint after the outcome that never got an outcome of its own held late logs."""
    while len(vertex.runs) > 1 and vertex.runs[-1].outcome is None:
        extra = vertex.runs.pop()
        vertex.runs[-1].logs.extend(extra.logs)


# -- dependencies -------------------------------------------------------------------

_StageKey = tuple[str | None, str | None, str | None]


def _stage_key(parsed: ParsedName, stage: str | None = None) -> _StageKey:
    return (parsed.target, parsed.platform, parsed.stage if stage is None else stage)


def _infer_dependencies(vertices: list[_Vertex], dockerfile: Dockerfile | None) -> None:
    stages: dict[_StageKey, dict[int, _Vertex]] = {}
    froms: list[_Vertex] = []
    for vertex in vertices:
        for name in vertex.names:
            parsed = parse_name(name)
            if parsed.kind is StepKind.STEP and parsed.index is not None:
                stages.setdefault(_stage_key(parsed), {}).setdefault(parsed.index, vertex)
                if parsed.instruction == "FROM" and vertex not in froms:
                    froms.append(vertex)
    by_outcome = sorted(
        (v for v in vertices if v.outcome_line is not None), key=lambda v: v.outcome_line or 0
    )

    def same_stage(key: _StageKey) -> list[dict[int, _Vertex]]:
        # A bake target's step may be printed only under another target's name (one
        # vertex serves both): the same stage of another target stands in.
        exact = stages.get(key)
        others = [m for k, m in stages.items() if k[1:] == key[1:] and k != key]
        return [exact, *others] if exact else others

    def step_at(key: _StageKey, index: int) -> _Vertex | None:
        return next((m[index] for m in same_stage(key) if index in m), None)

    def last_step(key: _StageKey) -> _Vertex | None:
        members = same_stage(key)
        return members[0][max(members[0])] if members else None

    def printed_before(vertex: _Vertex, keep: Callable[[_Vertex], bool]) -> _Vertex | None:
        found = None
        for other in by_outcome:
            if (other.outcome_line or 0) >= vertex.first_line:
                break
            if other is not vertex and keep(other):
                found = other
        return found

    def ends_stage(other: _Vertex) -> bool:
        # A stage built on another starts after that stage's last step succeeded.
        parsed = other.parsed
        return (
            parsed.kind is StepKind.STEP
            and parsed.index == parsed.count
            and other.runs[-1].outcome in ("done", "cached")
        )

    for vertex in vertices:
        parsed = vertex.parsed
        deps: list[_Vertex] = []
        candidates: list[_Vertex] = []
        if parsed.kind is StepKind.STEP and parsed.index is not None:
            key = _stage_key(parsed)
            if parsed.index > 1:
                previous = step_at(key, parsed.index - 1)
                if previous is None and parsed.index == 2:
                    # The stage's FROM vertex is shared with another stage, which named it.
                    previous = printed_before(vertex, lambda o: o in froms) or (
                        froms[0] if froms else None
                    )
                if previous is not None:
                    deps.append(previous)
            elif parsed.instruction != "FROM":
                base = _base_stage(parsed, dockerfile)
                found = last_step(_stage_key(parsed, base)) if base is not None else None
                if found is not None:
                    deps.append(found)
                else:
                    candidates = [
                        other
                        for other in by_outcome
                        if (other.outcome_line or 0) < vertex.first_line
                        and ends_stage(other)
                        and other.parsed.stage != parsed.stage
                        and not _UNNAMED_STAGE.match(other.parsed.stage or "")
                    ][-MAX_BASE_CANDIDATES:]
            for reference in _source_references(parsed):
                label = _stage_label(reference, dockerfile, stages, parsed)
                found = last_step(_stage_key(parsed, label)) if label is not None else None
                if found is not None and found is not vertex:
                    deps.append(found)
        vertex.structural = bool(deps)
        vertex.base_candidates = [other.number for other in candidates]
        vertex.guessed_base = bool(candidates)
        if not deps and not candidates:
            link = printed_before(vertex, lambda other: True)
            if link is not None:
                deps.append(link)
        vertex.deps = list(dict.fromkeys(dep.number for dep in deps if dep is not vertex))


def _base_stage(parsed: ParsedName, dockerfile: Dockerfile | None) -> str | None:
    if dockerfile is None:
        return None
    stage = dockerfile.stage(parsed.stage)
    if stage is None or stage.base_stage is None:
        return None
    return dockerfile.stages[stage.base_stage].label


def _source_references(parsed: ParsedName) -> list[str]:
    text = parsed.text
    if parsed.instruction in ("COPY", "ADD"):
        return _FROM_FLAG.findall(text)
    if parsed.instruction == "RUN":
        return _MOUNT_FROM.findall(text)
    return []


def _stage_label(
    reference: str,
    dockerfile: Dockerfile | None,
    stages: dict[_StageKey, dict[int, _Vertex]],
    parsed: ParsedName,
) -> str | None:
    if dockerfile is not None:
        found = dockerfile.resolve_reference(reference)
        return found.label if found is not None else None
    for candidate in (reference.lower(), f"stage-{reference}"):
        if _stage_key(parsed, candidate) in stages:
            return candidate
    return None


# -- times --------------------------------------------------------------------------


def _runs_by_outcome(vertices: list[_Vertex]) -> list[tuple[_Vertex, int, _Run]]:
    runs = [(v, i, run) for v in vertices for i, run in enumerate(v.runs)]
    # Outcomes in print order, then the runs that never printed one.
    return sorted(
        runs,
        key=lambda item: (
            item[2].outcome is None,
            item[2].outcome_line if item[2].outcome is not None else item[2].header_line,
        ),
    )


def _time_from_order(vertices: list[_Vertex]) -> None:
    """No clock in the log: a cumulative clock from durations, inputs and line order.

    A stage's first step of unknown base gets the candidate that fits the output best:
    the one whose schedule needs the least pushing to keep completions in printed
    order, and of those the earliest (the earliest schedule the output allows).
    """
    by_number = {vertex.number: vertex for vertex in vertices}
    ordered = _runs_by_outcome(vertices)
    choosing = [v for v in vertices if v.base_candidates]
    choosing.sort(key=lambda v: v.outcome_line if v.outcome_line is not None else v.first_line)
    bases = {v.number: v.base_candidates[-1] for v in choosing}
    for _ in range(BASE_SEARCH_ROUNDS if choosing else 0):
        changed = False
        for vertex in choosing:
            current = bases[vertex.number]
            scored = []
            for candidate in vertex.base_candidates:
                bases[vertex.number] = candidate
                pushed = _schedule(ordered, by_number, bases)
                scored.append((round(pushed, 6), vertex.runs[0].end or 0.0, candidate))
            bases[vertex.number] = min(scored)[2]
            changed = changed or bases[vertex.number] != current
        if not changed:
            break
    _schedule(ordered, by_number, bases)
    for vertex in choosing:
        vertex.deps.append(bases[vertex.number])
        vertex.base_candidates = []


def _schedule(
    ordered: list[tuple[_Vertex, int, _Run]],
    by_number: dict[int, _Vertex],
    bases: dict[int, int],
) -> float:
    """Time every run in outcome order; return how far completions had to be pushed."""
    clock = 0.0
    pushed = 0.0
    done: set[int] = set()
    # The latest end among outcomes printed before each line, for inputs not yet timed.
    outcome_clock: list[tuple[int, float]] = []
    for vertex, index, run in ordered:
        if index > 0:
            previous = vertex.runs[index - 1]
            ready = previous.end if previous.end is not None else previous.start
            if not vertex.structural:
                # Run again (an exporter per bake target): after what was done when
                # its header came again.
                before = [end for line, end in outcome_clock if line < run.header_line]
                ready = max([ready, *before])
        else:
            inputs = list(vertex.deps)
            if vertex.number in bases:
                inputs.append(bases[vertex.number])
            ends = [by_number[d].runs[-1].end for d in inputs if d in done]
            known = [end for end in ends if end is not None]
            if known:
                ready = max(known)
            else:
                ready = max(
                    (end for line, end in outcome_clock if line < run.header_line), default=0.0
                )
        duration = run.duration
        if run.outcome is None:
            run.start, run.end = ready, None
            continue
        if duration is not None:
            if clock > ready + duration:
                pushed += clock - (ready + duration)
            run.end = max(ready + duration, clock)
            run.start = run.end - duration
        else:
            # Failed or cancelled: it ran at least to its last log line; a cancelled
            # step ends with whatever stopped the build, which the clock stands for.
            run.start = ready
            run.end = max(ready + run.log_span, clock)
        clock = max(clock, run.end)
        outcome_clock.append((run.outcome_line, run.end))
        if index == len(vertex.runs) - 1:
            done.add(vertex.number)
    return pushed


def _time_from_stamps(vertices: list[_Vertex]) -> None:
    """Every line has the time it was printed: bound each start from above."""
    by_number = {vertex.number: vertex for vertex in vertices}

    def latest_start(run: _Run) -> float:
        bounds = [run.header_time or 0.0]
        bounds.extend(log.time - log.offset for log in run.logs if log.time is not None)
        duration = run.duration
        if run.outcome_time is not None:
            bounds.append(run.outcome_time - (duration or 0.0))
        return min(bounds)

    # Runs with a printed duration are placed by their own lines alone.
    for vertex in vertices:
        for run in vertex.runs:
            run.start = latest_start(run)
            duration = run.duration
            if duration is not None:
                run.end = run.start + duration
            else:
                run.end = run.outcome_time
    # Failed, cancelled and unfinished steps start as soon as their inputs were done
    # (of the possible base stages, the last one done by then).
    for vertex in vertices:
        first = vertex.runs[0]
        if first.duration is not None:
            continue
        inputs = vertex.deps if vertex.structural else vertex.base_candidates
        ends = [by_number[d].end for d in inputs if d in by_number]
        known = [end for end in ends if end is not None]
        if not vertex.structural:
            known = [end for end in known if end <= first.start + LINK_TOLERANCE][-1:]
        if known:
            first.start = min(first.start, max(known))
    # An input finished before its consumer started: move inputs printed late back,
    # and their own inputs in turn. Moves only go earlier; the bound guards against a
    # cycle of inferred dependencies.
    todo = sorted(vertices, key=lambda v: v.runs[0].start, reverse=True)
    for _ in range(len(vertices) * len(vertices) + 1):
        if not todo:
            break
        vertex = todo.pop(0)
        start = vertex.runs[0].start
        for number in vertex.deps:
            dep = by_number.get(number)
            if dep is None or dep.end is None or dep.end <= start:
                continue
            last = dep.runs[-1]
            last.end = start
            last.start = min(last.start, start - (last.duration or 0.0))
            todo.append(dep)


def _link_base_stages(vertices: list[_Vertex]) -> None:
    """Give a stage's first step of unknown base the candidate that ended just before it."""
    by_number = {vertex.number: vertex for vertex in vertices}
    for vertex in vertices:
        if not vertex.base_candidates:
            continue
        start = vertex.runs[0].start
        ends = [
            (end, number)
            for number in vertex.base_candidates
            if (end := by_number[number].end) is not None
        ]
        before = [item for item in ends if item[0] <= start + LINK_TOLERANCE]
        chosen = max(before) if before else min(ends, default=None)
        if chosen is not None and chosen[1] not in vertex.deps:
            vertex.deps.append(chosen[1])


def _freeze(vertex: _Vertex, origin: float, stream_end: float, *, finished_build: bool) -> Step:
    intervals = tuple(
        Interval(run.start - origin, None if run.end is None else run.end - origin)
        for run in vertex.runs
    )
    last = vertex.runs[-1]
    outcome = last.outcome
    if outcome is None and finished_build:
        outcome = "done"
        end = max(last.start - origin + last.log_span, intervals[-1].start)
        intervals = (*intervals[:-1], Interval(intervals[-1].start, end))
    status = {
        "done": StepStatus.DONE,
        "cached": StepStatus.CACHED,
        "error": StepStatus.FAILED,
        "canceled": StepStatus.CANCELLED,
        None: StepStatus.UNFINISHED,
    }[outcome]
    closed = [
        (i.start, i.end if i.end is not None else max(stream_end, i.start)) for i in intervals
    ]
    ends = [i.end for i in intervals if i.end is not None]
    end = stream_end if intervals[-1].end is None else max(ends)
    logs = tuple(
        LogChunk(
            time=run.start - origin + log.offset,
            stream=1,
            encoded=binascii.b2a_base64((log.text + "\n").encode("utf-8"), newline=False).decode(
                "ascii"
            ),
        )
        for run in vertex.runs
        for log in run.logs
    )
    return Step(
        digest=f"{DIGEST_PREFIX}{vertex.number}",
        name=vertex.name,
        names=tuple(vertex.names),
        parsed=vertex.parsed,
        # A link by output order only placed the vertex in time. Like rawjson, it has
        # no inputs then: the analysis links it by time, run by run.
        inputs=tuple(f"{DIGEST_PREFIX}{number}" for number in vertex.deps)
        if vertex.structural or vertex.guessed_base
        else (),
        intervals=intervals,
        start=intervals[0].start,
        end=end,
        duration=union_length(closed),
        cached=outcome == "cached",
        error=last.error,
        status=status,
        logs=logs,
    )
