"""Stage figures as columns (:mod:`profiler.analysis.stagetable`), as the store packs and
decodes them (:mod:`profiler.store.stagefigures`): every run reads the stages it was
given, and a trend of the decoded runs is the trend of the same runs made of
``StageMetrics`` dicts, to the last bit, whatever subset or order of them it is given."""

from __future__ import annotations

import dataclasses
import random
import statistics
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profiler.analysis import trends as trends_module
from profiler.analysis.stagetable import ArrayColumns, RunStages, StageTable, stage_table
from profiler.analysis.trends import RunMetrics, StageMetrics, median, trends
from profiler.store.stagefigures import pack_stage_figures, unpack_stage_figures
from tests.analysis.test_trends import run

LABELS = ("base", "deps", "build", "test", "final")

figures = st.tuples(
    st.floats(min_value=0, max_value=1e4, allow_nan=False),
    st.floats(min_value=0, max_value=1e4, allow_nan=False),
    st.floats(min_value=0, max_value=1e4, allow_nan=False),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
).map(lambda values: StageMetrics(*values))
stage_maps = st.dictionaries(st.sampled_from(LABELS), figures, max_size=len(LABELS))
histories = st.lists(
    st.tuples(st.floats(min_value=1, max_value=1e4, allow_nan=False), stage_maps),
    max_size=40,
)


def as_runs(history: list[tuple[float, dict[str, StageMetrics]]]) -> list[RunMetrics]:
    return [
        dataclasses.replace(run(index, wall), stages=stages)
        for index, (wall, stages) in enumerate(history, start=1)
    ]


def decoded(runs: list[RunMetrics], stage: str | None = None) -> list[RunMetrics]:
    """The runs as the store reads them back: stages packed, decoded into one table."""
    packed = [pack_stage_figures(dict(run.stages)) for run in runs]
    table = unpack_stage_figures([labels for labels, _ in packed], [blob for _, blob in packed],
                                 stage)  # fmt: skip
    return [
        dataclasses.replace(run, stages=view) for run, view in zip(runs, table.views(), strict=True)
    ]


def only(runs: list[RunMetrics], stage: str) -> list[RunMetrics]:
    return [
        dataclasses.replace(run, stages={k: v for k, v in run.stages.items() if k == stage})
        for run in runs
    ]


@settings(max_examples=150, deadline=None)
@given(history=histories, window=st.integers(min_value=1, max_value=6), cut=st.integers(0, 40))
def test_decoded_runs_and_their_trends_are_the_runs_given(
    history: list[tuple[float, dict[str, StageMetrics]]], window: int, cut: int
) -> None:
    runs = as_runs(history)
    read = decoded(runs)
    assert read == runs
    assert all(dict(a.stages) == b.stages and list(a.stages) == list(b.stages)
               for a, b in zip(read, runs, strict=True))  # fmt: skip
    assert trends(read, window=window) == trends(runs, window=window)
    # some of the runs, in another order, or mixed with runs of plain dicts
    shuffled = list(range(len(runs)))
    random.Random(cut).shuffle(shuffled)
    for indexes in (range(cut, len(runs)), range(0, len(runs), 2), shuffled):
        part, expected = [read[i] for i in indexes], [runs[i] for i in indexes]
        assert trends(part, window=window) == trends(expected, window=window)
    mixed = read[:cut] + runs[cut:]
    assert trends(mixed, window=window) == trends(runs, window=window)
    # one stage: read with only that stage, or the trend of one stage
    for stage in ("build", "final"):
        assert decoded(runs, stage) == only(runs, stage)
        assert trends(read, stage=stage, window=window) == trends(runs, stage=stage, window=window)


def assert_same_trends(
    monkeypatch: pytest.MonkeyPatch,
    read: list[RunMetrics],
    runs: list[RunMetrics],
    stage: str,
    window: int,
) -> None:
    """The trends of the decoded runs (whole, one stage, pure Python) are the runs'."""
    expected = trends(runs, window=window)
    assert expected.regressions
    assert trends(read, window=window) == expected
    assert trends(read, stage=stage, window=window) == trends(runs, stage=stage, window=window)
    with monkeypatch.context() as patch:
        patch.setattr(trends_module, "LONG_SERIES", 10**9)  # pure Python, no arrays
        assert trends(read, window=window) == expected


def test_a_long_decoded_history_gives_the_same_trend_with_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 1,200 runs: most with the five stages, one in 7 without "test", one in 50 with
    # a stage of its own; one in 101 twice as slow.
    rng = random.Random(11)
    history = []
    for index in range(1200):
        slow = 2.0 if index % 101 == 0 else 1.0
        stages = {
            label: StageMetrics(rng.uniform(5, 9) * slow, rng.uniform(5, 20), 1.0, 20, index % 9)
            for label in LABELS
            if label != "test" or index % 7
        }
        if index % 50 == 0:
            stages["extra"] = StageMetrics(1.0, 1.0, 0.5, 0, 0)
        history.append((sum(stage.busy_seconds for stage in stages.values()), stages))
    runs = as_runs(history)
    read = decoded(runs)
    assert len({tuple(run.stages) for run in read}) == 4  # label lists: 4 groups
    assert len(read) > trends_module.LONG_SERIES
    for window in (10, 3):
        assert_same_trends(monkeypatch, read, runs, "test", window)


def test_a_long_history_of_one_label_list_is_read_as_arrays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 600 runs, every one with the same three stages: the table keeps each label's
    # figures as arrays too (the same values as its columns), and the trend that reads
    # them (cache ratios of stages without steps included) is the trend of the dicts.
    rng = random.Random(5)
    history = []
    for index in range(600):
        stages = {
            label: StageMetrics(
                rng.uniform(1, 9) * (3 if index % 97 == 0 else 1),
                rng.uniform(5, 20),
                rng.uniform(0, 1),
                0 if label == "base" and index % 5 == 0 else 20,
                index % 21 % 20,
            )
            for label in ("base", "build", "final")
        }
        history.append((sum(stage.busy_seconds for stage in stages.values()), stages))
    runs = as_runs(history)
    packed = [pack_stage_figures(dict(run.stages)) for run in runs]
    table = unpack_stage_figures([labels for labels, _ in packed], [blob for _, blob in packed])
    assert set(table.arrays) == {"base", "build", "final"}
    assert isinstance(table.columns, ArrayColumns)
    views = table.views()
    read = [dataclasses.replace(run, stages=view) for run, view in zip(runs, views, strict=True)]
    trend = trends(read)
    assert table.columns.lists == {}  # the trend read the arrays, made no column's lists
    assert trend == trends(runs)
    for label, arrays in table.arrays.items():
        assert [array.tolist() for array in arrays] == [list(c) for c in table.columns[label]]
    assert table.rows([0, 2]).arrays == {}
    assert read == runs
    for window in (10, 4):
        assert_same_trends(monkeypatch, read, runs, "build", window)
    labels, blobs = [labels for labels, _ in packed], [blob for _, blob in packed]
    only_build = unpack_stage_figures(labels, blobs, "build")
    assert set(only_build.arrays) == {"build"} and set(only_build.columns) == {"build"}
    with pytest.raises(ValueError):
        unpack_stage_figures(labels, [blob[:-8] for blob in blobs])


def test_a_run_s_stages_read_as_the_dict_they_were() -> None:
    stages = {"base": StageMetrics(1.5, 2.0, 0.5, 3, 1), "build": StageMetrics(4.0, 4.0, 4.0, 7, 0)}
    (view,) = [run.stages for run in decoded([dataclasses.replace(run(1, 9.0), stages=stages)])]
    assert isinstance(view, RunStages)
    assert view == stages and stages == view and list(view) == ["base", "build"]
    assert len(view) == 2 and "base" in view and "test" not in view
    assert view["build"] == StageMetrics(4.0, 4.0, 4.0, 7, 0)
    assert type(view["build"].steps) is int and view["base"].cache_hit_ratio == 1 / 3
    assert view.get("test") is None
    with pytest.raises(KeyError):
        view["test"]
    assert repr(view) == repr(stages)


def test_the_table_of_a_history_as_read_is_its_own() -> None:
    runs = decoded(as_runs([(10.0, {"base": StageMetrics(1.0, 1.0, 1.0, 2, 1)})] * 3))
    table = runs[0].stages.table  # type: ignore[attr-defined]
    assert stage_table(runs) is table
    part = stage_table(runs[1:])
    assert isinstance(part, StageTable) and part is not table and len(part) == 2
    empty = stage_table([])
    assert len(empty) == 0 and dict(empty.columns) == {}


def test_a_run_without_stages_and_a_label_nobody_kept() -> None:
    runs = as_runs([(5.0, {}), (6.0, {"base": StageMetrics(1.0, 1.0, 1.0, 0, 0)})])
    read = decoded(runs)
    assert read == runs and dict(read[0].stages) == {}
    assert decoded(runs, "no-such-stage") == only(runs, "no-such-stage")
    assert trends(read, stage="no-such-stage") == trends(runs, stage="no-such-stage")


def test_packed_figures_that_do_not_match_their_labels_are_refused() -> None:
    labels, blob = pack_stage_figures({"base": (1.0, 2.0, 3.0, 4, 5)})
    with pytest.raises(ValueError, match="do not match"):
        unpack_stage_figures([labels], [blob[:-8]])
    with pytest.raises(ValueError):
        pack_stage_figures({"base": (1.0, 2.0)})


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1))
def test_median_is_the_statistics_module_s(values: list[float]) -> None:
    expected: Any = statistics.median(values)
    assert median(values) == float(expected)
    ints = [int(value) % 1000 for value in values]
    assert median(ints) == float(statistics.median(ints))
