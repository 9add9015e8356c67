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

from collections.abc import Container, Iterable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple, cast

from profiler.fastinit import fast_constructor
from profiler.model import DeferredLogs, LogChunk
from profiler.validate import EARLIEST, LATEST

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_VERTEX, _TIMESTAMP, _STREAM, _DATA = map(itemgetter, ("vertex", "timestamp", "stream", "data"))


class PlainEntries(NamedTuple):
    """The columns of a list of plain log entries (:func:`plain_entries`)."""

    digests: list[str]
    times: list[datetime]
    """Aware datetimes; turned into microseconds only when a step's logs are read."""
    streams: list[int]
    data: list[str]
    latest: int
    """The latest of the times, in microseconds since the epoch."""
    all_known: bool
    """Whether every vertex is one of ``known`` (:func:`plain_entries`)."""


def plain_entries(entries: list[object], known: Container[str]) -> PlainEntries | None:
    """Vertices, times, streams and data of a list of log entries, if every one is
    plain; ``None`` if any is not.

    Plain: a dict with a string vertex and data, an int stream and a timezone-aware
    RFC 3339 timestamp of a plausible date, as BuildKit writes them. Each check runs
    over the whole list in C (``map``, ``set``, ``min``), with no Python loop over
    the entries. The times are kept as the parsed datetimes: turning 68,000 of them
    into integer microseconds (a ``timedelta`` subtraction and floor division each)
    was a third of the cost of a log entry at read time, and only the logs read need
    it (:func:`microseconds`). Any other entry (a missing key, Go's zero time, a text
    that is not a timestamp) is for the caller's entry-by-entry path, which decides
    each case. ``known``: vertex digests already seen, whose type needs no check.
    """
    if set(map(type, entries)) != {dict}:
        return None
    rows = cast("list[dict[str, object]]", entries)
    try:
        digests = list(map(_VERTEX, rows))
        stamps = list(map(_TIMESTAMP, rows))
        streams = list(map(_STREAM, rows))
        data = list(map(_DATA, rows))
        distinct = set(digests)
        all_known = all(map(known.__contains__, distinct))
        if not (
            (all_known or set(map(type, distinct)) == {str})
            and set(map(type, streams)) == {int}
            and set(map(type, data)) == {str}
        ):
            return None
        # fromisoformat refuses what is not a str; comparing a naive time with an
        # aware one (EARLIEST) raises TypeError.
        times = list(map(datetime.fromisoformat, stamps))
        latest = max(times)
        if min(times) < EARLIEST or latest >= LATEST:
            return None  # Go's zero time (year 1) or an implausible date
    except (KeyError, ValueError, TypeError):
        # A missing key, an unhashable vertex, a text that is not a timestamp, one
        # without a timezone.
        return None
    return PlainEntries(
        cast("list[str]", digests),
        times,
        cast("list[int]", streams),
        cast("list[str]", data),
        (latest - _EPOCH) // _MICROSECOND,
        all_known,
    )


def microseconds(time: int | datetime) -> int:
    """A log table time in microseconds since the epoch (:attr:`LogTable.times`)."""
    if isinstance(time, int):
        return time
    return (time - _EPOCH) // _MICROSECOND


class LogTable:
    """Every log entry of the stream, in stream order, as four parallel lists.

    Kept this way until a step's logs are read: no object per entry but its time and
    text (which any form keeps), and nothing for the cycle collector to scan.
    """

    __slots__ = ("data", "orders", "streams", "times")

    def __init__(self) -> None:
        self.orders: list[int] = []
        """The entry's vertex, as the order the recorder first saw it in."""
        self.times: list[int | datetime] = []
        """Microseconds since the epoch, or an aware datetime (:func:`microseconds`)."""
        self.streams: list[int] = []
        self.data: list[str] = []

    def add(
        self,
        orders: Iterable[int],
        times: Iterable[int | datetime],
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
            [
                (microseconds(times[position]), streams[position], data[position])
                for position in positions
            ],
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
    # One LogChunk per entry of the steps read: the frozen dataclass's own __init__
    # would take twice as long as the rest (profiler.fastinit).
    new = _new_log_chunk
    return tuple([new((time - origin) / 1e6, stream, data) for time, stream, data in logs])


_new_log_chunk = fast_constructor(LogChunk)
