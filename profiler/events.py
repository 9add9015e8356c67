"""Split a BuildKit ``rawjson`` progress stream into events, incrementally.

The stream is what ``docker buildx build --progress=rawjson`` writes to stderr: JSON
``SolveStatus`` objects, either indented over many lines (buildx ≤ 0.14, Go's
``MarshalIndent``) or one object per line (buildx ≥ 0.15), mixed with plain text lines
such as ``ERROR: failed to solve: …``.

:class:`StreamDecoder` is fed bytes as they arrive (a file read in chunks, a pipe
from a running build) and returns what became complete. It never holds more than
the one object in progress, so a stream far larger than memory can be read.

Object boundaries are found with ``bytes.find`` rather than a byte-by-byte scanner:
in the indented layout a top-level object starts with a line ``{`` and ends with a
line ``}``: every line inside it is indented, and JSON strings cannot hold a raw
newline, so ``\\n}`` can only be the closing brace. In the one-line layout an object
is a line. That keeps the cost of splitting far below the cost of decoding.

The closing brace is searched as the single byte ``}`` (``memchr``, many GB/s) and
then checked for a newline on either side, not as the pattern ``\\n}``: CPython's
multi-byte search advances a few bytes at a time, and in a stream made mostly of
long base64 log lines that cost as much as decoding the JSON. ``}`` is rare (once
per JSON object: every few hundred bytes or more), so the extra checks are cheap.
Figures in benchmarks/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from profiler.errors import StreamError

MAX_PENDING_BYTES = 256 * 1024 * 1024
"""A single event larger than this is not a BuildKit event: refuse rather than buffer."""

JOIN_BYTES = 64 * 1024
"""Of a chunk fed while an object is in progress, the bytes first joined to it to
finish it (the rest is scanned in place); an object going on beyond is joined whole."""

_NEWLINE_AT_COLUMN_ZERO = re.compile(rb"\n[^\s}]")


@dataclass(frozen=True, slots=True)
class TextLine:
    """A line of the stream that is not JSON (errors, warnings printed by the CLI)."""

    text: str


@dataclass(frozen=True, slots=True)
class Malformed:
    """A stretch of the stream that looked like JSON but did not decode."""

    offset: int
    size: int
    reason: str


Event = object
"""A decoded JSON value (normally a SolveStatus dict), a :class:`TextLine` or a
:class:`Malformed` stretch: whatever JSON says, so consumers check before they trust."""


class StreamDecoder:
    """Incremental splitter and decoder of a rawjson stream (both layouts)."""

    def __init__(self) -> None:
        self._pending = b""
        self._offset = 0  # stream offset of self._pending[0], for messages
        self.truncated = False
        """True once :meth:`close` found an object cut off by the end of the stream."""

    def feed(self, data: bytes) -> list[Event]:
        """Add bytes to the stream; return the events they completed."""
        pending = self._pending
        if not pending:
            events, consumed = self._scan(data, 0, final=False)
            self._keep(data, consumed)
        elif len(data) <= JOIN_BYTES:
            joined = pending + data
            events, consumed = self._scan(joined, 0, final=False)
            self._keep(joined, consumed)
        else:
            events = self._feed_large(pending, data)
        if len(self._pending) > MAX_PENDING_BYTES:
            raise StreamError(
                f"no complete event in {len(self._pending) // (1024 * 1024)} MiB of input "
                f"at byte {self._offset}: not a BuildKit rawjson stream"
            )
        return events

    def _feed_large(self, pending: bytes, data: bytes) -> list[Event]:
        """Finish the object in progress on the head of ``data``, then scan ``data``
        in place: joining a whole large chunk to the pending bytes copied it (fresh
        memory, a page fault every 4 KiB) for the sake of one object's tail."""
        head = pending + data[:JOIN_BYTES]
        events, consumed = self._scan(head, 0, final=False)
        if consumed < len(pending):
            # An object longer than the head: join the whole chunk after all, and
            # start over (the head's events are found again, in the same order).
            joined = pending + data
            events, consumed = self._scan(joined, 0, final=False)
            self._keep(joined, consumed)
            return events
        # What the head completed is what the whole would have: an object or line is
        # complete only once its closing "}" line or newline is in, with the byte
        # after it, and nothing found complete depends on the bytes after that.
        self._offset += len(pending)
        more, consumed = self._scan(data, consumed - len(pending), final=False)
        self._keep(data, consumed)
        return events + more if events else more

    def close(self) -> list[Event]:
        """End of stream: return what is left, flagging a cut-off last object."""
        events, consumed = self._scan(self._pending, 0, final=True)
        self._keep(self._pending, consumed)
        return events

    def _keep(self, buffer: bytes, consumed: int) -> None:
        """``buffer`` (at ``self._offset`` in the stream) was scanned up to ``consumed``:
        keep the rest, an object or line in progress, for the next bytes."""
        self._offset += consumed
        self._pending = buffer[consumed:]

    def _scan(self, buffer: bytes, position: int, final: bool) -> tuple[list[Event], int]:
        """Events complete in ``buffer`` from ``position``, and where the scan stopped."""
        size = len(buffer)
        events: list[Event] = []
        append = events.append
        loads = orjson.loads
        find = buffer.find
        view = memoryview(buffer)  # slices of it are decoded without a copy
        while position < size:
            first = buffer[position]
            if first in b" \t\r\n":
                position += 1
                continue
            # The common cases inline: one complete object that decodes, in either
            # layout. Anything else (text, broken or cut-off JSON) takes the careful
            # path below, which starts over from ``position``.
            if first == 0x7B and buffer.startswith((b"{\n", b"{\r\n"), position):
                end = _closing_brace(buffer, position, final)
                if end is not None:
                    try:
                        append(loads(view[position:end]))
                        position = end
                        continue
                    except orjson.JSONDecodeError:
                        pass
                next_position = self._indented_object(buffer, position, end, final, events)
            else:
                if first == 0x7B:
                    newline = find(b"\n", position)
                    if newline != -1:
                        try:
                            # A trailing "\r" is JSON whitespace: same value as stripped.
                            append(loads(view[position:newline]))
                            position = newline + 1
                            continue
                        except orjson.JSONDecodeError:
                            pass
                next_position = self._line(buffer, position, final, events)
            if next_position is None:
                break
            position = next_position
        return events, position

    def _indented_object(
        self, buffer: bytes, start: int, end: int | None, final: bool, events: list[Event]
    ) -> int | None:
        """An indented object that is incomplete or does not decode; ``end`` as found."""
        if end is None:
            if not final:
                return None
            end = len(buffer)
        chunk = buffer[start:end]
        try:
            events.append(orjson.loads(chunk))
            return end
        except orjson.JSONDecodeError:
            pass
        # The object is broken. If a line at column zero interrupts it (text the CLI
        # printed after the build was killed mid-object, or the next object), keep
        # what follows and drop only the broken part.
        interruption = _NEWLINE_AT_COLUMN_ZERO.search(buffer, start, end)
        if interruption is not None:
            cut = interruption.start() + 1
            events.append(Malformed(self._offset + start, cut - start, "object cut off"))
            return cut
        if end == len(buffer) and final:
            self.truncated = True
            return end
        events.append(Malformed(self._offset + start, end - start, "invalid JSON"))
        return end

    def _line(self, buffer: bytes, start: int, final: bool, events: list[Event]) -> int | None:
        newline = buffer.find(b"\n", start)
        if newline == -1:
            if not final:
                return None
            newline = len(buffer)
        line = buffer[start:newline].rstrip(b"\r")
        if line[:1] in (b"{", b"["):
            try:
                events.append(orjson.loads(line))
                return newline + 1
            except orjson.JSONDecodeError:
                # An object cut off by the end of the stream, even if a newline (or
                # blank lines) followed the cut: truncated, as in the indented layout.
                if line[:1] == b"{" and not buffer[newline:].strip():
                    if not final:
                        return None  # more may come: decide when the stream ends
                    self.truncated = True
                    return len(buffer)
        events.append(TextLine(line.decode("utf-8", errors="replace")))
        return newline + 1


def _closing_brace(buffer: bytes, start: int, final: bool) -> int | None:
    """Index just past the ``}`` line closing the object opened at ``start``.

    That is the first ``\\n}`` after ``start`` followed by ``\\r`` or ``\\n`` (or by the end
    of a final buffer). ``buffer[start]`` is ``{``, so a ``}`` preceded by a newline
    is at ``start + 2`` at the earliest.
    """
    find = buffer.find
    size = len(buffer)
    brace = find(b"}", start + 2)
    while brace != -1:
        if buffer[brace - 1] == 0x0A:
            after = brace + 1
            if after == size:
                return after if final else None
            if buffer[after] in b"\r\n":
                return after
            # "\n}," or similar: not the top-level close of an indented object.
        brace = find(b"}", brace + 1)
    return None
