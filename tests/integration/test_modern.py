"""What only today's Docker has (28.5, buildx 0.29): the one-object-per-line stream and
the build's own history record, exported and read back, agreeing with that stream.

The build ref comes from the build's own ``--metadata-file`` (``buildx.build.ref``), not
from "the newest record": other sessions may build on the same daemon meanwhile.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from profiler.analysis import analyze
from profiler.sources import read_build
from tests.integration.conftest import BUILDS, Kitprof, modern_only

pytestmark = [pytest.mark.docker, modern_only]


def build_and_export(
    kitprof: Kitprof, name: str, nonce: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[bytes], Path, Path]:
    """``kitprof run`` a build of builds/NAME; its saved stream and its exported record."""
    metadata = tmp_path / f"{name}.metadata.json"
    stream = tmp_path / f"{name}.rawjson"
    result = kitprof.run(
        "--out", str(stream), "--no-store", "--",
        "docker", "buildx", "build", "--build-arg", f"NONCE={nonce}",
        "--metadata-file", str(metadata), "--tag", kitprof.tag(name), ".",
        cwd=BUILDS / name,
    )  # fmt: skip
    ref = ref_of(metadata) if metadata.exists() else newest_ref_of(kitprof, name)
    record = tmp_path / f"{name}.dockerbuild"
    subprocess.run(
        ["docker", "buildx", "history", "export", "--finalize", ref, "-o", str(record)],
        env=kitprof.env(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return result, stream, record


def ref_of(metadata: Path) -> str:
    data: dict[str, Any] = json.loads(metadata.read_text())
    return str(data["buildx.build.ref"]).rsplit("/", 1)[-1]


def newest_ref_of(kitprof: Kitprof, name: str) -> str:
    """A failed build writes no metadata file: its record is the newest of that context."""
    listed = subprocess.run(
        ["docker", "buildx", "history", "ls", "--format", "json"],
        env=kitprof.env(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    rows = [json.loads(line) for line in listed.stdout.decode().splitlines() if line.strip()]
    ours = [row for row in rows if str(row.get("name", "")).endswith(name)]
    newest = max(ours, key=lambda row: str(row["created_at"]))
    return str(newest["ref"]).rsplit("/", 1)[-1]


def test_the_stream_is_one_object_per_line_and_its_record_gives_the_same_build(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    result, stream_path, record_path = build_and_export(kitprof, "parallel", nonce, tmp_path)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    lines = [line for line in stream_path.read_bytes().splitlines() if line.strip()]
    assert lines and all(line.startswith(b"{") and line.endswith(b"}") for line in lines)
    stream, record = read_build(stream_path), read_build(record_path)
    assert record.record is not None and record.record.error is None
    # buildx adds one vertex of its own, after the build, for --metadata-file: the
    # daemon never saw it, so the record does not have it.
    client_side = [s for s in stream.steps if s.name == "resolving provenance for metadata file"]
    assert len(client_side) == 1
    assert {s.digest: (s.name, s.cached, s.status) for s in record.steps} == {
        s.digest: (s.name, s.cached, s.status) for s in stream.steps if s not in client_side
    }
    daemon_side = replace(stream, steps=tuple(s for s in stream.steps if s not in client_side))
    a, b = analyze(daemon_side), analyze(record)
    assert b.wall_seconds == pytest.approx(a.wall_seconds, rel=0.02)
    assert b.critical_path == a.critical_path
    assert record.record.dockerfile_text == (BUILDS / "parallel" / "Dockerfile").read_text()
    assert record.record.build_args["NONCE"] == nonce
    assert record.record.host_usage  # a build of a few seconds has samples every ~2 s


def test_a_failed_build_record_has_the_error_and_the_same_failure(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    result, stream_path, record_path = build_and_export(kitprof, "failing", nonce, tmp_path)
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    stream, record = read_build(stream_path), read_build(record_path)
    assert record.record is not None and record.record.error
    a, b = analyze(stream).failure, analyze(record).failure
    assert a is not None and b is not None and a.step is not None and b.step is not None
    assert b.step.digest == a.step.digest
    assert b.step.name.startswith("[test 1/1] RUN")
    assert {s.digest for s in record.steps} <= {s.digest for s in stream.steps}
    analyzed = subprocess.run(
        [sys.executable, "-m", "profiler", "analyze", "--json", str(record_path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert analyzed.returncode == 0, analyzed.stderr
    assert json.loads(analyzed.stdout)["record"]["error"] == record.record.error


def kitprof_cli(kitprof: Kitprof, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        env=kitprof.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_records_the_history_ref_and_ingest_from_history_stores_it_once(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    stream = tmp_path / "parallel.rawjson"
    result = kitprof.run(
        "--json", "--out", str(stream), "--no-store", "--",
        "docker", "buildx", "build", "--build-arg", f"NONCE={nonce}",
        "--tag", kitprof.tag("history"), ".",
        cwd=BUILDS / "parallel",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    refs = json.loads(result.stdout)["run"]["history_refs"]
    assert isinstance(refs, list) and len(refs) == 1
    first = kitprof_cli(kitprof, "ingest", "--json", "--from-history", refs[0])
    assert first.returncode == 0, first.stderr
    (stored,) = json.loads(first.stdout)["ingested"]
    assert stored["created"] is True
    again = kitprof_cli(kitprof, "ingest", "--json", "--from-history", refs[0])
    (same,) = json.loads(again.stdout)["ingested"]
    assert same == {**same, "created": False, "run_id": stored["run_id"]}
    runs = json.loads(kitprof_cli(kitprof, "runs", "--json").stdout)["runs"]
    assert [r["id"] for r in runs] == [stored["run_id"]]
    assert runs[0]["labels"]["history_ref"] == refs[0]
    # the stored record is the build kitprof ran: same wall time as its stream
    saved = json.loads(kitprof_cli(kitprof, "analyze", "--json", str(stream)).stdout)
    assert runs[0]["wall_seconds"] == pytest.approx(saved["wall_seconds"], rel=0.02)
    missing = kitprof_cli(kitprof, "ingest", "--from-history", "nosuchrecord0")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "Error: no record of this builder matches 'nosuchrecord0'"
    ]
