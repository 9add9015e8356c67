"""``kitprof run -- docker compose build`` on the modern toolchain (Compose 2.40, which
builds through bake and writes the rawjson stream to stdout), and a run joined with
Docker's own record of it (buildx ≥ 0.23: exported and kept as the run's RECORD file).

builds/compose: three services FROM one base stage; FAIL=1 fails the worker's build.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from profiler.model import Build
from profiler.names import StepKind
from profiler.runfile import run_info_path
from profiler.sources import read_build, read_builds
from profiler.store import Store
from profiler.store.files import RECORD
from tests.integration.conftest import BUILDS, Kitprof, modern_only

pytestmark = [pytest.mark.docker, modern_only]

COMPOSE = BUILDS / "compose"
SERVICES = ["api", "web", "worker"]
CLIENT_SIDE = ("[internal] load local bake definitions", "resolving provenance for metadata file")
"""Vertices buildx makes itself, which the daemon's records never hold."""


def compose_env(kitprof: Kitprof, nonce: str, fail: bool = False) -> dict[str, str]:
    tag = nonce[:12]
    kitprof.tags.extend(f"kitprof-test/compose-{service}:{tag}" for service in SERVICES)
    return {"NONCE": nonce, "TAG": tag, "FAIL": "1" if fail else "0"}


def dockerfile_steps(build: Build) -> list[str]:
    return [s.name for s in build if s.kind is StepKind.STEP and s.parsed.instruction != "FROM"]


def cli(kitprof: Kitprof, *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        env=kitprof.env(),
        capture_output=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_compose_build_is_profiled_a_run_per_service_with_its_record(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    result = kitprof.run(
        "--db", db, "--display", "plain", "--", "docker", "compose", "build",
        cwd=COMPOSE, **compose_env(kitprof, nonce),
    )  # fmt: skip
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, stderr[-3000:]
    # Nothing of the stream is dumped onto the terminal: the report, compose's own
    # lines, kitprof's progress.
    for line in (stdout + stderr).splitlines():
        assert not line.lstrip().startswith('{"'), line[:200]
    assert "nothing to analyse" not in stderr
    assert stderr.count("  Built") == 3  # compose's stderr is passed through
    assert "Targets (a run each in the history)" in stdout
    # The saved stream (compose's stdout) read per target: the three services.
    (stream,) = (kitprof.data_dir / "runs").glob("*.rawjson")
    services = read_builds(stream, per_target=True)
    assert sorted(b.name or "" for b in services) == SERVICES
    steps = {b.name: dockerfile_steps(b) for b in services}
    # base's RUN is one vertex, built once and counted in each service
    assert {name: len(found) for name, found in steps.items()} == {"api": 3, "web": 2, "worker": 2}
    assert all(any(" base 2/2] RUN" in name for name in found) for found in steps.values())
    # The history: one run per service, named after it.
    runs = cli(kitprof, "runs", "--json", "--db", db)["runs"]
    assert sorted(r["labels"]["build"] for r in runs) == SERVICES
    assert sorted(r["build"] for r in runs) == [f"compose:{s}" for s in SERVICES]
    assert all(r["status"] == "success" for r in runs)
    # Each run keeps Docker's records of the session; its own gives the same steps.
    run_file = json.loads(run_info_path(stream).read_text())
    assert len(run_file["history_refs"]) == 3
    with Store(db) as store:
        for run in runs:
            data = store.file(run["id"], RECORD)
            assert data is not None
            records = {b.name: b for b in read_builds(data)}
            assert sorted(records) == SERVICES
            record = records[run["labels"]["build"]]
            assert record.record is not None and record.record.ref in run_file["history_refs"]
            (mine,) = [b for b in services if b.name == run["labels"]["build"]]
            daemon_side = {s.digest for s in mine if not s.name.endswith(CLIENT_SIDE)}
            assert {s.digest for s in record} == daemon_side


def test_a_failing_compose_build_keeps_its_exit_code_and_names_the_service(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    result = kitprof.run(
        "--json", "--no-store", "--", "docker", "compose", "build",
        cwd=COMPOSE, **compose_env(kitprof, nonce, fail=True),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr.decode()[-3000:]
    report = json.loads(result.stdout)  # the report alone: the stream went to the file
    assert report["failure"]["step"].startswith("[worker worker 1/1] RUN")
    failed = {t["name"]: t["failed_step"] for t in report["targets"]}
    assert sorted(failed) == SERVICES
    assert failed["worker"] is not None and failed["worker"].startswith("[worker worker 1/1]")
    assert "target worker: failed to solve" in result.stderr.decode()
    assert report["run"]["exit_code"] == 1


def test_a_buildx_run_keeps_its_record_which_reads_as_the_same_build(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    stream = tmp_path / "parallel.rawjson"
    result = kitprof.run(
        "--json", "--db", db, "--out", str(stream), "--",
        "docker", "buildx", "build", "--build-arg", f"NONCE={nonce}",
        "--tag", kitprof.tag("record"), ".",
        cwd=BUILDS / "parallel",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    report = json.loads(result.stdout)
    assert report["record"] == str(tmp_path / "parallel.dockerbuild")
    (ref,) = report["run"]["history_refs"]
    with Store(db) as store:
        data = store.file(report["stored_run"], RECORD)
    assert data is not None and data == Path(report["record"]).read_bytes()
    (record,) = read_builds(data)
    built = read_build(stream)
    assert record.record is not None and record.record.ref == ref
    assert record.record.build_args["NONCE"] == nonce
    assert {s.digest: (s.name, s.cached, s.status) for s in record} == {
        s.digest: (s.name, s.cached, s.status) for s in built
    }
    assert report["wall_seconds"] == pytest.approx(
        cli(kitprof, "analyze", "--json", report["record"])["wall_seconds"], rel=0.02
    )
