from __future__ import annotations

import io
from pathlib import Path

import pytest

from profiler.analysis import analyze
from profiler.analysis.critical_path import dependency_graph, longest_path, observed_critical_path
from profiler.model import Build
from profiler.sources import read_build, read_builds
from tests.streams import Stream, parallel_build


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.one_line()))


def names(steps: list) -> list[str]:  # type: ignore[type-arg]
    return [step.digest for step in steps]


def test_critical_path_goes_through_the_slow_branch_and_reaches_the_exporter() -> None:
    build = build_of(parallel_build())
    path = observed_critical_path(build)
    assert names(path) == [
        "sha256:def",
        "sha256:meta",
        "sha256:from",
        "sha256:base",
        "sha256:slow",
        "sha256:copy",
        "sha256:export",
    ]


def test_unconnected_vertices_are_linked_to_what_finished_last_before_them() -> None:
    graph = dependency_graph(build_of(parallel_build()))
    # The exporter has no inputs in the stream; the copy finished last before it.
    assert graph["sha256:export"] == ("sha256:copy",)
    assert graph["sha256:from"] == ("sha256:meta",)
    # Real inputs are kept as they are.
    assert graph["sha256:copy"] == ("sha256:from", "sha256:slow")
    # The very first vertex waited for nothing.
    assert graph["sha256:def"] == ()


def test_lower_bound_is_the_longest_weighted_path() -> None:
    build = build_of(parallel_build())
    bound, path = longest_path(build)
    # def 0.1 + meta 0.2 + from 0.1 + base 1.0 + slow 3.0 + copy 0.5 + export 0.5
    assert bound == pytest.approx(5.4)
    assert names(path)[-3:] == ["sha256:slow", "sha256:copy", "sha256:export"]


def test_lower_bound_removes_idle_gaps_that_wall_time_includes() -> None:
    # b waits for a but only starts 2 s after a finished (a busy scheduler).
    stream = (
        Stream()
        .step("a", "[s 1/2] RUN a", 0.0, 1.0)
        .step("b", "[s 2/2] RUN b", 3.0, 4.0, inputs=["a"])
    )
    analysis = analyze(build_of(stream))
    assert analysis.wall_seconds == pytest.approx(4.0)
    assert analysis.lower_bound_seconds == pytest.approx(2.0)
    assert analysis.overhead_seconds == pytest.approx(2.0)


def test_critical_path_shares_by_stage_add_up() -> None:
    analysis = analyze(build_of(parallel_build()))
    shares = analysis.critical_path_by_stage
    assert shares["slow"] == pytest.approx(3.0)
    assert shares["base"] == pytest.approx(1.1)
    assert "fast" not in shares
    assert sum(shares.values()) == pytest.approx(analysis.critical_path_seconds)


def test_a_time_link_cycle_does_not_hang() -> None:
    # Inputs that contradict the timestamps (a consumer that finished before its input).
    stream = (
        Stream()
        .step("a", "[s 1/2] RUN a", 2.0, 3.0, inputs=["b"])
        .step("b", "[s 2/2] RUN b", 0.0, 1.0, inputs=["a"])
    )
    build = build_of(stream)
    bound, _ = longest_path(build)
    assert bound == pytest.approx(2.0)
    assert len(observed_critical_path(build)) == 2


def test_in_a_failed_build_the_path_ends_at_the_failure_not_a_cancelled_sibling() -> None:
    stream = (
        Stream()
        .step("deps", "[deps 1/1] RUN deps", 0.0, 1.0)
        .step("test", "[test 1/1] RUN test", 1.0, 2.0, inputs=["deps"], error="exit code: 1")
        .step("build", "[build 1/1] RUN make", 1.0, 2.2, inputs=["deps"], error="context canceled")
    )
    assert names(observed_critical_path(build_of(stream))) == ["deps", "test"]


def test_a_vertex_that_ran_twice_links_to_what_preceded_its_last_run() -> None:
    # bake: two targets share one exporter digest; the web export runs last.
    stream = (
        Stream()
        .step("api", "[api app 1/1] RUN api", 0.0, 2.0)
        .step("web", "[web app 1/1] RUN web", 0.0, 4.0)
        .vertex("export", "[api] exporting to image", started=2.1, completed=2.2)
        .vertex("export", "[web] exporting to image", started=4.1, completed=4.3)
    )
    assert names(observed_critical_path(build_of(stream))) == ["web", "export"]


def test_inputs_finishing_within_the_clock_resolution_are_a_tie_won_by_more_work() -> None:
    # GIVEN a join whose two inputs finished 10 ms apart: the heavy chain (3 s of
    # work) finished first, the light one (0.5 s, started late) just after it
    stream = (
        Stream()
        .step("heavy1", "[a 1/2] RUN one", 0.0, 1.0)
        .step("heavy2", "[a 2/2] RUN two", 1.0, 3.0, inputs=["heavy1"])
        .step("light", "[b 1/1] RUN late", 2.51, 3.01)
        .step("join", "[c 1/1] COPY --from=a --from=b", 3.05, 3.5, inputs=["heavy2", "light"])
    )
    build = build_of(stream)
    # WHEN the observed critical path is walked back from the join
    path = observed_critical_path(build)
    # THEN 10 ms cannot tell which input the join waited for: the path takes the
    # chain with more work, so it weighs no less than the lower bound
    assert names(path) == ["heavy1", "heavy2", "join"]
    analysis = analyze(build)
    assert analysis.lower_bound_seconds <= analysis.critical_path_seconds + 1e-9


def test_an_input_that_finished_clearly_last_is_still_the_one_waited_for() -> None:
    # The light input finished 0.5 s after the heavy one: far beyond any clock's
    # resolution, so the join really waited for it.
    stream = (
        Stream()
        .step("heavy1", "[a 1/2] RUN one", 0.0, 1.0)
        .step("heavy2", "[a 2/2] RUN two", 1.0, 3.0, inputs=["heavy1"])
        .step("light", "[b 1/1] RUN late", 3.0, 3.5)
        .step("join", "[c 1/1] COPY --from=a --from=b", 3.55, 4.0, inputs=["heavy2", "light"])
    )
    assert names(observed_critical_path(build_of(stream)))[-2:] == ["light", "join"]


@pytest.mark.parametrize(
    "path",
    sorted(
        str(path)
        for path in Path("sample_builds").rglob("*")
        if path.suffix in {".rawjson", ".dockerbuild"}
    ),
)
def test_every_recorded_sample_has_its_lower_bound_within_its_critical_path(path: str) -> None:
    for build in read_builds(path):
        analysis = analyze(build)
        assert analysis.lower_bound_seconds <= analysis.critical_path_seconds + 1e-9
        assert analysis.critical_path_seconds <= analysis.wall_seconds + 1e-9
