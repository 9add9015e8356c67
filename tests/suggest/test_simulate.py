"""The what-if simulator: BuildKit-like list scheduling, graph changes, calibration."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from profiler.analysis.timeline import build_origin
from profiler.model import Build
from profiler.sources import read_build
from profiler.suggest.simulate import (
    SimulationOptions,
    calibrate,
    graph_from_build,
    observed_wall_seconds,
    simulate,
    simulator_for,
)
from profiler.suggest.taskgraph import Task, TaskGraph
from tests.streams import Stream, parallel_build

ROOT = Path(__file__).parent.parent.parent
STREAMS = sorted(
    [
        *(ROOT / "sample_builds").glob("*/*.rawjson"),
        *(ROOT / "tests" / "integration" / "builds").glob("suggest-*/recorded/*.rawjson"),
    ]
)


KNOWN_MISSES = {
    # A fully cached two-platform build of 0.42 s: its 18 cache hits were stamped 14 ms
    # after the context load they waited for (the solver computing two platforms'
    # cache keys), a wait below HIDDEN_WAIT_SECONDS that no latency estimate catches.
    "multi-platform/cached.rawjson": "14 ms unexplained wait before the cache hits",
}


def _replay_cases() -> list[object]:
    cases: list[object] = []
    for stream in STREAMS:
        name = f"{stream.parent.name}/{stream.name}"
        marks = (
            [pytest.mark.xfail(reason=KNOWN_MISSES[name], strict=True)]
            if name in KNOWN_MISSES
            else []
        )
        cases.append(pytest.param(stream, id=name, marks=marks))
    return cases


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.one_line()))


def graph(*tasks: Task) -> TaskGraph:
    return TaskGraph({task.id: task for task in tasks})


def chain_and_branch() -> TaskGraph:
    """a (1 s) → b (2 s) and c (3 s) → d (1 s)."""
    return graph(
        Task("a", 1.0),
        Task("b", 2.0, ("a",)),
        Task("c", 3.0, ("a",)),
        Task("d", 1.0, ("b", "c")),
    )


def test_a_task_starts_when_all_its_inputs_are_done() -> None:
    schedule = simulate(chain_and_branch())
    assert schedule.start == {"a": 0.0, "b": 1.0, "c": 1.0, "d": 4.0}
    assert schedule.wall_seconds == pytest.approx(5.0)
    assert schedule.critical_path(chain_and_branch()) == ["a", "c", "d"]


def test_roots_start_at_their_release_and_latency_delays_every_edge() -> None:
    g = graph(Task("a", 1.0, release=0.5), Task("b", 1.0, ("a",)))
    assert simulate(g).finish["b"] == pytest.approx(2.5)
    assert simulate(g, SimulationOptions(latency=0.1)).finish["b"] == pytest.approx(2.6)
    # A task with its own observed delay keeps it instead of the latency.
    own = g.with_task(Task("b", 1.0, ("a",), delay=0.3))
    assert simulate(own, SimulationOptions(latency=0.1)).finish["b"] == pytest.approx(2.8)


def test_max_parallelism_queues_ready_tasks_first_come_first_served() -> None:
    g = graph(Task("a", 1.0), Task("b", 1.0), Task("c", 1.0, release=0.5))
    schedule = simulate(g, SimulationOptions(max_parallelism=1))
    assert schedule.start == {"a": 0.0, "b": 1.0, "c": 2.0}
    assert simulate(chain_and_branch(), SimulationOptions(max_parallelism=1)).wall_seconds == 7.0


def test_cores_are_shared_by_cpu_bound_tasks_only() -> None:
    g = graph(Task("x", 2.0, cpu=True), Task("y", 2.0, cpu=True), Task("io", 2.0))
    schedule = simulate(g, SimulationOptions(cores=1))
    # x and y run at half speed each; the I/O task does not contend.
    assert schedule.finish == pytest.approx({"x": 4.0, "y": 4.0, "io": 2.0})
    assert simulate(g).wall_seconds == pytest.approx(2.0)
    assert simulate(g, SimulationOptions(cores=2)).wall_seconds == pytest.approx(2.0)


def test_zero_length_tasks_and_a_cycle_do_not_hang() -> None:
    g = graph(Task("a", 0.0), Task("b", 1.0, ("a", "c")), Task("c", 1.0, ("b",)))
    schedule = simulate(g)
    assert set(schedule.finish) == {"a", "b", "c"}


def test_graph_changes_return_new_graphs() -> None:
    base = chain_and_branch()
    assert simulate(base.with_duration("c", 1.0)).wall_seconds == pytest.approx(4.0)
    assert simulate(base.cached(["b", "c"])).wall_seconds == pytest.approx(2.0)
    assert simulate(base.without_edge("d", "c")).finish["d"] == pytest.approx(4.0)
    assert base["c"].duration == 3.0  # the original is untouched
    # d waits for a's inputs once b and c are gone entirely
    assert base.without_tasks(["b", "c"])["d"].predecessors == ("a",)
    assert base.replace_predecessor("d", "c", None)["d"].predecessors == ("b",)
    assert base.successors("a") == ["b", "c"]


def test_move_before_reorders_a_chain() -> None:
    # p → copy (waits for slow other stage) → run (2 s) → end; moving run above copy.
    g = graph(
        Task("p", 1.0),
        Task("slow", 5.0),
        Task("copy", 0.1, ("p", "slow")),
        Task("run", 2.0, ("copy",)),
        Task("end", 0.5, ("run",)),
    )
    assert simulate(g).wall_seconds == pytest.approx(7.6)
    moved = g.move_before("run", anchor="copy", chain_predecessor="copy")
    assert moved["run"].predecessors == ("p",)
    assert moved["copy"].predecessors == ("run", "slow")
    assert moved["end"].predecessors == ("copy",)
    assert simulate(moved).wall_seconds == pytest.approx(5.6)


def test_split_chain_runs_segments_in_parallel_and_joins_them() -> None:
    g = graph(
        Task("base", 1.0),
        Task("i1", 2.0, ("base",)),
        Task("i2", 3.0, ("i1",)),
        Task("i3", 4.0, ("i2",)),
        Task("after", 1.0, ("i3",)),
        Task("other", 0.5, ("i3",)),
    )
    assert simulate(g).wall_seconds == pytest.approx(11.0)
    split = g.split_chain([["i1"], ["i2"], ["i3"]], base="base", join_cost=0.1)
    assert split["i2"].predecessors == ("base",)
    assert split["join:1.1"].predecessors == ("i3", "i1")
    assert split["join:2.1"].predecessors == ("join:1.1", "i2")
    assert split["after"].predecessors == ("join:2.1",)
    assert split["other"].predecessors == ("join:2.1",)
    # base 1 + longest install 4 + two joins 0.2 + after 1
    assert simulate(split).wall_seconds == pytest.approx(6.2)
    two_copies = g.split_chain([["i1"], ["i2"], ["i3"]], "base", 0.1, joins_per_branch=[2, 1])
    assert simulate(two_copies).wall_seconds == pytest.approx(6.3)
    assert g.split_chain([["i1", "i2", "i3"]], "base", 0.1) is g


def test_replaying_a_build_follows_its_inputs_and_time_links() -> None:
    build = build_of(parallel_build())
    sim = simulator_for(build, latency=0.0)
    schedule = sim.run()
    # def 0.1, meta 0.2, from 0.1, base 1.0, slow 3.0, copy 0.5, export 0.5, with the
    # observed 0.1 s gap before the exporter kept (bookkeeping vertices keep theirs).
    assert schedule.finish["sha256:copy"] == pytest.approx(4.9)
    assert sim.calibration.replayed_wall_seconds == pytest.approx(5.5)
    assert sim.calibration.error_seconds == pytest.approx(0.0, abs=1e-6)


def test_a_late_start_with_no_visible_cause_becomes_a_wait_link() -> None:
    # b waits for a in the stream, but started only when x (unrelated) finished.
    stream = (
        Stream()
        .step("a", "[s 1/2] RUN a", 0.0, 1.0)
        .step("x", "[t 1/1] RUN x", 0.0, 3.0)
        .step("b", "[s 2/2] RUN b", 3.0, 4.0, inputs=["a"])
    )
    g = graph_from_build(build_of(stream))
    assert g["b"].predecessors == ("a", "x")
    assert calibrate(build_of(stream)).error_seconds == pytest.approx(0.0, abs=1e-6)


def test_the_graph_is_made_of_tasks_as_their_constructor_makes_them() -> None:
    build = build_of(parallel_build())
    graph = graph_from_build(build, cores=1)
    for task in graph:
        assert type(task) is Task
        assert task == Task(
            id=task.id,
            duration=task.duration,
            predecessors=task.predecessors,
            release=task.release,
            cpu=task.cpu,
            delay=task.delay,
            label=task.label,
        )
    assert {task.id for task in graph} == {s.digest for s in build if s.intervals}
    changed = graph.with_duration(next(iter(graph)).id, 9.0)  # dataclasses.replace
    assert next(iter(changed)).duration == 9.0


def test_cpu_contention_in_the_recording_is_undone_before_replaying() -> None:
    # Two RUN steps shared one core: each took 2 s for 1 s of work.
    stream = (
        Stream().step("a", "[a 1/1] RUN make a", 0.0, 2.0).step("b", "[b 1/1] RUN make b", 0.0, 2.0)
    )
    build = build_of(stream)
    contended = graph_from_build(build, cores=1)
    assert contended["a"].duration == pytest.approx(1.0) and contended["a"].cpu
    assert calibrate(build, cores=1).replayed_wall_seconds == pytest.approx(2.0)
    # Run one after the other, they would not contend: 1 s each.
    sim = simulator_for(build, cores=1, latency=0.0)
    serial = contended.with_predecessors("b", ["a"])
    assert sim.wall(serial) == pytest.approx(2.0)
    assert graph_from_build(build)["a"].duration == pytest.approx(2.0)


def test_a_cache_stamp_from_another_build_does_not_start_this_one() -> None:
    # A shared FROM vertex arrives with another build's (earlier) stamp.
    stream = (
        Stream()
        .step("from", "[other 1/2] FROM docker.io/library/alpine", 0.0, 0.0, cached=True)
        .step("def", "[internal] load build definition from Dockerfile", 2.0, 2.1)
        .step("run", "[2/2] RUN x", 2.1, 3.2, inputs=["from"])
    )
    build = build_of(stream)
    assert build_origin(build) == pytest.approx(2.0)
    assert observed_wall_seconds(build) == pytest.approx(1.2)
    assert calibrate(build).error_seconds < 0.01


@pytest.mark.parametrize("stream", _replay_cases())
def test_replay_reproduces_every_recorded_build(stream: Path) -> None:
    calibration = calibrate(read_build(stream))
    # Within 2% (or 10 ms for a fully cached, 40 ms build).
    assert calibration.error_ratio < 0.02 or calibration.error_seconds < 0.01, calibration
