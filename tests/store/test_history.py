"""What a trend reads (``Store.history``, :mod:`profiler.store.history`): the stages'
figures packed in each run's row (binary since schema 7) give exactly what the
``stages`` rows give, so every trend is the same, on SQLite and PostgreSQL; and
migrations 6 and 7 pack the figures of runs stored before them."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import inspect, or_, select, text, update

from benchmarks.history import context_of, old_history, synthetic_stream
from profiler.analysis.trends import trends
from profiler.store import Store, migrations, run_context
from profiler.store.migrations import LATEST
from profiler.store.schema import runs
from tests.store.builds import app_build

RUNS = 14


@pytest.fixture
def store(db_url: str) -> Any:
    """A history of two builds: 14 runs of a 10-stage build (stages cached or not, one
    run in 97 cold; ~40 % of them not on main) and, among them, runs of a small build
    with other stages (one failed, one with a stage the others lack)."""
    with Store(db_url) as opened:
        for index in range(RUNS):
            opened.ingest(synthetic_stream(index), context=context_of(index))
            if index % 9 == 4:
                small = app_build(at=index * 600.0 + 5, extra_step=index % 2 == 0,
                                  fail=index == 13)  # fmt: skip
                opened.ingest(small.one_line(), context=run_context(labels={"arch": "amd64"}))
        yield opened


CASES: list[dict[str, Any]] = [
    {},
    {"limit": 10},
    {"branch": "main"},
    {"labels": {"arch": "arm64"}},
    {"stage": "stage-03"},
    {"stage": "final", "limit": 20},
    {"stage": "no-such-stage"},
]


def test_the_packed_figures_give_the_runs_and_trends_the_stage_rows_give(store: Store) -> None:
    for case in CASES:
        new, old = store.history(**case), old_history(store, **case)
        assert new == old, case
        assert len(new) > 0 and all(type(run.wall_seconds) is float for run in new)
        # the moments as the typed column gives them (SQLite: parsed from its text)
        assert [run.started_at for run in new] == [run.started_at for run in old]
        assert all(run.started_at.tzinfo is UTC for run in new), case
        stage = case.get("stage")
        assert trends(new, stage=stage) == trends(old, stage=stage), case
        assert trends(new, stage=stage, window=4) == trends(old, stage=stage, window=4), case
    # The history has what the comparison needs: two builds' stages (some runs lack
    # some), several branches, the failed run left out.
    every = store.history()
    labels = {label for run in every for label in run.stages}
    assert {"stage-00", "stage-09"} <= labels and len(labels) > 10
    assert any("stage-00" not in run.stages for run in every)
    assert {run.git_branch for run in every} >= {"main", "develop"}
    assert store.count() > len(every)  # the failed run


def test_runs_without_packed_figures_read_their_stage_rows(store: Store) -> None:
    with store._engine.begin() as connection:
        connection.execute(
            update(runs).where(runs.c.id % 3 == 0).values(stage_labels=None, stage_figures=None)
        )
    for case in CASES:
        new, old = store.history(**case), old_history(store, **case)
        assert new == old, case
        assert trends(new, stage=case.get("stage")) == trends(old, stage=case.get("stage"))
    # reanalyze packs them again (the packed figures are derived columns)
    with store.connection() as connection:
        unpacked = connection.execute(select(runs.c.id).where(runs.c.stage_figures.is_(None)))
        ids = [run_id for (run_id,) in unpacked]
    assert ids and store.reanalyze(ids).reanalyzed == len(ids)
    with store.connection() as connection:
        assert (
            connection.execute(select(runs.c.id).where(runs.c.stage_figures.is_(None))).all() == []
        )
    assert store.history() == old_history(store)


def as_schema_6(store: Store) -> None:
    """Take the store's database back to schema 6: the stage figures packed as JSON
    (``stage_metrics``, filled from the stage rows as migration 6 does)."""
    with store._engine.begin() as connection:
        connection.execute(text("ALTER TABLE runs DROP COLUMN stage_labels"))
        connection.execute(text("ALTER TABLE runs DROP COLUMN stage_figures"))
        migrations.MIGRATIONS[5](connection)
        connection.execute(text("UPDATE kitprof_schema SET version = 6"))


def test_migration_7_packs_the_figures_of_schema_6_as_binary(store: Store, db_url: str) -> None:
    # GIVEN a history at schema 6, its figures packed as JSON
    expected = old_history(store)
    as_schema_6(store)
    with store.connection() as connection:
        assert "stage_metrics" in {c["name"] for c in inspect(connection).get_columns("runs")}
    # WHEN kitprof opens it
    with Store(db_url) as reopened:
        # THEN every run has its figures packed as binary, the JSON column is gone
        with reopened.connection() as connection:
            assert connection.execute(text("SELECT version FROM kitprof_schema")).scalar() == LATEST
            columns = {column["name"] for column in inspect(connection).get_columns("runs")}
            unfilled = or_(runs.c.stage_figures.is_(None), runs.c.stage_labels.is_(None))
            assert connection.execute(select(runs.c.id).where(unfilled)).all() == []
        assert "stage_metrics" not in columns
        # and the history is the same, to the last bit
        for case in CASES:
            assert reopened.history(**case) == old_history(reopened, **case), case
        assert reopened.history() == expected
        assert trends(reopened.history()) == trends(expected)


def test_migration_6_fills_the_packed_figures_of_stored_runs(store: Store, db_url: str) -> None:
    # GIVEN the history as schema 5 had it: no packed figures at all
    expected = old_history(store)
    with store._engine.begin() as connection:
        connection.execute(text("ALTER TABLE runs DROP COLUMN stage_labels"))
        connection.execute(text("ALTER TABLE runs DROP COLUMN stage_figures"))
        connection.execute(text("UPDATE kitprof_schema SET version = 5"))
    # WHEN kitprof opens it (migrations 6 and 7)
    with Store(db_url) as reopened:
        # THEN every run has its figures packed, equal to its stage rows
        with reopened.connection() as connection:
            assert connection.execute(text("SELECT version FROM kitprof_schema")).scalar() == LATEST
            unfilled = or_(runs.c.stage_figures.is_(None), runs.c.stage_labels == "[]")
            empty = connection.execute(select(runs.c.id).where(unfilled)).all()
        assert empty == []
        assert reopened.history() == expected
        assert trends(reopened.history()) == trends(expected)
