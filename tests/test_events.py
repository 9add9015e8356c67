from __future__ import annotations

import json

import pytest

from profiler.errors import StreamError
from profiler.events import (
    JOIN_BYTES,
    MAX_PENDING_BYTES,
    Malformed,
    StreamDecoder,
    TextLine,
)
from tests.streams import parallel_build


def decode_in_chunks(data: bytes, size: int) -> tuple[list[object], bool]:
    decoder = StreamDecoder()
    events: list[object] = []
    for offset in range(0, len(data), size):
        events += decoder.feed(data[offset : offset + size])
    events += decoder.close()
    return events, decoder.truncated


@pytest.mark.parametrize("layout", ["indented", "one_line"])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_both_layouts_decode_to_the_same_events_whatever_the_chunking(
    layout: str, chunk: int
) -> None:
    stream = parallel_build().text("ERROR: failed to solve: exit code 1")
    expected = stream.events
    events, truncated = decode_in_chunks(getattr(stream, layout)(), chunk)
    decoded = [e.text if isinstance(e, TextLine) else e for e in events]
    assert decoded == expected
    assert not truncated


def test_truncated_last_object_is_flagged_and_the_rest_kept() -> None:
    data = parallel_build().indented()
    cut = data[: data.rindex(b'"completed"')]
    events, truncated = decode_in_chunks(cut, 4096)
    assert truncated
    assert all(isinstance(e, dict) for e in events)
    assert len(events) == len(parallel_build().events) - 1


def test_truncated_one_line_object_is_flagged() -> None:
    data = parallel_build().one_line()
    events, truncated = decode_in_chunks(data[:-20], 4096)
    assert truncated
    assert len(events) == len(parallel_build().events) - 1


@pytest.mark.parametrize("after_the_cut", [b"\n", b"\r\n", b"\n\n  \n"])
def test_one_line_object_cut_then_a_newline_is_flagged_too(after_the_cut: bytes) -> None:
    # A capture killed mid-line often leaves a newline (or a terminal's blank lines)
    # after the cut: still truncated, as the indented layout is, whatever the chunking.
    data = parallel_build().one_line()[:-20] + after_the_cut
    for size in (7, 4096, len(data)):
        events, truncated = decode_in_chunks(data, size)
        assert truncated
        assert len(events) == len(parallel_build().events) - 1
        assert all(isinstance(event, dict) for event in events)


def test_object_cut_off_mid_stream_is_skipped_and_what_follows_is_kept() -> None:
    first = json.dumps({"vertexes": [{"digest": "a", "name": "x"}]}, indent=2)
    second = json.dumps({"vertexes": [{"digest": "b", "name": "y"}]}, indent=2)
    data = (first[:25] + "\nERROR: killed\n" + second + "\n").encode()
    events, truncated = decode_in_chunks(data, 10)
    assert not truncated
    assert isinstance(events[0], Malformed)
    assert events[1] == TextLine("ERROR: killed")
    assert events[2] == json.loads(second)


def test_text_lines_and_crlf() -> None:
    data = b'WARNING: something\r\n{"logs":[]}\r\n\r\n'
    events, _ = decode_in_chunks(data, 3)
    assert events == [TextLine("WARNING: something"), {"logs": []}]


def test_invalid_utf8_text_is_replaced_not_fatal() -> None:
    events, _ = decode_in_chunks(b"\xff\xfe garbage\n", 5)
    assert events == [TextLine("\ufffd\ufffd garbage")]


def test_a_huge_line_without_end_is_refused() -> None:
    decoder = StreamDecoder()
    chunk = b"x" * (16 * 1024 * 1024)
    with pytest.raises(StreamError, match="not a BuildKit rawjson stream"):
        for _ in range(MAX_PENDING_BYTES // len(chunk) + 2):
            decoder.feed(chunk)


def mixed_stream(layout: str) -> bytes:
    """A few events of every kind (objects, text, a broken object), then enough small
    objects that what follows any cut in the first part is a chunk over JOIN_BYTES."""
    head = parallel_build().text("WARNING: something")
    data = getattr(head, layout)() + b'{\n  "vertexes": [\nERROR: killed\n'
    filler = parallel_build()
    while len(getattr(filler, layout)()) < JOIN_BYTES + 1000:
        filler.log("sha256:slow", "x" * 500, 3.0)
    return data + getattr(filler, layout)()


@pytest.mark.parametrize("layout", ["indented", "one_line"])
def test_a_large_chunk_after_a_cut_at_any_position_gives_the_same_events(layout: str) -> None:
    # A cut inside an object leaves it pending; the next chunk, larger than
    # JOIN_BYTES, finishes it from its head and is then scanned in place.
    data = mixed_stream(layout)
    whole, _ = decode_in_chunks(data, len(data))
    assert any(isinstance(event, Malformed) for event in whole)
    first_part = data.index(b"ERROR: killed") + 40
    assert len(data) - first_part > JOIN_BYTES
    for cut in range(first_part):
        decoder = StreamDecoder()
        events = decoder.feed(data[:cut]) + decoder.feed(data[cut:]) + decoder.close()
        assert events == whole, cut


@pytest.mark.parametrize("layout", ["indented", "one_line"])
@pytest.mark.parametrize("chunk", [JOIN_BYTES + 1, 100_000, 3 * JOIN_BYTES])
def test_objects_longer_than_the_joined_head_still_decode(layout: str, chunk: int) -> None:
    big = "y" * (5 * JOIN_BYTES)
    stream = (
        parallel_build().log("sha256:slow", big, 3.0).text("after").log("sha256:fast", big, 2.0)
    )
    stream.text("{ broken").events += parallel_build().events
    events, truncated = decode_in_chunks(getattr(stream, layout)(), chunk)
    assert [e.text if isinstance(e, TextLine) else e for e in events] == stream.events
    assert not truncated


@pytest.mark.parametrize("chunk", [JOIN_BYTES + 1, 100_000])
def test_malformed_offsets_count_from_the_start_of_the_stream(chunk: int) -> None:
    data = mixed_stream("indented") * 4  # broken objects far into large chunks
    events, _ = decode_in_chunks(data, chunk)
    broken = b'{\n  "vertexes": [\nERROR'
    expected = [at for at in range(len(data)) if data.startswith(broken, at)]
    assert len(expected) == 4
    assert [e.offset for e in events if isinstance(e, Malformed)] == expected
