"""Runs belong to builds: the store names them, lists builds, and filters by build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from profiler.cli import app
from profiler.store import Store, run_context
from profiler.store.engine import database_url, make_engine
from profiler.store.migrations import LATEST, upgrade
from tests.store.builds import app_build


def context(folder: str, index: int, target: str | None = None) -> object:
    command = f"docker build {'--target ' + target + ' ' if target else ''}."
    return run_context(
        {"context": f"/src/{folder}", "command": command, "git": {"commit": f"{index:040x}"}}
    )


def fill(store: Store) -> None:
    for index in range(4):
        raw = app_build(at=index * 3600.0, slow=3.0 + index * 0.01).one_line()
        store.ingest(raw, context=context("shop", index))  # type: ignore[arg-type]
    for index in range(2):
        raw = app_build(at=(10 + index) * 3600.0, slow=30.0 + index).one_line()
        store.ingest(raw, context=context("shop", 10 + index, "api"))  # type: ignore[arg-type]


def test_runs_are_named_listed_and_filtered_by_build(db_url: str) -> None:
    with Store(db_url) as store:
        fill(store)
        builds = store.builds()
        assert [(b.name, b.runs) for b in builds] == [("shop:api", 2), ("shop", 4)]
        assert {r.build_name for r in store.runs(build="shop")} == {"shop"}
        assert store.count(build="shop:api") == 2
        history = store.history(build="shop")
        assert len(history) == 4 and max(run.wall_seconds for run in history) < 10
        assert store.resolve("latest", build="shop").build_name == "shop"


def test_build_name_overrides_the_derived_one(db_url: str) -> None:
    with Store(db_url) as store:
        ctx = run_context({"context": "/src/shop"}, build_name="nightly")
        result = store.ingest(app_build().one_line(), context=ctx)
        assert store.run(result.run_id).build_name == "nightly"


def test_a_version_2_database_names_its_runs_on_upgrade(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url(db_url))
    try:
        upgrade(engine, target=2)
        now = "2026-01-02 03:04:05"
        rows = [
            ("aa", "/src/shop", "docker build -f docker/ci.Dockerfile --target test .", None),
            ("bb", None, None, "artifacts/web/build.rawjson"),
        ]
        with engine.begin() as connection:
            for sha, ctx, command, source in rows:
                connection.execute(
                    text(
                        "INSERT INTO runs (stream_sha256, stream_bytes, source, started_at, "
                        "ingested_at, analyzed_at, derived_version, status, truncated, "
                        "wall_seconds, sequential_seconds, critical_path_seconds, "
                        "lower_bound_seconds, parallelism, vertex_count, cache_steps, "
                        "cached_steps, executed_steps, cache_hit_ratio, command, context) "
                        "VALUES (:sha, 1, :source, :now, :now, :now, 1, 'success', false, "
                        "1, 1, 1, 1, 1, 1, 0, 0, 0, 0, :command, :ctx)"
                    ),
                    {"sha": sha * 32, "source": source, "now": now, "command": command, "ctx": ctx},
                )
    finally:
        engine.dispose()
    with Store(db_url) as store:
        # Same start: by name.
        assert [b.name for b in store.builds()] == ["shop/docker/ci.Dockerfile:test", "web"]
        assert store.count(build="web") == 1
    engine = make_engine(database_url(db_url))
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version FROM kitprof_schema")).scalar()
            assert version == LATEST
    finally:
        engine.dispose()


@pytest.fixture
def filled(db_url: str) -> str:
    with Store(db_url) as store:
        fill(store)
    return db_url


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 3), (result.output, result.exception)
    return json.loads(result.stdout)


def test_runs_trends_and_check_take_one_build(filled: str) -> None:
    assert cli_json("runs", "--db", filled, "--build", "shop")["total"] == 4
    # trends: by default the newest run's build, never a median of both
    trend = cli_json("trends", "--db", filled)
    assert trend["filters"]["build"] == "shop:api"
    assert len(trend["runs"]) == 2
    trend = cli_json("trends", "--db", filled, "--build", "shop")
    assert len(trend["runs"]) == 4
    # check: the newest run (30 s, of shop:api) against its own build only; against
    # the 3 s runs of "shop" it would be a tenfold regression.
    checked = cli_json("check", "latest", "--db", filled, "--baseline", "5")
    assert checked["baseline"]["build"] == "shop:api"
    assert checked["baseline"]["count"] == 1  # not enough history: nothing judged
    assert checked["verdict"] != "regression"
    checked = cli_json("check", "latest", "--db", filled, "--build", "shop")
    assert checked["baseline"]["build"] == "shop"
    assert checked["baseline"]["count"] == 3
