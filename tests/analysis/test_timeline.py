from __future__ import annotations

import io

import pytest

from profiler.analysis.timeline import (
    concurrency,
    parallelism,
    peak_concurrency,
    sequential_seconds,
    wall_seconds,
)
from profiler.model import Build
from profiler.sources import read_build
from tests.streams import Stream, parallel_build


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.indented()))


def test_wall_sequential_and_parallelism() -> None:
    build = build_of(parallel_build())
    assert wall_seconds(build) == pytest.approx(5.5)
    # 0.1 + 0.2 + 0.1 + 1 + 1 + 3 + 0.5 + 0.5
    assert sequential_seconds(build) == pytest.approx(6.4)
    assert parallelism(build) == pytest.approx(6.4 / 5.5)


def test_a_cache_stamp_from_another_build_does_not_stretch_the_wall_time() -> None:
    # On a shared daemon a FROM shared with a build that ran 20 s earlier arrives
    # as a zero-length cache hit with that build's timestamps.
    stream = (
        Stream()
        .step("base", "[final 1/2] FROM busybox", -20.0, -20.0, cached=True)
        .step("run", "[final 2/2] RUN make", 0.0, 4.0, inputs=["base"])
    )
    assert wall_seconds(build_of(stream)) == pytest.approx(4.0)


def test_a_fully_cached_build_counts_from_its_first_cache_hit() -> None:
    stream = Stream().step("a", "[s 1/2] RUN x", 0.0, 0.0, cached=True)
    stream.step("b", "[s 2/2] RUN y", 0.5, 0.5, cached=True, inputs=["a"])
    assert wall_seconds(build_of(stream)) == pytest.approx(0.5)


def test_concurrency_counts_overlapping_steps() -> None:
    build = build_of(parallel_build())
    points = dict(concurrency(build))
    assert points[1.4] == 2
    assert points[2.4] == 1
    assert peak_concurrency(build) == 2
    assert concurrency(build)[-1][1] == 0


def test_zero_length_cache_hits_do_not_count_as_running() -> None:
    stream = Stream().vertex("a", "[s 1/1] RUN a", started=1.0, completed=1.0, cached=True)
    stream.step("b", "[s 1/1] RUN b", 0.0, 2.0)
    assert peak_concurrency(build_of(stream)) == 1
