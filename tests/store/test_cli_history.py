"""The history commands: ingest, runs, compare, trends, check, reanalyze.

In process through Typer's runner (fast), plus real subprocess runs of the console
script for exit codes and messages as users see them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from profiler.cli import app
from profiler.cli.history import ENV_VAR
from profiler.store import ENV_VAR as STORE_ENV_VAR
from profiler.store import StoreError
from tests.store.builds import app_build, history_streams

RUN_KEYS = {
    "id", "build", "started_at", "ingested_at", "status", "failed_step", "truncated",
    "wall_seconds", "sequential_seconds", "critical_path_seconds", "lower_bound_seconds",
    "parallelism", "vertices", "cache", "git", "ci", "command", "context", "host", "cores",
    "versions", "labels", "stream", "analysis",
}  # fmt: skip
CI_VARS = ("GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE", "TF_BUILD", "JENKINS_URL")


@pytest.fixture(autouse=True)
def _no_ci_and_wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*CI_VARS, ENV_VAR):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "160")


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def ok_json(*args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


@pytest.fixture
def history(db_url: str, tmp_path: Path) -> tuple[str, list[Path]]:
    """Twelve runs on main: eleven alike, the last one slower in "slow"."""
    files = []
    for index, raw in enumerate(history_streams(11)):
        path = tmp_path / f"run{index:02d}.rawjson"
        path.write_bytes(raw)
        files.append(path)
    slow = tmp_path / "run11.rawjson"
    slow.write_bytes(app_build(at=11 * 3600.0, slow=6.0).one_line())
    files.append(slow)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "main", "GITHUB_SHA": "abc"}
    result = cli("ingest", *map(str, files), "--db", db_url, "--label", "arch=amd64", env=env)
    assert result.exit_code == 0, result.output
    return db_url, files


def test_every_history_command_has_help() -> None:
    for command in ("ingest", "runs", "compare", "trends", "check", "reanalyze"):
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "--db" in result.stdout
    assert ENV_VAR == STORE_ENV_VAR


def test_ingest_detects_ci_and_reads_the_run_file(db_url: str, tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    stream.write_bytes(app_build().one_line())
    (tmp_path / "build.rawjson.run.json").write_bytes(
        orjson.dumps({"command": ["docker", "buildx", "bake"], "context": "/src"})
    )
    env = {
        "CIRCLECI": "true",
        "CIRCLE_BRANCH": "topic",
        "CIRCLE_SHA1": "f00",
        "CIRCLE_BUILD_URL": "https://circle.example/1",
    }
    report = json.loads(
        cli("ingest", str(stream), "--db", db_url, "--json", "--label", "os=linux", env=env).stdout
    )
    assert report["errors"] == []
    [entry] = report["ingested"]
    keys = {"file", "run_id", "created", "sha256", "build_index", "build_name", "labels_added",
            "labels_refused"}  # fmt: skip
    assert entry.keys() == keys and entry["created"]
    [run] = ok_json("runs", "--db", db_url)["runs"]
    assert run.keys() == RUN_KEYS
    assert run["git"] == {"commit": "f00", "branch": "topic"}
    assert run["ci"]["provider"] == "circleci"
    assert run["ci"]["run_url"] == "https://circle.example/1"
    assert run["command"] == "docker buildx bake" and run["context"] == "/src"
    assert run["labels"] == {"os": "linux"}
    assert run["cache"].keys() == {"steps", "cached", "executed", "hit_ratio"}
    again = cli("ingest", str(stream), "--db", db_url, env=env)
    assert again.stdout.strip() == f"{stream}: already stored as run {entry['run_id']}"


def test_ingest_reports_bad_files_and_stores_the_good_ones(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "good.rawjson"
    good.write_bytes(app_build().one_line())
    garbage = tmp_path / "garbage.rawjson"
    garbage.write_bytes(b"not a stream\n")
    missing = tmp_path / "missing.rawjson"
    result = cli("ingest", str(garbage), str(good), str(missing), "--db", db_url, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [entry["file"] for entry in report["ingested"]] == [str(good)]
    assert [entry["file"] for entry in report["errors"]] == [str(garbage), str(missing)]
    assert "nothing stored" in report["errors"][0]["error"]
    assert "cannot read" in report["errors"][1]["error"]
    assert ok_json("runs", "--db", db_url)["total"] == 1


def test_ingest_again_with_labels_says_what_became_of_them(db_url: str, tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    stream.write_bytes(app_build().one_line())
    assert cli("ingest", str(stream), "--db", db_url, "--label", "arch=amd64").exit_code == 0
    added = cli("ingest", str(stream), "--db", db_url, "--label", "runner=r1")
    assert added.exit_code == 0
    assert added.stdout.strip().endswith("already stored as run 1; labels added: runner=r1")
    refused = cli("ingest", str(stream), "--db", db_url, "--label", "arch=arm64", "--json")
    assert refused.exit_code == 1
    document = json.loads(refused.stdout)
    entry = document["ingested"][0]
    assert entry["created"] is False and entry["labels_added"] == {}
    assert entry["labels_refused"] == {"arch": {"given": "arm64", "stored": "amd64"}}
    assert "none added: arch=arm64 (the run has arch=amd64)" in document["errors"][0]["error"]
    assert "Error: " in refused.stderr and refused.stderr.count("\n") == 1
    assert ok_json("runs", "--db", db_url)["runs"][0]["labels"] == {"arch": "amd64", "runner": "r1"}


def test_bad_labels_are_usage_errors(db_url: str, tmp_path: Path) -> None:
    result = cli("runs", "--db", db_url, "--label", "novalue")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_runs_lists_newest_first_with_filters(history: tuple[str, list[Path]]) -> None:
    db, _ = history
    listed = ok_json("runs", "--db", db, "--limit", "3")
    assert listed["total"] == 12
    assert [run["id"] for run in listed["runs"]] == [12, 11, 10]
    assert ok_json("runs", "--db", db, "--branch", "other")["runs"] == []
    assert ok_json("runs", "--db", db, "--label", "arch=amd64", "--limit", "0")["total"] == 12
    table = cli("runs", "--db", db, "-n", "2")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["build", "run", "started", "(UTC)"]
    [build_name] = {run["build"] for run in listed["runs"]}
    assert lines[1].split()[:2] == [build_name, "12"]  # the build first, everywhere
    assert "2 of 12 runs" in table.stdout


def test_compare_runs_and_files(history: tuple[str, list[Path]]) -> None:
    db, files = history
    report = ok_json("compare", "latest~1", "latest", "--db", db)
    assert report.keys() >= {
        "a", "b", "wall_seconds", "critical_path_seconds", "sequential_seconds",
        "lower_bound_seconds", "cache_hit_ratio", "stages", "steps", "added", "removed",
        "became_uncached", "uncached_cost_seconds", "became_cached", "critical_path",
    }  # fmt: skip
    assert report["a"]["run"]["id"] == 11 and report["b"]["run"]["id"] == 12
    assert report["stages"][0]["stage"] == "slow"
    assert report["steps"][0]["key"] == "[slow] RUN make slow"
    assert report["wall_seconds"]["delta"] == pytest.approx(3.0, abs=0.1)
    assert report["critical_path"]["moved"] is False
    # A file and a stored run compare the same way; files alone need no database.
    mixed = ok_json("compare", str(files[10]), "12", "--db", db)
    assert mixed["a"] == {"file": str(files[10]), "run": None}
    assert mixed["steps"] == report["steps"]
    text = cli("compare", str(files[0]), str(files[11]), "--db", "/nonexistent/dir/x.db")
    assert text.exit_code == 0, text.output
    assert "[slow] RUN make slow" in text.stdout
    assert "critical path runs through the same steps" in text.stdout


def test_trends_json_and_table(history: tuple[str, list[Path]]) -> None:
    db, _ = history
    report = ok_json("trends", "--db", db)
    assert report.keys() >= {"filters", "runs", "metrics", "stages", "regressions"}
    assert [run["id"] for run in report["runs"]] == list(range(1, 13))
    wall = report["metrics"]["wall_seconds"]
    assert len(wall["values"]) == 12
    assert wall["summary"].keys() == {
        "count", "first", "last", "min", "max", "median", "mad", "change", "slope_per_run",
    }  # fmt: skip
    assert set(report["metrics"]) == {
        "wall_seconds", "critical_path_seconds", "sequential_seconds", "cache_hit_ratio",
    }  # fmt: skip
    assert set(report["stages"]["slow"]) == {
        "busy_seconds", "sequential_seconds", "critical_path_seconds", "cache_hit_ratio",
    }  # fmt: skip
    [regression] = report["regressions"]
    assert regression["run_id"] == 12
    assert regression["stages"][0]["stage"] == "slow"
    only = ok_json("trends", "--db", db, "--stage", "fast", "--last", "5")
    assert list(only["stages"]) == ["fast"] and len(only["runs"]) == 5
    table = cli("trends", "--db", db)
    assert table.exit_code == 0
    assert "1 regression(s)" in table.stdout and "run 12" in table.stdout


def test_check_passes_a_normal_run_and_fails_a_slow_one(history: tuple[str, list[Path]]) -> None:
    db, files = history
    ok = cli("check", "latest~1", "--db", db)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("ok: run 11")
    slow = cli("check", "latest", "--db", db, "--json")
    assert slow.exit_code == 3
    report = json.loads(slow.stdout)
    assert report["verdict"] == "regression" and report["exit_code"] == 3
    assert report["baseline"]["runs"] == list(range(2, 12))
    assert report["baseline"]["branch"] == "main"
    assert [stage["stage"] for stage in report["stages"]] == ["slow"]
    # A bigger allowance lets it through; a short baseline of too few runs is not judged.
    assert cli("check", "latest", "--db", db, "--max-regression", "150%").exit_code == 0
    early = cli("check", "2", "--db", db)
    assert early.exit_code == 0 and early.stdout.startswith("not judged")
    # A stream file not in the store is judged against the stored history.
    outside = files[11].with_name("outside.rawjson")
    outside.write_bytes(app_build(at=99 * 3600.0, slow=9.0).one_line())
    assert cli("check", str(outside), "--db", db).exit_code == 3
    assert cli("check", str(files[11]), "--db", db).exit_code == 3


def test_reanalyze_reports_what_it_did(history: tuple[str, list[Path]]) -> None:
    db, _ = history
    assert ok_json("reanalyze", "--db", db) == {
        "schema": 1,
        "database": ok_json("runs", "--db", db)["database"],
        "reanalyzed": 12,
        "failures": [],
    }
    result = cli("reanalyze", "3", "4", "--db", db)
    assert result.stdout.startswith("reanalysed 2 run(s)")
    missing = cli("reanalyze", "99", "--db", db)
    assert missing.exit_code == 1 and isinstance(missing.exception, StoreError)


# -- as users run it --------------------------------------------------------------------


def kitprof(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (*CI_VARS, ENV_VAR)}
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "120", **env},
        timeout=60,
        check=False,
    )


def test_the_console_script_gates_and_explains(
    history: tuple[str, list[Path]], tmp_path: Path
) -> None:
    db, _ = history
    gate = kitprof("check", "latest", KITPROF_DB=db)
    assert gate.returncode == 3
    assert gate.stdout.startswith("REGRESSION: run 12 took")
    assert "slow:" in gate.stdout
    down = kitprof("runs", "--db", "postgresql://kitprof:pw@127.0.0.1:9/none")
    assert down.returncode == 1
    assert down.stderr.startswith("Error: cannot open the history database postgresql://")
    assert "pw" not in down.stderr and "Traceback" not in down.stderr
    unknown = kitprof("compare", "latest", "999", "--db", db)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: no run 999")
