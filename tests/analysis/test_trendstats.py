"""The numpy statistics of long series give the pure Python results to the last bit:
``summarize`` and the rolling regression check, with gaps, odd and even windows."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profiler.analysis import trends as trends_module
from profiler.analysis.trends import MIN_BASELINE_RUNS, StageMetrics, summarize, trends
from tests.analysis.test_trends import run

values = st.lists(
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e5, allow_nan=False)),
    min_size=0,
    max_size=300,
)


def both(monkeypatch: pytest.MonkeyPatch, compute: object) -> tuple[object, object]:
    """``compute()`` in pure Python and with numpy (every series counted as long)."""
    assert callable(compute)
    with monkeypatch.context() as patch:
        patch.setattr(trends_module, "LONG_SERIES", 10**9)
        pure = compute()
    with monkeypatch.context() as patch:
        patch.setattr(trends_module, "LONG_SERIES", 1)
        vectorised = compute()
    return pure, vectorised


@settings(max_examples=200, deadline=None)
@given(series=values, window=st.integers(min_value=1, max_value=12))
def test_summaries_are_equal(series: list[float | None], window: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        pure, vectorised = both(monkeypatch, lambda: summarize(series, window))
    assert pure == vectorised


@settings(max_examples=100, deadline=None)
@given(
    walls=st.lists(st.floats(min_value=1, max_value=1e4, allow_nan=False), max_size=120),
    window=st.integers(min_value=1, max_value=12),
)
def test_rolling_regressions_are_equal(walls: list[float], window: int) -> None:
    runs = [run(index, wall) for index, wall in enumerate(walls, start=1)]
    with pytest.MonkeyPatch.context() as monkeypatch:
        pure, vectorised = both(monkeypatch, lambda: trends(runs, window=window))
    assert pure == vectorised


def test_a_long_history_with_gaps_and_jumps(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1,500 runs, one in 101 twice as slow; the "test" stage missing from one in 13.
    rng = random.Random(7)
    runs = []
    for index in range(1, 1500):
        wall = rng.uniform(90, 110) * (2 if index % 101 == 0 else 1)
        stages = dict(run(index, wall, stages={"build": wall * 0.7}).stages)
        if index % 13:
            stages["test"] = StageMetrics(rng.uniform(5, 9), 1.0, 0.5, 7, index % 8)
        runs.append(dataclasses.replace(run(index, wall), stages=stages))
    assert len(runs) > trends_module.LONG_SERIES and MIN_BASELINE_RUNS == 3
    for window in (10, 5, 2):
        pure, vectorised = both(monkeypatch, lambda w=window: trends(runs, window=w))
        assert pure == vectorised
        # (a baseline of 2 runs is too short to call anything a regression)
        assert bool(pure.regressions) == (window >= MIN_BASELINE_RUNS)  # type: ignore[attr-defined]
        pure, vectorised = both(monkeypatch, lambda w=window: trends(runs, stage="test", window=w))
        assert pure == vectorised
