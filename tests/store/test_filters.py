"""The runs a filter picks are the same for the Store's listing queries
(:func:`profiler.store.filters.run_filters`) and for the history queries
(:func:`profiler.store.queries.run_conditions`): one SQL text, on both backends; and
they are the runs whose build, branch, status and labels are the ones asked for."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from profiler.store import Store, run_context
from profiler.store.filters import run_filters
from profiler.store.queries import run_conditions
from profiler.store.schema import runs
from tests.store.builds import app_build, history_streams


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Six runs of one build on two branches, labelled ``n`` (and ``odd`` for some),
    and a failed run of another build, without labels."""
    with Store(db_url) as opened:
        for index, raw in enumerate(history_streams(6)):
            labels = {"n": str(index % 3), **({"odd": "yes"} if index % 2 else {})}
            branch = "main" if index < 4 else "dev"
            opened.ingest(raw, context=run_context({"git": {"branch": branch}}, labels=labels))
        opened.ingest(app_build(at=99_000, fail=True).one_line(), context=run_context())
        yield opened


def test_both_filters_pick_the_runs_asked_for(store: Store) -> None:
    every = store.runs(limit=None)
    builds = sorted({run.build_name for run in every})
    assert len(every) == 7 and len(builds) == 2
    label_sets = [None, {}, {"n": "1"}, {"n": "1", "odd": "yes"}, {"odd": "no"}, {"n": "2"}]
    cases = itertools.product(
        [None, *builds], [None, "main", "dev"], [None, "success", "failed"], label_sets
    )
    picked_some = 0
    for build, branch, status, labels in cases:
        expected = [
            run.id
            for run in every
            if build in (None, run.build_name)
            and branch in (None, run.git_branch)
            and status in (None, run.status)
            and all(run.labels.get(key) == value for key, value in (labels or {}).items())
        ]
        asked = {"build": build, "branch": branch, "status": status, "labels": labels}
        assert [run.id for run in store.runs(limit=None, **asked)] == expected
        assert store.count(**asked) == len(expected)
        condition, parameters = run_conditions(
            build=build, branch=branch, labels=labels, statuses=status and (status,)
        )
        order = "ORDER BY started_at DESC, id DESC"
        with store.connection() as connection:
            where = f"WHERE {condition}" if condition else ""
            listed = connection.execute(text(f"SELECT id FROM runs {where} {order}"), parameters)
            assert [row[0] for row in listed] == expected
            filtered = select(runs.c.id).where(*run_filters(branch, labels, status, build))
            assert sorted(connection.execute(filtered).scalars()) == sorted(expected)
        picked_some += bool(expected)
    assert picked_some > 20


def test_no_filter_is_no_condition() -> None:
    assert run_filters(None, None, None) == [] and run_filters(None, {}, None) == []
    assert run_conditions() == ("", {})
