"""Figures kept per Build: made once, shared, forgotten with the Build."""

from __future__ import annotations

import gc
import io

from profiler.analysis import memo
from profiler.analysis.critical_path import _dependency_graph, dependency_graph
from profiler.model import Build
from profiler.sources import read_build
from tests.streams import parallel_build as parallel_stream


def parallel_build() -> Build:
    return read_build(io.BytesIO(parallel_stream().one_line()))


def test_a_figure_is_computed_once_per_build() -> None:
    build, other = parallel_build(), parallel_build()
    calls: list[Build] = []

    def count(which: Build) -> list[Build]:
        calls.append(which)
        return calls

    first = memo.derived(build, "test figure", lambda: count(build))
    assert memo.derived(build, "test figure", lambda: count(build)) is first
    memo.derived(other, "test figure", lambda: count(other))
    assert calls == [build, other]


def test_the_table_goes_with_the_build() -> None:
    build = parallel_build()
    memo.derived(build, "test figure", lambda: 1)
    key = id(build)
    assert key in memo._tables
    del build
    gc.collect()
    assert key not in memo._tables


def test_the_shared_dependency_graph_is_the_one_computed_afresh() -> None:
    build = parallel_build()
    assert dependency_graph(build) is dependency_graph(build)
    assert dependency_graph(build) == _dependency_graph(build)


def test_the_collector_is_paused_only_during_the_call_and_left_as_found() -> None:
    states: list[bool] = []

    @memo.without_cycle_collection
    def record() -> str:
        states.append(gc.isenabled())
        return "result"

    assert gc.isenabled()
    assert record() == "result"
    assert states == [False] and gc.isenabled()
    gc.disable()
    try:
        record()
        assert not gc.isenabled()
    finally:
        gc.enable()
