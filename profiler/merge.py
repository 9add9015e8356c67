"""Merge SolveStatus snapshots into a :class:`~profiler.model.Build`.

BuildKit sends every vertex many times, each message a complete snapshot. The rules
are buildx's own (``util/progress/progressui/display.go``), so kitprof's durations
match what ``--progress=plain`` prints as ``DONE 1.2s``:

- the newest snapshot wins, except that one without ``started`` never replaces a
  vertex that has started, and one repeating a ``started`` already completed, without
  a completion, is stale (a build record may store them in that order);
- each distinct ``started`` time opens an interval, closed by the ``completed`` of a
  snapshot with the same ``started``;
- a vertex's duration is the union of its intervals.

:class:`BuildRecorder` accepts events one at a time and can produce a Build at any
moment, which is what a live capture needs.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from profiler.errors import StreamError
from profiler.events import Event, Malformed, TextLine
from profiler.fastinit import fast_constructor
from profiler.logtable import FrozenLogs, LogTable, StepLogs, plain_entries
from profiler.model import (
    Build,
    Interval,
    Step,
    StepStatus,
    StepWarning,
    SubStatus,
    union_length,
)
from profiler.names import parse_name
from profiler.validate import TimeProblem, timestamp_microseconds

SOLVE_STATUS_KEYS = frozenset({"vertexes", "statuses", "logs", "warnings"})
MAX_MESSAGES = 10_000
MAX_TIME_NOTES = 5
"""Skipped time values named in the notes; the rest are only counted."""
MAX_MESSAGE_CHARS = 4_000
CANCELLED_SUFFIX = "context canceled"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
BULK_LOG_ENTRIES = 8
"""Log entries from this many on are checked and recorded a whole list at a time."""
_STR = {str}


@dataclass(slots=True)
class _StatusState:
    name: str = ""
    current: int = 0
    total: int | None = None
    started: int | None = None
    completed: int | None = None


@dataclass(slots=True)
class _VertexState:
    order: int
    seen: bool = False
    names: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] = ()
    started: int | None = None
    completed: int | None = None
    cached: bool = False
    error: str | None = None
    progress_group: str | None = None
    intervals: dict[int, int | None] = field(default_factory=dict)
    """Microseconds since the epoch: start → completion (None while running)."""
    warnings: list[StepWarning] = field(default_factory=list)
    statuses: dict[str, _StatusState] = field(default_factory=dict)


class BuildRecorder:
    """Accumulates stream events; :meth:`build` freezes what is known so far."""

    def __init__(self) -> None:
        self._vertices: dict[str, _VertexState] = {}
        self._orders: dict[str, int] = {}
        """Each vertex's order (``_VertexState.order``), to look up a list of them in C."""
        self._messages: list[str] = []
        self._dropped_messages = 0
        self._notes: list[str] = []
        self._times: dict[str, int] = {}
        self._latest: int | None = None
        self._logs = LogTable()
        self.solve_statuses = 0
        """How many SolveStatus events were merged."""
        self.other_json = 0
        """How many JSON values were not SolveStatus events."""
        self.skipped_times = 0
        """How many time values were not usable timestamps."""

    # -- feeding ------------------------------------------------------------------

    def add_all(self, events: Iterable[Event]) -> None:
        # The logs of consecutive messages (most of a large stream) are gathered and
        # recorded together (_add_logs). Everything else a message carries first
        # records what was gathered, so that every entry is still taken in stream
        # order: a message's vertexes and statuses, then its logs, then its warnings,
        # as _add_solve_status takes them.
        gathered: list[object] = []
        log_only = 0
        for event in events:
            if type(event) is dict:
                logs = event.get("logs")
                if type(logs) is list:
                    if len(event) == 1:
                        # A message of logs alone (three in four of a large stream):
                        # nothing else to check or record before its entries.
                        log_only += 1
                        gathered += logs
                        continue
                    if "warnings" not in event and event.keys() <= SOLVE_STATUS_KEYS:
                        if gathered:
                            self._add_logs(gathered)
                            gathered = []
                        self._add_solve_status(event, logs=False)
                        gathered += logs
                        continue
            if gathered:
                self._add_logs(gathered)
                gathered = []
            self.add(event)
        if gathered:
            self._add_logs(gathered)
        self.solve_statuses += log_only

    def add(self, event: Event) -> None:
        if isinstance(event, dict):
            if event.keys() <= SOLVE_STATUS_KEYS:
                self._add_solve_status(event)
            else:
                self.other_json += 1
                self._note(f"skipped a JSON object that is not a SolveStatus: {_preview(event)}")
        elif isinstance(event, TextLine):
            self._add_message(event.text)
        elif isinstance(event, Malformed):
            self._note(f"skipped {event.size} bytes of malformed JSON at byte {event.offset}")
        else:
            self.other_json += 1
            self._note(f"skipped a JSON value that is not a SolveStatus: {_preview(event)}")

    def _add_message(self, text: str) -> None:
        if not text.strip():
            return
        if len(self._messages) >= MAX_MESSAGES:
            self._dropped_messages += 1
            return
        self._messages.append(text[:MAX_MESSAGE_CHARS])

    def _note(self, text: str) -> None:
        if len(self._notes) < MAX_MESSAGES:
            self._notes.append(text)

    def _add_solve_status(self, status: dict[str, object], *, logs: bool = True) -> None:
        # Spelled out rather than a loop over (key, handler) pairs: this runs for every
        # event, and logs, most of the entries in a large stream, get their own loop.
        self.solve_statuses += 1
        vertexes = status.get("vertexes")
        if vertexes is not None:
            self._add_entries("vertexes", vertexes, self._add_vertex)
        statuses = status.get("statuses")
        if statuses is not None:
            self._add_entries("statuses", statuses, self._add_status)
        entries = status.get("logs") if logs else None
        if entries is not None:
            self._add_logs(entries)
        warnings = status.get("warnings")
        if warnings is not None:
            self._add_entries("warnings", warnings, self._add_warning)

    def _add_entries(
        self, key: str, entries: object, handler: Callable[[dict[str, object]], bool]
    ) -> None:
        if not isinstance(entries, list):
            self._note(f"skipped a SolveStatus whose {key!r} is not a list")
            return
        for entry in entries:
            if not isinstance(entry, dict) or not handler(entry):
                self._note(f"skipped a malformed entry of {key!r}: {_preview(entry)}")

    def _add_logs(self, entries: object) -> None:
        """Record ``VertexLog`` entries, most of a large stream."""
        if not isinstance(entries, list):
            self._note("skipped a SolveStatus whose 'logs' is not a list")
            return
        if len(entries) < BULK_LOG_ENTRIES or not self._add_logs_at_once(entries):
            self._add_logs_one_by_one(entries)

    def _add_logs_at_once(self, entries: list[object]) -> bool:
        """Record a list of well-formed log entries at once (:func:`plain_entries`);
        False, recording nothing, if one of them is not plain."""
        plain = plain_entries(entries, self._orders)
        if plain is None:
            return False
        if self._latest is None or plain.latest > self._latest:
            self._latest = plain.latest
        if not plain.all_known:
            for digest in plain.digests:
                self._state(digest)  # a vertex first named by its logs: in stream order
        orders = map(self._orders.__getitem__, plain.digests)
        self._logs.add(orders, plain.times, plain.streams, plain.data)
        return True

    def _add_logs_one_by_one(self, entries: list[object]) -> None:
        vertices = self._vertices
        table = self._logs
        for entry in entries:
            if isinstance(entry, dict):
                digest = entry.get("vertex")
                data = entry.get("data", "")
                if isinstance(digest, str) and isinstance(data, str):
                    # Log timestamps are nearly all distinct: parsed, not cached (_time).
                    stamp = entry.get("timestamp")
                    time = None
                    if stamp is not None:
                        try:
                            time = timestamp_microseconds(stamp)
                        except TimeProblem as problem:
                            self._skip_time(problem)
                        if time is not None and (self._latest is None or time > self._latest):
                            self._latest = time
                    if time is None:
                        time = self._latest or 0
                    stream = entry.get("stream", 1)
                    state = vertices.get(digest)
                    if state is None:
                        state = self._state(digest)
                    table.orders.append(state.order)
                    table.times.append(time)
                    table.streams.append(stream if isinstance(stream, int) else 1)
                    table.data.append(data)
                    continue
            self._note(f"skipped a malformed entry of 'logs': {_preview(entry)}")

    def _state(self, digest: str) -> _VertexState:
        state = self._vertices.get(digest)
        if state is None:
            order = self._orders[digest] = len(self._vertices)
            state = self._vertices[digest] = _VertexState(order=order)
        return state

    def _add_vertex(self, vertex: dict[str, object]) -> bool:
        digest = vertex.get("digest")
        name = vertex.get("name", "")
        inputs = vertex.get("inputs") or []
        if not isinstance(digest, str) or not isinstance(name, str):
            return False
        if not isinstance(inputs, list):
            return False
        # Strings, as nearly always, checked in C first.
        strings = not inputs or set(map(type, inputs)) == _STR
        if not strings and not all(isinstance(i, str) for i in inputs):
            return False
        # A vertex's times recur in each of its snapshots: the cache of _time looked
        # up here first, without a call.
        times = self._times
        started = vertex.get("started")
        if started is not None:
            seconds = times.get(started) if type(started) is str else None
            started = seconds if seconds is not None else self._time(started)
        completed = vertex.get("completed")
        if completed is not None:
            seconds = times.get(completed) if type(completed) is str else None
            completed = seconds if seconds is not None else self._time(completed)
        state = self._vertices.get(digest)
        if state is None:
            state = self._state(digest)
        if name and name not in state.names:
            state.names.append(name)
        if started is None and state.started is not None:
            # An unstarted snapshot never rolls a started vertex back (buildx's rule).
            return True
        if started is not None and completed is None and state.intervals.get(started) is not None:
            # Nor does a snapshot of a start already completed: it is stale (a build
            # record can store a vertex's "started" after its "completed").
            return True
        state.seen = True
        state.inputs = tuple(inputs)
        state.started = started
        state.completed = completed
        state.cached = vertex.get("cached") is True
        error = vertex.get("error")
        state.error = error if isinstance(error, str) and error else None
        group = vertex.get("progressGroup")
        if isinstance(group, dict) and isinstance(group.get("id"), str):
            state.progress_group = group["id"]
        if started is not None:
            if completed is not None or started not in state.intervals:
                state.intervals[started] = completed
        elif completed is not None and completed not in state.intervals:
            # Only the completion was ever sent (a synthesised cache hit): a point in time.
            state.intervals[completed] = completed
        return True

    def _add_status(self, status: dict[str, object]) -> bool:
        digest = status.get("vertex")
        status_id = status.get("id")
        if not isinstance(digest, str) or not isinstance(status_id, str):
            return False
        statuses = self._state(digest).statuses
        entry = statuses.get(status_id)
        if entry is None:
            # Not setdefault: it would make a _StatusState for every update too.
            entry = statuses[status_id] = _StatusState()
        name = status.get("name")
        entry.name = name if isinstance(name, str) and name else entry.name or status_id
        current = status.get("current")
        entry.current = current if isinstance(current, int) else entry.current
        total = status.get("total")
        entry.total = total if isinstance(total, int) and total else entry.total
        entry.started = self._time(status.get("started")) or entry.started
        entry.completed = self._time(status.get("completed")) or entry.completed
        self._time(status.get("timestamp"))
        return True

    def _add_warning(self, warning: dict[str, object]) -> bool:
        digest = warning.get("vertex")
        if not isinstance(digest, str):
            return False
        detail = warning.get("detail") or []
        level = warning.get("level", 0)
        url = warning.get("url")
        self._state(digest).warnings.append(
            StepWarning(
                level=level if isinstance(level, int) else 0,
                short=_decode_text(warning.get("short")),
                detail=tuple(_decode_text(d) for d in detail) if isinstance(detail, list) else (),
                url=url if isinstance(url, str) and url else None,
            )
        )
        return True

    def _time(self, value: object) -> int | None:
        """Microseconds since the epoch of an RFC 3339 timestamp; ``None`` if absent or
        not a usable timestamp (skipped, counted and noted: :mod:`profiler.validate`).

        Vertex and status times recur in every snapshot: they are cached.
        """
        if value is None:
            return None
        seconds = self._times.get(value) if isinstance(value, str) else None
        if seconds is not None:
            # Counted in _latest when cached, and _latest never goes back.
            return seconds
        try:
            seconds = timestamp_microseconds(value)
        except TimeProblem as problem:
            self._skip_time(problem)
            return None
        if seconds is None:
            return None
        if isinstance(value, str):
            self._times[value] = seconds
        if self._latest is None or seconds > self._latest:
            self._latest = seconds
        return seconds

    def _skip_time(self, problem: TimeProblem) -> None:
        self.skipped_times += 1
        if self.skipped_times <= MAX_TIME_NOTES:
            self._note(f"skipped {problem}")

    # -- freezing -----------------------------------------------------------------

    def build(self, *, truncated: bool = False, require_steps: bool = True) -> Build:
        """Freeze the events so far into a Build.

        With ``require_steps`` (reading a finished stream), a stream without a single
        vertex is an error: it was not BuildKit output, or it was cut before anything
        happened.
        """
        seen = [state for state in self._vertices.values() if state.seen]
        if require_steps and not seen:
            raise StreamError(
                _why_no_steps(self.solve_statuses, self.other_json, self._messages, truncated)
            )
        starts = [start for state in seen for start in state.intervals]
        latest = self._latest if self._latest is not None else 0
        origin = min(starts) if starts else latest
        stream_end = (max(latest, origin) - origin) / 1e6
        # A build that stopped on an error skips the steps it had not started yet: they
        # were cancelled, not left running. Only a cut-off stream leaves them unknown.
        stopped = not truncated and (
            any(state.error for state in seen)
            or any(message.startswith("ERROR") for message in self._messages)
        )
        logs = self._logs.frozen(origin)
        # In the order the stream first named them: _state adds a vertex with the
        # next order, and none is ever removed.
        steps = tuple(
            [
                _freeze(digest, state, origin, stream_end, stopped, logs)
                for digest, state in self._vertices.items()
                if state.seen
            ]
        )
        notes = list(self._notes)
        orphans = len(self._vertices) - len(seen)
        if orphans:
            notes.append(
                f"ignored logs or statuses of {orphans} vertices the stream never described"
            )
        if self._dropped_messages:
            notes.append(
                f"kept the first {MAX_MESSAGES} text lines, dropped {self._dropped_messages}"
            )
        if truncated:
            notes.append("the stream ends inside an event: the build or its capture was cut off")
        return Build(
            steps=steps,
            started_at=_EPOCH + origin * _MICROSECOND if starts else None,
            messages=tuple(self._messages),
            notes=tuple(notes),
            truncated=truncated,
            stream_end=stream_end,
            skipped_times=self.skipped_times,
        )


def _freeze(
    digest: str,
    state: _VertexState,
    origin: int,
    stream_end: float,
    stopped: bool,
    logs: FrozenLogs,
) -> Step:
    # Run for every vertex of the stream (5,000 in the benchmark's): written for
    # speed, with the model's fast constructors (profiler.fastinit). Times are
    # microseconds from the origin over 1e6, as everywhere in the Build.
    completed = state.completed
    times = state.intervals
    end_time = None
    if len(times) == 1 and completed is not None:
        ((start_time, end_time),) = times.items()
    if end_time is not None:
        # Nearly every step: started once and completed; the general case below
        # would make the same Interval, end and duration.
        first = (start_time - origin) / 1e6
        last = (end_time - origin) / 1e6
        intervals: tuple[Interval, ...] = (_new_interval(first, last),)
        end: float | None = last
        duration = last - first if last > first else 0.0
    else:
        intervals, end, duration = _timing(state, origin, stream_end)
    names = state.names
    name = names[0] if names else digest
    statuses = state.statuses
    return _new_step(
        digest,
        name,
        tuple(names) or (name,),
        parse_name(name),
        state.inputs,
        intervals,
        intervals[0].start if intervals else None,
        end,
        duration,
        state.cached,
        state.error,
        _status(state, stopped),
        state.progress_group,
        # Logs made on first read; passed to the constructor, which stores it in the
        # same slot as defer_logs would.
        StepLogs(logs, state.order),
        tuple(state.warnings),
        tuple(
            [
                _new_sub_status(
                    status_id,
                    entry.name,
                    entry.current,
                    entry.total,
                    None if entry.started is None else (entry.started - origin) / 1e6,
                    None if entry.completed is None else (entry.completed - origin) / 1e6,
                )
                for status_id, entry in statuses.items()
            ]
        )
        if statuses
        else (),
    )


def _timing(
    state: _VertexState, origin: int, stream_end: float
) -> tuple[tuple[Interval, ...], float | None, float]:
    """A step's intervals, end and duration (the union of its intervals)."""
    completed = state.completed
    # An interval left open closes when the step completed, if it did: a finished
    # step did not run on until the stream ended (a killed build's FROM would
    # otherwise last the whole build).
    close_at = stream_end if completed is None else (completed - origin) / 1e6
    intervals = []
    closed = []
    ends = []
    for start_time, end_time in sorted(state.intervals.items()):
        start = (start_time - origin) / 1e6
        if end_time is None:
            intervals.append(_new_interval(start, None))
            closed.append((start, max(close_at, start)))
        else:
            end_seconds = (end_time - origin) / 1e6
            intervals.append(_new_interval(start, end_seconds))
            closed.append((start, end_seconds))
            ends.append(end_seconds)
    if completed is None and intervals:
        end: float | None = stream_end
    else:
        end = max(ends) if ends else None
    if len(closed) == 1:
        # union_length of one interval, without its sort and merge
        ((first, last),) = closed
        duration = last - first if last > first else 0.0
    else:
        duration = union_length(closed)
    return tuple(intervals), end, duration


_new_step = fast_constructor(Step)
_new_interval = fast_constructor(Interval)
_new_sub_status = fast_constructor(SubStatus)


def _status(state: _VertexState, stopped: bool) -> StepStatus:
    if state.error is not None:
        if state.error.rstrip().endswith(CANCELLED_SUFFIX) or state.error.strip() == "canceled":
            return StepStatus.CANCELLED
        return StepStatus.FAILED
    if state.completed is None:
        never_started = not state.intervals
        return StepStatus.CANCELLED if stopped and never_started else StepStatus.UNFINISHED
    return StepStatus.CACHED if state.cached else StepStatus.DONE


def _why_no_steps(
    solve_statuses: int, other_json: int, messages: list[str], truncated: bool
) -> str:
    if truncated and not solve_statuses:
        return "the stream ends inside its first event: nothing to analyse"
    if solve_statuses:
        return "the stream has progress events but no build steps: nothing to analyse"
    if other_json:
        return (
            f"the input holds {other_json} JSON values but no BuildKit SolveStatus "
            "(expected objects with vertexes/statuses/logs/warnings from --progress=rawjson)"
        )
    if not messages:
        return "empty input: expected the output of a build with --progress=rawjson"
    errors = [m for m in messages if m.startswith("ERROR")]
    hint = f" (it says: {errors[0][:200]})" if errors else ""
    return (
        "no BuildKit rawjson events found: expected the output of "
        f"`docker buildx build --progress=rawjson`{hint}"
    )


def _decode_text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return binascii.a2b_base64(value).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
