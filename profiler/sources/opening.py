"""Open an input (a path, ``-`` for standard input, bytes, a binary stream) as byte chunks.

Gzip is recognised by its magic bytes, whatever the file is called, and decompressed
as bytes arrive. What the chunks *are* (rawjson, a plain log, something else) is for
:mod:`profiler.sources.detect` to say.
"""

from __future__ import annotations

import codecs
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from profiler.errors import InputError, StreamError
from profiler.sources.limits import current_limits, too_many_bytes

CHUNK_SIZE = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = codecs.BOM_UTF8
UTF16LE_BOM = codecs.BOM_UTF16_LE
UTF16BE_BOM = codecs.BOM_UTF16_BE
SPOOL_IN_MEMORY = 16 * 1024 * 1024
"""Bytes held in memory while detection looks for the first build line; beyond this
they go to a temporary file (a CI log may hold hundreds of MB before the build)."""

Source = str | Path | bytes | BinaryIO


def source_label(source: Source) -> str:
    """How messages name the input."""
    if isinstance(source, bytes):
        return "input"
    if isinstance(source, str | Path):
        return "standard input" if str(source) == "-" else str(source)
    return str(getattr(source, "name", "input"))


def open_chunks(source: Source) -> Iterator[bytes]:
    """The input's bytes as UTF-8 text would have them, in chunks of about ``CHUNK_SIZE``.

    Gunzipped if it is gzip; UTF-16 with a byte-order mark (PowerShell's ``>``
    redirect) is turned into UTF-8; a UTF-8 byte-order mark is dropped, so it never
    ends up in the first line (or the first step's name).
    """
    return _unicode(raw_chunks(source))


def read_input(source: Source) -> bytes:
    """The input's bytes, gunzipped if it is gzip, otherwise as found (what a store
    keeps and hashes: reading them again goes through :func:`open_chunks`)."""
    return b"".join(raw_chunks(source))


def raw_chunks(source: Source) -> Iterator[bytes]:
    """The input's bytes as :func:`read_input` gives them, in chunks of at most
    ``CHUNK_SIZE``; :class:`~profiler.sources.limits.InputTooLarge` beyond the
    ``max_bytes`` limit (so a gzip bomb or ``/dev/zero`` is stopped, not read)."""
    limit = current_limits().max_bytes
    total = 0
    for chunk in _raw_chunks(source):
        total += len(chunk)
        if total > limit:
            raise too_many_bytes(source_label(source), limit)
        yield chunk


def _raw_chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield from _decompressed_bytes(source)
        return
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
        return
    yield from _decompressed(source, source_label(source))


def _unicode(chunks: Iterator[bytes]) -> Iterator[bytes]:
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 4:
            break
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    elif head.startswith((UTF16LE_BOM, UTF16BE_BOM)):
        encoding = "utf-16-le" if head.startswith(UTF16LE_BOM) else "utf-16-be"
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        yield decoder.decode(head[2:]).encode("utf-8")
        for chunk in chunks:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
        return
    if head:
        yield head
    yield from chunks


def _decompressed_bytes(data: bytes) -> Iterator[bytes]:
    if data.startswith(GZIP_MAGIC):
        yield from _gunzip(data, None, "input")
        return
    for start in range(0, len(data), CHUNK_SIZE):
        yield data[start : start + CHUNK_SIZE]


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


def _gunzip(head: bytes, handle: BinaryIO | None, label: str) -> Iterator[bytes]:
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
                    # Everything after the member is in unused_data; CPython leaves a
                    # copy in unconsumed_tail too when max_length cut the output (adding
                    # both read the next members twice, then again: without end).
                    data = decompressor.unused_data
                    decompressor = zlib.decompressobj(wbits=31)
                    if not data.startswith(GZIP_MAGIC[:1]):
                        return  # trailing garbage after the last member, as gzip(1) allows
            data = handle.read(CHUNK_SIZE) if handle is not None else b""
    except zlib.error as error:
        raise StreamError(f"{label} is not a valid gzip file: {error}") from None


class Replay:
    """Chunks read ahead (by detection) kept to be read again, then the rest of the input.

    Up to ``SPOOL_IN_MEMORY`` bytes stay in memory, the rest goes to a temporary file:
    detection may read far into a CI log before its first BuildKit line, and a pipe
    cannot be read twice.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._rest = chunks
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self.size = 0

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *_: object) -> None:
        self._spool.close()

    def read_ahead(self) -> Iterator[bytes]:
        """The input's chunks, each one kept for :meth:`chunks`."""
        for chunk in self._rest:
            self._spool.write(chunk)
            self.size += len(chunk)
            yield chunk

    def chunks(self) -> Iterator[bytes]:
        """Every chunk from the start: those read ahead, then those not read yet."""
        self._spool.seek(0)
        while chunk := self._spool.read(CHUNK_SIZE):
            yield chunk
        self._spool.close()
        yield from self._rest
