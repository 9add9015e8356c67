from __future__ import annotations

import dataclasses
import io
import pickle
from pathlib import Path

import pytest

from profiler.model import (
    Build,
    DeferredLogs,
    Interval,
    LogChunk,
    Stage,
    Step,
    StepStatus,
    closed_intervals,
    defer_logs,
    merged_intervals,
    union_length,
)
from profiler.names import parse_name
from profiler.sources import read_build
from tests.streams import Stream, parallel_build


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.indented()))


@pytest.mark.parametrize(
    ("intervals", "length"),
    [
        ([], 0.0),
        ([(0.0, 1.0)], 1.0),
        ([(0.0, 1.0), (0.5, 2.0)], 2.0),
        ([(0.0, 1.0), (2.0, 3.0)], 2.0),
        ([(2.0, 3.0), (0.0, 5.0), (1.0, 1.5)], 5.0),
        ([(1.0, 1.0), (1.0, 1.0)], 0.0),
        # An interval that ends before it starts (clocks that disagree) covers nothing.
        ([(5.0, 2.0)], 0.0),
        ([(0.0, 1.0), (3.0, 2.0), (2.5, 4.0)], 2.5),
    ],
)
def test_union_length(intervals: list[tuple[float, float]], length: float) -> None:
    assert union_length(intervals) == pytest.approx(length)


def test_merged_intervals_join_overlapping_and_touching_ones_and_drop_empty_ones() -> None:
    intervals = [(5.0, 6.0), (0.0, 1.0), (1.0, 2.0), (0.5, 1.5), (3.0, 3.0), (4.0, 3.5)]
    assert merged_intervals(intervals) == [(0.0, 2.0), (5.0, 6.0)]
    assert union_length(intervals) == 3.0


def test_stage_rollup() -> None:
    build = build_of(parallel_build())
    stages = {stage.name: stage for stage in build.stages}
    assert set(stages) == {"(internal)", "base", "fast", "slow", "final", "(export)"}
    base = stages["base"]
    assert (base.steps, base.start, base.end) == (2, 0.3, 1.4)
    assert base.busy == pytest.approx(1.1)
    # The rollup is ordered by start time.
    assert [s.name for s in build.stages][:2] == ["(internal)", "base"]


SAMPLES = Path(__file__).parent.parent / "sample_builds"
SAMPLE_STREAMS = sorted(SAMPLES.glob("*/*.rawjson"))


def _rollups_by_grouping(build: Build) -> list[Stage]:
    """The rollups as the model computed them before its one-pass loop: group the
    steps, then min, max, sum and merge over each group."""
    groups: dict[tuple[str | None, str | None, str], list[Step]] = {}
    for step in build.steps:
        groups.setdefault((step.target, step.parsed.platform, step.stage_key), []).append(step)
    stages = []
    for (target, platform, name), members in groups.items():
        starts = [s.start for s in members if s.start is not None]
        ends = [s.end for s in members if s.end is not None]
        stages.append(
            Stage(
                target=target,
                name=name,
                start=min(starts) if starts else None,
                end=max(ends) if ends else None,
                busy=union_length(i for s in members for i in closed_intervals(s)),
                sequential=sum(s.duration for s in members),
                steps=len(members),
                cached=sum(1 for s in members if s.status is StepStatus.CACHED),
                failed=sum(1 for s in members if s.status is StepStatus.FAILED),
                platform=platform,
            )
        )
    return sorted(stages, key=lambda s: (s.start is None, s.start or 0.0))


@pytest.mark.parametrize(
    "stream", SAMPLE_STREAMS, ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_stage_rollups_are_exactly_those_of_grouping_the_steps(stream: Path) -> None:
    # Equal floats, not approximately equal: the JSON report prints them.
    build = read_build(stream)
    assert list(build.stages) == _rollups_by_grouping(build)


def test_stage_rollup_counts_cached_and_failed_steps_and_closes_open_intervals() -> None:
    stream = (
        Stream()
        .step("a", "[base 1/3] FROM x", 0.0, 1.0)
        .vertex("b", "[base 2/3] RUN cached", started=1.0, completed=1.0, cached=True)
        .vertex("c", "[base 3/3] RUN broken", started=1.0, completed=2.5, error="exit 1")
        # Started, never completed: its interval is closed at the end of the stream.
        .vertex("d", "[other 1/1] RUN hangs", started=2.0)
    )
    build = build_of(stream)
    stages = {stage.name: stage for stage in build.stages}
    assert (stages["base"].steps, stages["base"].cached, stages["base"].failed) == (3, 1, 1)
    assert (stages["base"].start, stages["base"].end) == (0.0, 2.5)
    assert list(build.stages) == _rollups_by_grouping(build)


def test_bake_targets_split_stages_of_the_same_name() -> None:
    stream = (
        Stream()
        .step("a", "[api base 1/1] RUN x", 0.0, 1.0)
        .step("b", "[web base 1/1] RUN y", 0.0, 2.0)
    )
    stages = {(s.target, s.name): s for s in build_of(stream).stages}
    assert stages[("api", "base")].busy == pytest.approx(1.0)
    assert stages[("web", "base")].busy == pytest.approx(2.0)


def test_single_stage_steps_count_as_stage_0() -> None:
    build = build_of(Stream().step("a", "[1/2] FROM x", 0.0, 1.0))
    assert build.steps[0].stage_key == "stage-0"


def test_stages_frame_has_one_row_per_stage() -> None:
    build = build_of(parallel_build())
    stages = build.stages_frame()
    assert list(stages["stage"]) == [s.name for s in build.stages]
    assert stages.set_index("stage").loc["slow", "busy"] == pytest.approx(3.0)


def test_timestamp_maps_model_time_back_to_absolute() -> None:
    build = build_of(parallel_build())
    assert build.started_at is not None
    moment = build.timestamp(1.5)
    assert moment is not None
    assert (moment - build.started_at).total_seconds() == pytest.approx(1.5)


class _Counted(DeferredLogs):
    """Deferred logs that count how often they are made."""

    __slots__ = ("chunks", "made")

    def __init__(self, chunks: tuple[LogChunk, ...]) -> None:
        self.chunks = chunks
        self.made = 0

    def make(self) -> tuple[LogChunk, ...]:
        self.made += 1
        return self.chunks


def _step(digest: str = "d") -> Step:
    return Step(
        digest=digest,
        name="[a 1/1] RUN x",
        names=("[a 1/1] RUN x",),
        parsed=parse_name("[a 1/1] RUN x"),
        inputs=(),
        intervals=(Interval(0.0, 1.0),),
        start=0.0,
        end=1.0,
        duration=1.0,
        cached=False,
        error=None,
        status=StepStatus.DONE,
    )


def test_deferred_logs_are_a_tuple_to_every_reader_and_made_once() -> None:
    chunks = (LogChunk(0.5, 1, "aGkK"), LogChunk(0.75, 2, "eW8K"))
    deferred = _Counted(chunks)
    step = defer_logs(_step(), deferred)
    eager = dataclasses.replace(_step(), logs=chunks)
    assert deferred.made == 0
    assert step == eager and hash(step) == hash(eager) and repr(step) == repr(eager)
    assert step.logs is chunks and step.log_lines() == ["hi", "yo"]
    assert pickle.loads(pickle.dumps(step)) == eager
    assert dataclasses.replace(step, digest="e").logs == chunks
    assert deferred.made == 1  # the tuple is kept in the step once made
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.logs = ()  # type: ignore[misc]


def test_steps_made_with_logs_keep_them() -> None:
    chunks = (LogChunk(0.5, 1, "aGkK"),)
    step = dataclasses.replace(_step(), logs=chunks)
    assert step.logs is chunks and _step().logs == ()


def test_a_stage_of_two_platforms_rolls_up_once_per_platform() -> None:
    stream = (
        Stream()
        .step("sha256:a1", "[linux/amd64 build 1/1] RUN make", 0.0, 2.0)
        .step("sha256:b1", "[linux/arm64 build 1/1] RUN make", 0.0, 3.0)
        .step("sha256:x", "exporting to image", 3.0, 3.5)
    )
    build = read_build(stream.one_line())
    rollups = {(s.platform, s.name): (s.steps, s.busy) for s in build.stages}
    assert rollups == {
        ("linux/amd64", "build"): (1, pytest.approx(2.0)),
        ("linux/arm64", "build"): (1, pytest.approx(3.0)),
        (None, "(export)"): (1, pytest.approx(0.5)),
    }
    frame = build.stages_frame()
    assert sorted(frame["platform"].dropna()) == ["linux/amd64", "linux/arm64"]
