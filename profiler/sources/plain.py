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
was written, and wrap it in their own prefixes: :mod:`~profiler.sources.logtext`
undoes them (keeping the times); :mod:`~profiler.sources.plainsplit` tells the builds
of one log apart and leaves out the builder's bootstrap. Each build is then read here;
its dependencies come from :mod:`~profiler.sources.plaindeps`, its times from
:mod:`~profiler.sources.plaintimes`.

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
  As BuildKit schedules: a ``COPY``/``ADD`` of the context waits for ``[internal]
  load build context`` (a long upload is on the critical path) and a stage's ``FROM``
  for its image's metadata; each only if the output agrees (the input's outcome
  printed before the consumer's first line). Internal loads (definition, metadata,
  ``.dockerignore``, context) and exporters get no inputs, as in rawjson: the
  frontend starts them when it is ready, which may be after a metadata lookup that
  no edge shows, so the analysis links them by time, as it does for a stream. They
  are placed after the outcome printed last before their header.
  With line timestamps, only these structural links move an input back.
- **Not recoverable:** which log lines went to stderr (all count as stdout); steps
  that were only announced, never started (plain output never shows them); several
  intervals of one vertex (only the last is timed).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from profiler.errors import StreamError
from profiler.model import Build, Interval, LogChunk, Step, StepStatus, union_length
from profiler.names import StepKind, parse_name
from profiler.sources.logtext import LineCleaner, LogLine, clean_lines
from profiler.sources.opening import open_chunks
from profiler.sources.plaindeps import infer_dependencies
from profiler.sources.plainsplit import PlainSplitter
from profiler.sources.plaintimes import link_base_stages, time_from_order, time_from_stamps
from profiler.sources.plainvertex import LogEntry, Run, Vertex
from profiler.sources.targets import split_by_target

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

_VERTEX_LINE = re.compile(r"^#(\d+)(?: (.*))?$", re.DOTALL)
_DONE = re.compile(r"^DONE(?: (\d+(?:\.\d+)?)s)?$")
_ERROR = re.compile(r"^ERROR(?::\s?(.*))?$", re.DOTALL)
# The printer writes offsets with 3 decimals below 10 s, 2 below 100 s, 1 above.
_LOG = re.compile(r"^(\d+\.\d{1,3})(?: (.*))?$", re.DOTALL)
_MESSAGE_PREFIXES = ("ERROR", "WARNING", "WARN")


def is_progress_line(raw: str) -> bool:
    """Whether one line of a log is BuildKit plain progress output (``#N …``).

    Any CI prefix (a timestamp, colours) is looked past. A rawjson stream never has
    such a line: its objects start with ``{`` and their lines are indented. Used by
    :mod:`profiler.sources.detect` on every line until the first one says yes.
    """
    line = LineCleaner().clean(raw)
    match = _VERTEX_LINE.match(line.text) if line is not None else None
    return match is not None and bool((match.group(2) or "").strip())


class PlainLogParser:
    """Accumulates plain progress lines; :meth:`build` reconstructs the Build."""

    def __init__(self) -> None:
        self._vertices: dict[int, Vertex] = {}
        self._current: int | None = None
        self._blank = True
        self._line = 0
        self._messages: list[str] = []
        self._vertex_lines = 0
        self._stamped_vertex_lines = 0
        self._dated = True
        self._headless = 0

    def feed_lines(self, lines: Iterable[LogLine]) -> None:
        """The clean lines of one build (:mod:`~profiler.sources.plainsplit` splits a log)."""
        for line in lines:
            self.feed_line(line)

    def feed_line(self, clean: LogLine) -> None:
        self._line += 1
        line = clean.text
        if not line.strip():
            self._blank = True
            return
        blank_before, self._blank = self._blank, False
        match = _VERTEX_LINE.match(line)
        if match is None:
            if line.startswith(_MESSAGE_PREFIXES) and len(self._messages) < MAX_MESSAGES:
                self._messages.append(line)
            return
        number = int(match.group(1))
        if number == 0:  # "#0 building with …": the builder, not a vertex
            return
        self._vertex_lines += 1
        if clean.time is not None:
            self._stamped_vertex_lines += 1
            self._dated = self._dated and clean.dated
        self._vertex_line(number, match.group(2) or "", clean.time, blank_before)

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
                run = Run(self._line, time)
                vertex.runs.append(run)
            run.outcome, run.seconds, run.error = kind, seconds, error
            run.outcome_line, run.outcome_time = self._line, time
            self._current = None
            return
        log = _LOG.match(rest)
        if log is not None:
            if vertex is None:
                vertex = self._headless_vertex(number, time)
            vertex.runs[-1].logs.append(LogEntry(float(log.group(1)), log.group(2) or "", time))
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
            vertex.runs.append(Run(self._line, time))
        # Otherwise a reprint of a running vertex or a sub-status ("transferring context").
        self._current = number

    def _headless_vertex(self, number: int, time: float | None) -> Vertex:
        # Its header is not in the log (a log that starts mid-build): named by number.
        self._headless += 1
        return self._new_vertex(number, f"#{number}", time)

    def _new_vertex(self, number: int, name: str, time: float | None) -> Vertex:
        vertex = Vertex(number, name, parse_name(name), [Run(self._line, time)], [name])
        self._vertices[number] = vertex
        return vertex

    # -- reconstruction -------------------------------------------------------------

    def build(
        self,
        dockerfile: Dockerfile | None = None,
        *,
        name: str | None = None,
        extra_notes: Iterable[str] = (),
    ) -> Build:
        # A vertex known only by "#17 CACHED" (its header never printed) says nothing:
        # no name, no time. One with logs or a duration is kept, named by its number.
        silent = [
            number
            for number, vertex in self._vertices.items()
            if _is_headless(vertex)
            and not any(run.logs for run in vertex.runs)
            and all(run.outcome == "cached" for run in vertex.runs)
        ]
        for number in silent:
            del self._vertices[number]
            self._headless -= 1
        vertices = [self._vertices[n] for n in sorted(self._vertices)]
        if not vertices:
            hint = f" (it says: {self._messages[0][:200]})" if self._messages else ""
            raise StreamError(f"{NO_PROGRESS}{hint}")
        for vertex in vertices:
            _fold_open_runs(vertex)
        infer_dependencies(vertices, dockerfile)
        stamped = self._stamped_vertex_lines == self._vertex_lines
        approximations = [NOTE_TIMESTAMPED if stamped else NOTE_INFERRED]
        notes: list[str] = []
        if stamped:
            time_from_stamps(vertices)
        else:
            time_from_order(vertices)
        link_base_stages(vertices)
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
        notes.extend(extra_notes)
        dated = stamped and self._dated and origin > 0
        started_at = datetime.fromtimestamp(origin, tz=UTC) if dated else None
        return Build(
            steps=tuple(steps),
            started_at=started_at,
            messages=tuple(self._messages),
            notes=tuple(notes),
            approximations=tuple(approximations),
            truncated=False,
            stream_end=stream_end - origin,
            name=name,
        )


NO_PROGRESS = (
    "no BuildKit progress found: expected `docker buildx build --progress=rawjson` "
    "or --progress=plain output"
)


def read_plain_builds(
    chunks: Iterable[bytes],
    *,
    dockerfile: Dockerfile | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Build]:
    """Every build of a plain log given as byte chunks (any split), in the order they
    start: a session of several bake targets (compose services) gives one per target."""
    sessions = read_plain_sessions(chunks, dockerfile=dockerfile, on_progress=on_progress)
    return [build for session in sessions for build in split_by_target(session)]


def read_plain_sessions(
    chunks: Iterable[bytes],
    *,
    dockerfile: Dockerfile | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Build]:
    """Every BuildKit session of a plain log (bake targets together), in order."""
    splitter = PlainSplitter()
    splitter.feed(clean_lines(chunks, on_progress))
    sessions = []
    for part in splitter.builds():
        parser = PlainLogParser()
        parser.feed_lines(part.lines)
        sessions.append(parser.build(dockerfile, name=part.name, extra_notes=part.notes))
    if not sessions:
        said = splitter.messages
        hint = f" (it says: {said[0].text[:200]})" if said else ""
        raise StreamError(f"{NO_PROGRESS}{hint}")
    return sessions


def read_plain_chunks(
    chunks: Iterable[bytes],
    *,
    dockerfile: Dockerfile | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Build:
    """The first session of a plain log given as byte chunks (any split), all its
    bake targets together."""
    return read_plain_sessions(chunks, dockerfile=dockerfile, on_progress=on_progress)[0]


def read_plain(
    source: str | Path | BinaryIO,
    *,
    dockerfile: Dockerfile | str | Path | None = None,
) -> Build:
    """Read the first build of a plain progress log (file, gzip file, ``-``, file object).

    ``dockerfile`` (a parsed Dockerfile or its path) sharpens the inferred
    dependencies: which stage each stage is built ``FROM``.
    """
    if isinstance(dockerfile, str | Path):
        from profiler.dockerfile import read_dockerfile

        dockerfile = read_dockerfile(dockerfile)
    return read_plain_chunks(open_chunks(source), dockerfile=dockerfile)


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


def _is_headless(vertex: Vertex) -> bool:
    return vertex.name == f"#{vertex.number}"


def _fold_open_runs(vertex: Vertex) -> None:
    """A reprint after the outcome that never got an outcome of its own held late logs."""
    while len(vertex.runs) > 1 and vertex.runs[-1].outcome is None:
        extra = vertex.runs.pop()
        vertex.runs[-1].logs.extend(extra.logs)


def _freeze(vertex: Vertex, origin: float, stream_end: float, *, finished_build: bool) -> Step:
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
