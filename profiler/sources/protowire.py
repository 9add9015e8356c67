"""A minimal protobuf wire-format reader: enough to decode BuildKit's status records.

A message is a sequence of fields, each a key varint ``(number << 3) | wire_type``
followed by its value: a varint (type 0), 8 bytes (1), a length-prefixed byte
string (2: strings, bytes, embedded messages, packed repeats) or 4 bytes (5).
:func:`fields` yields ``(number, value)`` with varints as ints and everything else
as bytes; the caller knows from its ``.proto`` which numbers are which. Groups
(types 3 and 4) are long deprecated and BuildKit never writes them: rejected.
"""

from __future__ import annotations

from collections.abc import Iterator

from profiler.errors import StreamError


class WireError(StreamError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """The varint at ``offset`` and the offset just after it."""
    value = 0
    shift = 0
    while True:
        if offset >= len(data):
            raise WireError("protobuf message ends inside a varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            raise WireError("protobuf varint longer than 10 bytes")


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Each field of one message, in the order written."""
    offset = 0
    end = len(data)
    while offset < end:
        key, offset = read_varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, offset = read_varint(data, offset)
            yield number, value
            continue
        if wire_type == 2:
            size, offset = read_varint(data, offset)
        elif wire_type == 1:
            size = 8
        elif wire_type == 5:
            size = 4
        else:
            raise WireError(f"unsupported protobuf wire type {wire_type} (field {number})")
        if offset + size > end:
            raise WireError(f"protobuf field {number} runs past the end of its message")
        yield number, data[offset : offset + size]
        offset += size


def signed(value: int) -> int:
    """An int64 field read as a varint: negative numbers arrive as 64-bit two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value
