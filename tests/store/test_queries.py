"""The rows of the history query made runs' metrics (:func:`profiler.store.queries.
run_metrics`): the same objects as ``RunMetrics``' own constructor makes, from
SQLite's text moments and from PostgreSQL's naive datetimes alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profiler.analysis.trends import RunMetrics, StageMetrics
from profiler.store.queries import aware_moment, run_metrics
from profiler.store.stagefigures import pack_stage_figures

STAGES = [
    {"base": StageMetrics(1.5, 2.0, 0.5, 3, 1), "build": StageMetrics(4.0, 4.0, 4.0, 7, 0)},
    {"build": StageMetrics(2.25, 3.0, 1.0, 7, 7)},
]


def head(index: int, moment: object) -> tuple[object, ...]:
    """A run's figures before its stages, in ``HISTORY_COLUMNS``' order."""
    return (index, moment, "success", 10.0 + index, 5.0, 9.0, 4.0, 0.25, "main", f"c{index}")


def rows(moments: list[str] | list[datetime]) -> list[tuple[object, ...]]:
    return [
        (*head(index, moment), *pack_stage_figures(STAGES[index % 2]))
        for index, moment in enumerate(moments, start=1)
    ]


@pytest.mark.parametrize(
    "moments",
    [
        ["2025-01-01 00:10:00.000000", "2025-01-02 13:00:00.250000", "2025-01-03 00:00:00"],
        [datetime(2025, 1, 1, 0, 10), datetime(2025, 1, 2, 13, 0, 0, 250_000)],
    ],
    ids=["sqlite-text", "postgresql-datetimes"],
)
def test_rows_make_the_runs_the_constructor_makes(moments: list[str] | list[datetime]) -> None:
    made = run_metrics(rows(moments), None)
    expected = [
        RunMetrics(*head(index, aware_moment(moment)), STAGES[index % 2])  # type: ignore[arg-type]
        for index, moment in enumerate(moments, start=1)
    ]
    assert made == expected and all(type(run) is RunMetrics for run in made)
    assert [repr(run.started_at) for run in made] == [repr(run.started_at) for run in expected]
    assert all(run.started_at.tzinfo is UTC for run in made)  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        made[0].status = "failed"  # type: ignore[misc]  # still frozen
    only_build = run_metrics(rows(moments), "build")
    assert [dict(run.stages) for run in only_build] == [
        {"build": STAGES[index % 2]["build"]} for index in range(1, len(moments) + 1)
    ]


def test_a_moment_that_is_neither_is_an_error() -> None:
    with pytest.raises(AttributeError):
        run_metrics(rows([None]), None)  # type: ignore[list-item]
