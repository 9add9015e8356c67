"""The log entries of a rawjson stream, kept compact until a step's logs are read.

A large build's stream is mostly log entries (83% of the 110 MiB benchmark stream's
bytes, 68,000 entries), and most are never read: the analysis reads none, a report
the failed step's. So the merge (:mod:`profiler.merge`) checks and records them a
whole list at a time where it can (:func:`plain_entries`), keeps them in four
parallel lists (:class:`LogTable`), and each Step's ``logs`` is made from them on
first read (:class:`StepLogs`, a :class:`~profiler.model.DeferredLogs`). Figures in
benchmarks/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import floordiv, itemgetter, sub
from typing import Any, cast

from profiler.model import DeferredLogs, LogChunk
from profiler.validate import EARLIEST, LATEST

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EARLIEST_US = (EARLIEST - _EPOCH) // _MICROSECOND
_LATEST_US = (LATEST - _EPOCH) // _MICROSECOND
_VERTEX, _TIMESTAMP, _STREAM, _DATA = map(itemgetter, ("vertex", "timestamp", "stream", "data"))


def plain_entries(
    entries: list[object],
) -> tuple[list[str], list[int], list[int], list[str]] | None:
    """Vertices, times (microseconds since the epoch), streams and data of a list of
    log entries, if every one is plain; ``None`` if any is not.

    Plain: a dict with a string vertex and data, an int stream and a timezone-aware
    RFC 3339 timestamp of a plausible date, as BuildKit writes them. Each check runs
    over the whole list in C (``map``, ``set``), with no Python loop over the entries;
    the times are those :func:`~profiler.validate.timestamp_microseconds` gives. Any
    other entry (a missing key, Go's zero time, a text that is not a timestamp) is
    for the caller's entry-by-entry path, which decides each case.
    """
    if set(map(type, entries)) != {dict}:
        return None
    rows = cast("list[dict[str, object]]", entries)
    try:
        digests = list(map(_VERTEX, rows))
        stamps = list(map(_TIMESTAMP, rows))
        streams = list(map(_STREAM, rows))
        data = list(map(_DATA, rows))
        if not (
            set(map(type, digests)) == {str}
            and set(map(type, stamps)) == {str}
            and set(map(type, streams)) == {int}
            and set(map(type, data)) == {str}
        ):
            return None
        parsed = map(datetime.fromisoformat, stamps)
        times = list(map(floordiv, map(sub, parsed, repeat(_EPOCH)), repeat(_MICROSECOND)))
    except (KeyError, ValueError, TypeError):
        # A missing key, a text that is not a timestamp, one without a timezone.
        return None
    if min(times) < _EARLIEST_US or max(times) >= _LATEST_US:
        return None  # Go's zero time (year 1) or an implausible date
    return (
        cast("list[str]", digests),
        times,
        cast("list[int]", streams),
        cast("list[str]", data),
    )


class LogTable:
    """Every log entry of the stream, in stream order, as four parallel lists.

    Kept this way until a step's logs are read: no object per entry but its time and
    text (which any form keeps), and nothing for the cycle collector to scan.
    """

    __slots__ = ("data", "orders", "streams", "times")

    def __init__(self) -> None:
        self.orders: list[int] = []
        """The entry's vertex, as the order the recorder first saw it in."""
        self.times: list[int] = []
        """Microseconds since the epoch."""
        self.streams: list[int] = []
        self.data: list[str] = []

    def add(
        self,
        orders: Iterable[int],
        times: Iterable[int],
        streams: Iterable[int],
        data: Iterable[str],
    ) -> None:
        self.orders += orders
        self.times += times
        self.streams += streams
        self.data += data

    def frozen(self, origin: int) -> FrozenLogs:
        return FrozenLogs(self, len(self.orders), origin)


class FrozenLogs:
    """The log table as one :meth:`~profiler.merge.BuildRecorder.build` saw it: its
    first ``count`` entries (a live recorder goes on adding), grouped by vertex on the
    first read of any step's logs."""

    def __init__(self, table: LogTable, count: int, origin: int) -> None:
        self._table = table
        self._count = count
        self._origin = origin
        self._by_vertex: dict[int, list[int]] | None = None

    def chunks(self, order: int) -> tuple[LogChunk, ...]:
        by_vertex = self._by_vertex
        if by_vertex is None:
            by_vertex = {}
            orders = self._table.orders
            for position in range(self._count):
                entries = by_vertex.get(orders[position])
                if entries is None:
                    by_vertex[orders[position]] = [position]
                else:
                    entries.append(position)
            self._by_vertex = by_vertex
        positions = by_vertex.get(order)
        if not positions:
            return ()
        table = self._table
        times, streams, data = table.times, table.streams, table.data
        return _log_chunks(
            [(times[position], streams[position], data[position]) for position in positions],
            self._origin,
        )


class StepLogs(DeferredLogs):
    __slots__ = ("_logs", "_order")

    def __init__(self, logs: FrozenLogs, order: int) -> None:
        self._logs = logs
        self._order = order

    def make(self) -> tuple[LogChunk, ...]:
        return self._logs.chunks(self._order)


def _log_chunks(logs: list[tuple[int, int, str]], origin: int) -> tuple[LogChunk, ...]:
    if _SLOT_SETTERS is None:
        return tuple([LogChunk((time - origin) / 1e6, stream, data) for time, stream, data in logs])
    # LogChunk is a frozen dataclass: its __init__ sets each field through
    # object.__setattr__, which makes building the chunks the largest single cost of
    # freezing a log-heavy build (one per log entry: 70,000 in the 110 MB benchmark).
    # Filling the three slots directly makes the same objects in half the time.
    set_time, set_stream, set_encoded = _SLOT_SETTERS
    new = object.__new__
    chunks = []
    for time, stream, data in logs:
        chunk = new(LogChunk)
        set_time(chunk, (time - origin) / 1e6)
        set_stream(chunk, stream)
        set_encoded(chunk, data)
        chunks.append(chunk)
    return tuple(chunks)


_SlotSetter = Callable[[LogChunk, Any], None]


def _slot_setters() -> tuple[_SlotSetter, _SlotSetter, _SlotSetter] | None:
    """Setters of LogChunk's slots, if it is still the plain three-field dataclass.

    Checked once, against the real constructor, so that a change to LogChunk (a new
    field, a __post_init__) falls back to calling it rather than making broken chunks.
    """
    names = ("time", "stream", "encoded")
    if (
        tuple(f.name for f in fields(LogChunk)) != names
        or tuple(getattr(LogChunk, "__slots__", ())) != names
        or hasattr(LogChunk, "__post_init__")
        or LogChunk.__new__ is not object.__new__
    ):
        return None
    set_time, set_stream, set_encoded = (vars(LogChunk)[name].__set__ for name in names)
    probe = object.__new__(LogChunk)
    set_time(probe, 1.5)
    set_stream(probe, 2)
    set_encoded(probe, "aGk=")
    expected = LogChunk(1.5, 2, "aGk=")
    if probe != expected or repr(probe) != repr(expected):
        return None
    return set_time, set_stream, set_encoded


_SLOT_SETTERS = _slot_setters()
