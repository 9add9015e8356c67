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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from profiler.errors import StreamError

MAX_PENDING_BYTES = 256 * 1024 * 1024
"""A single event larger than this is not a BuildKit event: refuse rather than buffer."""

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
        self._pending = self._pending + data if self._pending else data
        events, consumed = self._scan(final=False)
        self._consume(consumed)
        if len(self._pending) > MAX_PENDING_BYTES:
            raise StreamError(
                f"no complete event in {len(self._pending) // (1024 * 1024)} MiB of input "
                f"at byte {self._offset}: not a BuildKit rawjson stream"
            )
        return events

    def close(self) -> list[Event]:
        """End of stream: return what is left, flagging a cut-off last object."""
        events, consumed = self._scan(final=True)
        self._consume(consumed)
        return events

    def _consume(self, consumed: int) -> None:
        self._offset += consumed
        self._pending = self._pending[consumed:]

    def _scan(self, final: bool) -> tuple[list[Event], int]:
        buffer = self._pending
        size = len(buffer)
        events: list[Event] = []
        position = 0
        while position < size:
            first = buffer[position]
            if first in b" \t\r\n":
                position += 1
                continue
            if first == 0x7B and buffer.startswith((b"{\n", b"{\r\n"), position):
                next_position = self._indented_object(buffer, position, final, events)
            else:
                next_position = self._line(buffer, position, final, events)
            if next_position is None:
                break
            position = next_position
        return events, position

    def _indented_object(
        self, buffer: bytes, start: int, final: bool, events: list[Event]
    ) -> int | None:
        end = _closing_brace(buffer, start, final)
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
                if final and newline == len(buffer) and line[:1] == b"{":
                    self.truncated = True
                    return newline
        events.append(TextLine(line.decode("utf-8", errors="replace")))
        return newline + 1


def _closing_brace(buffer: bytes, start: int, final: bool) -> int | None:
    """Index just past the ``}`` line closing the object opened at ``start``."""
    search_from = start
    while True:
        found = buffer.find(b"\n}", search_from)
        if found == -1:
            return None
        after = found + 2
        if after < len(buffer):
            if buffer[after] in b"\r\n":
                return after
            # "\n}," or similar: not the top-level close of an indented object.
            search_from = after
            continue
        return after if final else None
