"""``kitprof run`` on real builds: a real daemon, buildx and BuildKit.

Each test builds one of the small Dockerfiles in builds/ (a few seconds each) with a
fresh NONCE, so "cold" means cold on a daemon other sessions share.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import profiler
from profiler.capture import read_run_info
from profiler.runfile import run_info_path
from tests.integration.conftest import BUILDS, Kitprof

pytestmark = pytest.mark.docker


def report_of(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def analyze_saved(stream: Path) -> dict[str, Any]:
    """The saved stream re-analysed from disk, as a user would later."""
    result = subprocess.run(
        [sys.executable, "-m", "profiler", "analyze", "--json", str(stream)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    saved: dict[str, Any] = json.loads(result.stdout)
    return saved


def steps_named(report: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [step for step in report["steps"] if step["name"].startswith(prefix)]


def buildx(kitprof: Kitprof, name: str, nonce: str, *extra: str) -> list[str]:
    return [
        "docker",
        "buildx",
        "build",
        "--network=none",
        "--build-arg",
        f"NONCE={nonce}",
        "--tag",
        kitprof.tag(name),
        *extra,
        ".",
    ]


def test_parallel_stages_critical_path_goes_through_the_longest_stage(
    kitprof: Kitprof, nonce: str
) -> None:
    result = kitprof.run(
        "--json", "--", *buildx(kitprof, "parallel", nonce), cwd=BUILDS / "parallel"
    )
    report = report_of(result)
    assert report["run"]["exit_code"] == 0
    assert report["run"]["tool"] == "docker buildx build"
    by_stage = report["critical_path_by_stage"]
    assert by_stage["long"] >= 2.5
    assert "quick" not in by_stage and "medium" not in by_stage
    assert any(name.startswith("[long 1/1] RUN") for name in report["critical_path"])
    assert report["peak_concurrency"] >= 2  # the three branches overlap
    assert report["failure"] is None
    # Metadata a later comparison needs, through python-on-whales.
    run = report["run"]
    assert run["docker"]["driver"] == "docker"
    assert run["docker"]["server_version"] and run["docker"]["buildx_version"]
    assert run["context"] == str(BUILDS / "parallel")
    assert run["git"] is None or len(run["git"]["commit"]) == 40
    assert run["host"]["cpu_count"] >= 1
    # The saved stream is the source of truth: analysing it again gives the same build.
    saved = analyze_saved(Path(report["stream"]))
    assert saved["critical_path"] == report["critical_path"]
    assert saved["wall_seconds"] == report["wall_seconds"]
    # Stored in the history (the data directory's SQLite file) with that metadata.
    listed = subprocess.run(
        [sys.executable, "-m", "profiler", "runs", "--json"],
        env=kitprof.env(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    (stored,) = json.loads(listed.stdout)["runs"]
    assert stored["id"] == report["stored_run"]
    assert stored["status"] == "success"
    assert stored["wall_seconds"] == pytest.approx(report["wall_seconds"], abs=1e-3)
    assert stored["versions"]["buildx"] == run["docker"]["buildx_version"]
    assert stored["context"] == str(BUILDS / "parallel")


def test_a_rebuild_is_fully_cached(kitprof: Kitprof, nonce: str) -> None:
    argv = buildx(kitprof, "cached", nonce)
    cold = report_of(kitprof.run("--json", "--", *argv, cwd=BUILDS / "parallel"))
    assert cold["cache"]["executed"] > 0
    warm = report_of(kitprof.run("--json", "--", *argv, cwd=BUILDS / "parallel"))
    # FROM resolves the base image: BuildKit never marks it cached (see CacheSummary).
    instructions = [
        step for step in warm["steps"] if step["kind"] == "step" and step["instruction"] != "FROM"
    ]
    assert len(instructions) == 8
    assert all(step["status"] == "cached" for step in instructions), [
        (step["name"], step["status"]) for step in instructions
    ]
    assert warm["cache"]["executed"] == 0
    assert warm["cache"]["hit_ratio"] == 1.0
    # (Not wall_seconds: on a shared daemon, the FROM vertex may carry the start time of
    # another build of the same base image that was running at that moment.)
    assert warm["sequential_seconds"] < cold["sequential_seconds"]


def test_a_failing_test_stage_fails_kitprof_with_the_build_code(
    kitprof: Kitprof, nonce: str
) -> None:
    # A history that cannot be reached is a warning: the build's exit code still rules.
    result = kitprof.run(
        "--",
        *buildx(kitprof, "failing", nonce),
        cwd=BUILDS / "failing",
        KITPROF_DB="postgresql://kitprof@127.0.0.1:9/nowhere",
    )
    assert result.returncode == 1, result.stderr.decode()
    assert "run not stored in the history" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    stdout = result.stdout.decode()
    assert "failed: [test 1/1] RUN" in stdout
    assert "FAILED test_login: expected 200, got 500" in stdout
    # Not a terminal: plain progress lines on stderr, and buildx's ERROR line passed on.
    stderr = result.stderr.decode()
    assert (
        "ERROR: failed to" in stderr and "failed to solve" in stderr
    )  # buildx 0.29: "to build: failed to solve"
    assert "failed    test  RUN" in stderr
    stream = Path(stdout.split("stream: ", 1)[1].split()[0])
    saved = analyze_saved(stream)
    failure = saved["failure"]
    assert failure["step"].startswith("[test 1/1] RUN")
    assert failure["stage"] == "test"
    assert any(name.startswith("[build 1/1] RUN") for name in failure["cancelled"])
    assert read_run_info(run_info_path(stream)).exit_code == 1


def test_ctrl_c_cancels_the_build_and_keeps_the_partial_stream(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    out = tmp_path / "cancelled.rawjson"
    process = kitprof.start(
        "--out", str(out), "--", *buildx(kitprof, "cancel", nonce), cwd=BUILDS / "cancel"
    )
    try:
        deadline = time.monotonic() + 60
        # Both long branches announced and running for a while, then Ctrl-C.
        while time.monotonic() < deadline:
            data = out.read_bytes() if out.exists() else b""
            # (either layout: '"name": "' indented, buildx 0.13; '"name":"' one-line, 0.29)
            if len(re.findall(rb'"name": ?"\[left 1/1\] RUN', data)) >= 2 and (
                b'"[right 1/1] RUN' in data
            ):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the build never started its long branches")
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr.decode()
    assert b"SIGINT forwarded to the build" in stderr
    assert "cancelled" in stdout.decode()
    saved = analyze_saved(out)
    statuses = {step["name"].split("]")[0] + "]": step["status"] for step in saved["steps"]}
    assert statuses["[left 1/1]"] == "cancelled"
    assert statuses["[right 1/1]"] == "cancelled"
    info = read_run_info(run_info_path(out))
    assert info.interrupted
    assert info.exit_code not in (None, 0)
    assert info.wall_seconds is not None and info.wall_seconds < 20  # not the full 20 s


def test_bake_with_two_targets(kitprof: Kitprof, nonce: str) -> None:
    tag = kitprof.tag("unused").rsplit(":", 1)[1]
    kitprof.tags += [f"kitprof-test/bake-api:{tag}", f"kitprof-test/bake-web:{tag}"]
    result = kitprof.run(
        "--json",
        "--",
        "docker",
        "buildx",
        "bake",
        "api",
        "web",
        cwd=BUILDS / "bake",
        NONCE=nonce,
        TAG=tag,
    )
    report = report_of(result)
    assert report["run"]["tool"] == "docker buildx bake"
    # Not FROM: its vertex is shared by every build of the base image on the daemon,
    # and a build running beside this one may have named it first.
    targets = {
        step["target"]
        for step in report["steps"]
        if step["kind"] == "step" and step["instruction"] != "FROM"
    }
    assert targets == {"api", "web"}
    assert steps_named(report, "[api api 1/1] RUN")
    assert steps_named(report, "[web web 1/1] RUN")
    assert {stage["target"] for stage in report["stages"]} >= {"api", "web"}


def test_docker_build_selects_rawjson_through_the_environment(kitprof: Kitprof, nonce: str) -> None:
    argv = ["docker", "build", "--network=none", "--build-arg", f"NONCE={nonce}"]
    # The user's own BUILDKIT_PROGRESS=plain would leave nothing to profile: overridden.
    result = kitprof.run(
        "--json",
        "--",
        *argv,
        "-t",
        kitprof.tag("docker-build"),
        ".",
        cwd=BUILDS / "parallel",
        BUILDKIT_PROGRESS="plain",
    )
    report = report_of(result)
    assert report["run"]["tool"] == "docker build"
    assert steps_named(report, "[long 1/1] RUN")
    assert "long" in report["critical_path_by_stage"]


def test_an_unreachable_daemon_is_one_line_not_a_traceback(
    kitprof: Kitprof, tmp_path: Path
) -> None:
    result = kitprof.run(
        "--",
        "docker",
        "buildx",
        "build",
        "--network=none",
        ".",
        cwd=BUILDS / "parallel",
        DOCKER_HOST=f"unix://{tmp_path}/no-daemon.sock",
    )
    assert result.returncode != 0
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    assert "kitprof: nothing to analyse" in stderr
    (info_path,) = (kitprof.data_dir / "runs").glob("*.run.json")
    info = read_run_info(info_path)
    assert info.exit_code == result.returncode
    assert info.docker is not None and info.docker.error


def test_profile_build_python_api(
    kitprof: Kitprof, nonce: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITPROF_DATA_DIR", str(kitprof.data_dir))
    profile = profiler.profile_build(
        BUILDS / "parallel",
        target="final",
        build_args={"NONCE": nonce},
        tags=kitprof.tag("api"),
        network="none",
        out=tmp_path / "api.rawjson",
    )
    assert profile.ok, profile.problem
    assert profile.build is not None and profile.analysis is not None
    assert profile.analysis.critical_path_by_stage["long"] >= 2.5
    assert profile.stream_path == tmp_path / "api.rawjson"
    assert profile.run.tool == "docker buildx build"
    assert profile.run.docker is not None and profile.run.docker.driver == "docker"


@pytest.mark.parametrize("toolchain", ["legacy"], indirect=True)
def test_ingest_from_history_on_an_old_buildx_says_what_to_update(kitprof: Kitprof) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "profiler", "ingest", "--from-history", "--all"],
        env=kitprof.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "needs buildx 0.23 or newer" in line and "Traceback" not in line
