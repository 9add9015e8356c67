"""Read a ``--progress=rawjson`` stream (both layouts) into a Build.

One stream is one build: buildx writes one rawjson stream per build, and a second
build appended to the same file would have vertices of its own but no marker where it
starts, so it cannot be told from one build with more steps.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from profiler.events import StreamDecoder
from profiler.merge import BuildRecorder
from profiler.model import Build


def read_rawjson_chunks(
    chunks: Iterable[bytes], *, on_progress: Callable[[int], None] | None = None
) -> Build:
    """Decode and merge a rawjson stream given as byte chunks (any split)."""
    decoder = StreamDecoder()
    recorder = BuildRecorder()
    for chunk in chunks:
        with _cycle_collection_paused():
            recorder.add_all(decoder.feed(chunk))
        if on_progress is not None:
            on_progress(len(chunk))
    with _cycle_collection_paused():
        recorder.add_all(decoder.close())
        build = recorder.build(truncated=decoder.truncated)
    return dataclasses.replace(build, source_format="rawjson")


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
