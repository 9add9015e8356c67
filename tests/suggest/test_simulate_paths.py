"""The simulator's shortcuts give exactly what its general path gives.

``simulate`` skips the per-event rates when no cores are modelled, ``busy_seconds``
measures a step that ran once without merging intervals, the cores sweep visits only
the levels an interval overlaps: each is checked here against the general arithmetic
on every recorded sample and a generated build of many stages.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from benchmarks.generate_stream import generate
from profiler.model import Build, closed_intervals, union_length
from profiler.sources import read_build
from profiler.suggest.simulate import (
    SimulationOptions,
    busy_seconds,
    estimate_latency,
    graph_from_build,
    simulate,
)
from tests.suggest.test_simulate import ROOT, STREAMS


def generated() -> Build:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "generated.rawjson"
        generate(path, steps=600, megabytes=0.5, steps_per_stage=20, seed=7)
        return read_build(path)


def builds() -> list[object]:
    return [
        *(pytest.param(p, id=p.relative_to(ROOT).as_posix()) for p in STREAMS),
        pytest.param(None, id="generated"),
    ]


@pytest.mark.parametrize("stream", builds())
def test_rate_one_shortcut_replays_as_the_general_path(stream: Path | None) -> None:
    build = read_build(stream) if stream is not None else generated()
    graph = graph_from_build(build)  # no task is cpu-bound: every rate is 1 either way
    latency = estimate_latency(build, graph)
    shortcut = simulate(graph, SimulationOptions(latency=latency))
    general = simulate(graph, SimulationOptions(latency=latency, cores=1_000_000))
    assert shortcut.start == general.start
    assert shortcut.finish == general.finish
    assert list(shortcut.finish) == list(general.finish)


@pytest.mark.parametrize("stream", builds())
def test_busy_seconds_is_the_union_of_closed_intervals(stream: Path | None) -> None:
    build = read_build(stream) if stream is not None else generated()
    for step in build:
        assert busy_seconds(step) == union_length(closed_intervals(step))
