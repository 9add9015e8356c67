"""The run file survives a later ingest: ``kitprof run --no-store``, then ``kitprof ingest``.

A CI job often builds in one step and stores the run in another (or on another
machine, with another data directory). The run file ``kitprof run`` leaves beside the
stream must then give the history the command, the commit and the versions, as a
direct ``kitprof run`` would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from profiler.runfile import run_info_path
from tests.integration.conftest import BUILDS, Kitprof

pytestmark = pytest.mark.docker


def git(directory: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=kitprof", "-c", "user.email=kitprof@example.invalid", *args],
        cwd=directory,
        capture_output=True,
        check=True,
        text=True,
    )
    return result.stdout.strip()


def kitprof_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    # The default history of that data directory, whatever the environment says.
    env = {key: value for key, value in os.environ.items() if key != "KITPROF_DB"}
    env["KITPROF_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_saved_stream_ingested_later_keeps_its_command_commit_and_versions(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    if shutil.which("git") is None:
        pytest.skip("no git")
    # GIVEN a build context in a git repository with one commit
    context = tmp_path / "context"
    shutil.copytree(BUILDS / "parallel", context)
    git(context, "init", "-q", "-b", "topic")
    git(context, "add", ".")
    git(context, "commit", "-q", "-m", "the build")
    commit = git(context, "rev-parse", "HEAD")
    tag = kitprof.tag("runfile")
    out = tmp_path / "saved" / "build.rawjson"
    # WHEN kitprof runs the build without storing it, saving the stream
    command = [
        "docker", "buildx", "build", "--network=none",
        "--build-arg", f"NONCE={nonce}", "--tag", tag, ".",
    ]  # fmt: skip
    result = kitprof.run("--no-store", "--out", str(out), "--", *command, cwd=context)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert run_info_path(out).is_file()
    assert not (kitprof.data_dir / "history.db").exists()  # --no-store: nothing stored
    # AND a fresh data directory ingests the saved stream later
    fresh = tmp_path / "fresh-data"
    ingested = kitprof_cli("ingest", "--no-ci", "--json", str(out), data_dir=fresh)
    assert ingested.returncode == 0, ingested.stderr.decode()
    listed = kitprof_cli("runs", "--json", data_dir=fresh)
    assert listed.returncode == 0, listed.stderr.decode()
    # THEN the history holds the run with what the run file says
    runs: list[dict[str, Any]] = json.loads(listed.stdout)["runs"]
    (run,) = runs
    assert run["command"] == " ".join(command)
    assert run["git"] == {"commit": commit, "branch": "topic"}
    assert run["context"] == str(context.resolve())
    info = json.loads(run_info_path(out).read_bytes())
    docker = info["docker"]
    assert docker["server_version"] and docker["buildx_version"]
    versions = run["versions"]
    assert versions["docker"] == docker["server_version"]
    assert versions["buildx"] == docker["buildx_version"]
    assert versions["kitprof"] == info["kitprof_version"]
