"""Read a whole rawjson stream (file, gzip file, or stdin) into a Build."""

from __future__ import annotations

import gc
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from profiler.errors import InputError, StreamError
from profiler.events import StreamDecoder
from profiler.merge import BuildRecorder
from profiler.model import Build
from profiler.plain import looks_like_plain, read_plain_chunks

CHUNK_SIZE = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def read_build(
    source: str | Path | BinaryIO,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> Build:
    """Read a rawjson stream into a Build.

    ``source`` is a path, ``"-"`` for standard input, or a binary file object. Gzip
    input is recognised by its magic bytes, whatever the file is called.
    ``on_progress`` is called with the number of bytes read after each chunk.
    """
    decoder = StreamDecoder()
    recorder = BuildRecorder()
    chunks = _chunks(source)
    head = next(chunks, b"")
    if looks_like_plain(head):  # --progress=plain output (a CI log): approximate
        return read_plain_chunks(chain((head,), chunks), on_progress=on_progress)
    for chunk in chain((head,), chunks):
        with _cycle_collection_paused():
            recorder.add_all(decoder.feed(chunk))
        if on_progress is not None:
            on_progress(len(chunk))
    with _cycle_collection_paused():
        recorder.add_all(decoder.close())
        return recorder.build(truncated=decoder.truncated)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one chunk is decoded and merged.

    A chunk of a large stream makes thousands of objects (decoded events, log
    records) that die at once or live on in the Build; none form reference cycles.
    Left running, the collector would scan them every 700 allocations, and the
    whole growing heap at every full collection: up to a quarter of the reading
    time of a 100 MB stream (benchmarks/README.md). Paused per chunk, it runs about
    once a chunk instead, a full collection at most once a hundred chunks. It is
    never paused while waiting for input, so reading a pipe from a long build does
    not hold it off; reference counting frees memory as usual meanwhile.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _chunks(source: str | Path | BinaryIO) -> Iterator[bytes]:
    if isinstance(source, str | Path):
        if str(source) == "-":
            yield from _decompressed(sys.stdin.buffer, "standard input")
            return
        path = Path(source)
        try:
            handle = path.open("rb")
        except OSError as error:
            raise InputError(f"cannot read {path}: {error.strerror or error}") from None
        with handle:
            yield from _decompressed(handle, str(path))
    else:
        yield from _decompressed(source, getattr(source, "name", "input"))


def _decompressed(handle: BinaryIO, label: str) -> Iterator[bytes]:
    try:
        head = handle.read(CHUNK_SIZE)
        if head.startswith(GZIP_MAGIC):
            yield from _gunzip(head, handle, label)
            return
        while head:
            yield head
            head = handle.read(CHUNK_SIZE)
    except OSError as error:
        raise InputError(f"cannot read {label}: {error.strerror or error}") from None


def _gunzip(head: bytes, handle: BinaryIO, label: str) -> Iterator[bytes]:
    """Decompress as bytes arrive, so a cut-off file still yields all it holds.

    (``gzip.GzipFile.read`` raises on a cut-off file before returning anything.)
    Concatenated gzip members, as ``cat a.gz b.gz`` makes, are read one after another.
    """
    decompressor = zlib.decompressobj(wbits=31)
    data = head
    try:
        while data:
            while data:
                yield decompressor.decompress(data, CHUNK_SIZE)
                data = decompressor.unconsumed_tail
                if decompressor.eof:
                    data = decompressor.unused_data + data
                    decompressor = zlib.decompressobj(wbits=31)
                    if not data.startswith(GZIP_MAGIC[:1]):
                        return  # trailing garbage after the last member, as gzip(1) allows
            data = handle.read(CHUNK_SIZE)
    except zlib.error as error:
        raise StreamError(f"{label} is not a valid gzip file: {error}") from None
