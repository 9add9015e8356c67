"""Trends over runs and the robust regression gate (median / MAD)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from profiler.analysis import analyze
from profiler.analysis.trends import (
    RunMetrics,
    StageMetrics,
    check_regression,
    mad,
    median,
    run_metrics,
    summarize,
    trends,
)
from profiler.sources import read_build
from tests.store.builds import app_build

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def run(
    index: int,
    wall: float,
    *,
    stages: dict[str, float] | None = None,
    cache: float = 0.5,
) -> RunMetrics:
    stage_busy = stages if stages is not None else {"build": wall * 0.8, "test": wall * 0.2}
    return RunMetrics(
        run_id=index,
        started_at=T0 + timedelta(hours=index),
        status="success",
        wall_seconds=wall,
        critical_path_seconds=wall * 0.9,
        sequential_seconds=wall * 1.5,
        lower_bound_seconds=wall * 0.8,
        cache_hit_ratio=cache,
        stages={
            label: StageMetrics(
                busy_seconds=busy,
                sequential_seconds=busy,
                critical_path_seconds=busy,
                steps=4,
                cached=2,
            )
            for label, busy in stage_busy.items()
        },
    )


NOISY = [100.0, 104.0, 97.0, 101.0, 99.0, 103.0, 98.0, 102.0, 100.0, 96.0]


def test_median_and_mad() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([]) == 0.0
    assert mad([1.0, 2.0, 3.0, 4.0, 100.0]) == 1.0  # one outlier barely moves it


def test_a_run_within_the_threshold_passes() -> None:
    history = [run(i, wall) for i, wall in enumerate(NOISY)]
    result = check_regression(run(10, 115.0), history, max_regression=0.2)
    assert result.verdict == "ok" and not result.regression
    assert result.baseline_median == pytest.approx(100.0)
    assert result.limit == pytest.approx(120.0)
    assert result.ratio == pytest.approx(0.15)


def test_a_slow_run_is_a_regression_naming_the_stage_responsible() -> None:
    history = [run(i, wall) for i, wall in enumerate(NOISY)]
    slow = run(10, 130.0, stages={"build": 80.0, "test": 50.0})
    result = check_regression(slow, history, max_regression=0.2)
    assert result.verdict == "regression"
    assert [verdict.stage for verdict in result.stages] == ["test"]
    assert result.stages[0].delta == pytest.approx(30.0)
    assert result.stages[0].ratio == pytest.approx(1.5)


def test_one_outlier_in_the_baseline_neither_hides_nor_raises_an_alarm() -> None:
    history = [run(i, wall) for i, wall in enumerate(NOISY)]
    history[4] = run(4, 400.0)  # a machine that was swapping
    assert check_regression(run(10, 130.0), history).regression
    assert not check_regression(run(10, 105.0), history).regression


def test_a_noisy_history_widens_the_limit() -> None:
    noisy = [run(i, wall) for i, wall in enumerate([60, 140, 80, 120, 100, 70, 130, 90, 110, 100])]
    result = check_regression(run(10, 125.0), noisy, max_regression=0.2, noise_sigmas=3.0)
    assert result.limit > 120.0
    assert not result.regression
    assert check_regression(run(10, 125.0), noisy, noise_sigmas=0.0).regression


def test_only_the_last_n_runs_form_the_baseline() -> None:
    history = [run(i, 200.0) for i in range(10)] + [run(10 + i, 100.0) for i in range(5)]
    result = check_regression(run(20, 130.0), history, baseline_runs=5)
    assert [past.run_id for past in result.baseline] == [10, 11, 12, 13, 14]
    assert result.regression


def test_too_little_history_is_not_judged() -> None:
    result = check_regression(run(3, 500.0), [run(0, 100.0), run(1, 100.0)])
    assert result.verdict == "insufficient-history"
    assert not result.regression


def test_a_new_stage_can_be_responsible() -> None:
    history = [run(i, wall) for i, wall in enumerate(NOISY)]
    grown = run(10, 140.0, stages={"build": 80.0, "test": 20.0, "docs": 40.0})
    result = check_regression(grown, history)
    assert result.stages[0].stage == "docs"
    assert result.stages[0].ratio is None  # not in the baseline at all


def test_trends_summarise_each_metric_and_stage() -> None:
    runs = [run(i, 100.0 + 2.0 * i) for i in range(20)]
    trend = trends(runs, window=5)
    wall = trend.series["wall_seconds"]
    assert wall.values[0] == 100.0 and wall.values[-1] == 138.0
    assert wall.summary.slope_per_run == pytest.approx(2.0)
    assert wall.summary.change == pytest.approx(30.0)  # median of last 5 - first 5
    assert set(trend.stages) == {"build", "test"}
    assert next(iter(trend.stages)) == "build"  # longest stage first
    assert trend.stages["test"]["busy_seconds"].summary.slope_per_run == pytest.approx(0.4)
    assert trend.regressions == ()  # a slow drift is no single-run regression


def test_trends_flag_the_runs_that_jumped() -> None:
    runs = [run(i, wall) for i, wall in enumerate(NOISY)]
    runs += [run(10, 150.0, stages={"build": 80.0, "test": 70.0}), run(11, 101.0)]
    trend = trends(runs, window=10)
    assert [result.run.run_id for result in trend.regressions] == [10]
    assert trend.regressions[0].stages[0].stage == "test"


def test_trends_of_one_stage_judge_that_stage() -> None:
    runs = [run(i, 100.0, stages={"build": 80.0, "test": 20.0}) for i in range(8)]
    runs.append(run(8, 100.0, stages={"build": 50.0, "test": 50.0}))
    trend = trends(runs, stage="test")
    assert list(trend.stages) == ["test"]
    assert [result.run.run_id for result in trend.regressions] == [8]
    assert trends(runs).regressions == ()  # the wall time did not move


def test_a_stage_missing_from_some_runs_has_gaps() -> None:
    runs = [run(0, 100.0), run(1, 100.0, stages={"build": 80.0})]
    values = trends(runs).stages["test"]["busy_seconds"].values
    assert values == (20.0, None)


def test_summaries_of_nothing() -> None:
    empty = summarize([], 10)
    assert empty.count == 0 and empty.median is None
    assert trends([]).runs == ()


def test_run_metrics_of_a_build() -> None:
    build = read_build(io.BytesIO(app_build(base_cached=True).one_line()))
    metrics = run_metrics(build, analyze(build), run_id=7, git_branch="main")
    assert metrics.run_id == 7 and metrics.git_branch == "main"
    assert metrics.wall_seconds == pytest.approx(4.2)
    assert metrics.stages["slow"].busy_seconds == pytest.approx(3.0)
    assert metrics.stages["base"].cached == 1
    assert metrics.cache_hit_ratio == pytest.approx(0.25)
