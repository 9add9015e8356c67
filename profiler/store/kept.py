"""A stream as the history keeps it, made in one pass while it is read.

The store keeps every stream gzip-compressed and knows it by the SHA-256 of its
uncompressed bytes. Both are made here from the chunks as they stream past the
reader, so ingesting never holds the stream itself in memory: only the compressed
copy (what the database row receives) and the Build.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from profiler.model import Build
from profiler.sources import Source, raw_chunks, read_builds

if TYPE_CHECKING:
    from hashlib import _Hash

GZIP_LEVEL = 6


@dataclass(frozen=True, slots=True)
class KeptStream:
    """What the store records of a stream: its identity, size and compressed bytes."""

    digest: _Hash
    """SHA-256 state after every byte of the stream (copied, never updated again)."""
    size: int
    blank: bool
    """Nothing but whitespace (or nothing at all)."""
    blob: bytes | None = None
    """The stream gzip-compressed, as the ``run_streams`` row holds it."""

    @classmethod
    def of(cls, raw: bytes, *, compressed: bool = False) -> KeptStream:
        """The record of a stream already in memory (the dashboard's files)."""
        return cls(
            digest=hashlib.sha256(raw),
            size=len(raw),
            blank=not raw.strip(),
            blob=_gzip(iter((raw,))) if compressed else None,
        )

    def key(self, build_index: int | None = None) -> str:
        """The run's identity (``stream_sha256``): the stream's SHA-256, or for one
        build of a stream that holds several, of the stream and the build's number."""
        if build_index is None:
            return self.digest.hexdigest()
        digest = self.digest.copy()
        digest.update(f"\n#kitprof build {build_index}\n".encode())
        return digest.hexdigest()


def keep_and_read(source: Source) -> tuple[KeptStream, list[Build]]:
    """Read the builds of ``source`` and make its :class:`KeptStream` in the same pass.

    Raises what :func:`~profiler.sources.read_builds` raises (the reading limits
    included) before anything is kept. A bake session of several targets (``docker
    compose build`` of several services) is one run per target.
    """
    tee = _Tee(raw_chunks(source))
    builds = read_builds(tee, per_target=True)  # type: ignore[arg-type]  # a binary file object
    tee.drain()  # what the reader did not need still counts in the identity
    return tee.kept(), builds


class _Tee(io.RawIOBase):
    """The stream's chunks as a binary file, hashed, counted and compressed on the way."""

    name = "input"

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._digest = hashlib.sha256()
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        self._blob = io.BytesIO()
        self._size = 0
        self._blank = True
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._take(chunk)
            self._left = memoryview(chunk)
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count

    def drain(self) -> None:
        for chunk in self._chunks:
            self._take(chunk)

    def kept(self) -> KeptStream:
        self._blob.write(self._compressor.flush())
        return KeptStream(self._digest, self._size, self._blank, self._blob.getvalue())

    def _take(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._size += len(chunk)
        if self._blank and chunk.strip():
            self._blank = False
        self._blob.write(self._compressor.compress(chunk))


def _gzip(chunks: Iterator[bytes]) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return b"".join([*(compressor.compress(chunk) for chunk in chunks), compressor.flush()])
