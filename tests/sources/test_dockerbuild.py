"""Docker's build records (``.dockerbuild``) against the rawjson stream of the same build.

The pairs in ``sample_builds/*/modern/`` were recorded together on Docker 28.5 /
buildx 0.29 (``scripts/record-modern``): a build's ``--progress=rawjson`` stderr and
``docker buildx history export`` of that very build. Read from either, kitprof must
see the same build.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from profiler.analysis import analyze
from profiler.errors import StreamError
from profiler.model import Build
from profiler.names import StepKind
from profiler.sources import read_build, read_builds
from profiler.sources.detect import Format, detect
from profiler.sources.dockerbuild import status_events
from profiler.sources.protowire import WireError, fields

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
PAIRS = [
    ("parallel-stages", "cold"),
    ("parallel-stages", "cached"),
    ("failing-test", "failed"),
    ("secret-mount", "secret"),
    ("many-stages", "cold"),
    ("monorepo-target", "api"),
    ("cancelled", "cancelled"),
    ("layer-sizes", "cold"),
    ("layer-sizes", "grown"),
]


# buildx's own vertex when it writes --metadata-file (layer-sizes was recorded with
# one): the client resolves the provenance after the solve, so the daemon's record
# never has it.
CLIENT_ONLY = "resolving provenance for metadata file"


def pair(sample: str, name: str) -> tuple[Build, Build]:
    folder = SAMPLES / sample / "modern"
    stream = read_build(folder / f"{name}.rawjson")
    stream = replace(stream, steps=tuple(s for s in stream.steps if s.name != CLIENT_ONLY))
    return stream, read_build(folder / f"{name}.dockerbuild")


def by_digest(build: Build) -> dict[str, tuple[str, bool, str, str | None]]:
    return {s.digest: (s.name, s.cached, s.status.value, s.error) for s in build.steps}


@pytest.mark.parametrize(("sample", "name"), PAIRS)
def test_a_record_gives_the_build_its_rawjson_stream_gives(sample: str, name: str) -> None:
    stream, record = pair(sample, name)
    assert record.source_format == "dockerbuild"
    assert by_digest(record) == by_digest(stream)
    for step in stream.steps:
        if step.kind is not StepKind.EXPORTER:  # see the LLB edges' test
            assert record.step(step.digest).inputs == step.inputs
        assert record.step(step.digest).duration == pytest.approx(step.duration, abs=1e-5)
        assert len(record.step(step.digest).logs) == len(step.logs)
    a, b = analyze(stream), analyze(record)
    assert b.wall_seconds == pytest.approx(a.wall_seconds, rel=0.02)
    assert b.critical_path == a.critical_path
    assert b.critical_path_seconds == pytest.approx(a.critical_path_seconds, rel=0.02)
    # buildx shifts the times it prints by a constant few milliseconds (its clock, not
    # the daemon's); the record keeps the daemon's. Model times are the same.
    assert record.started_at is not None and stream.started_at is not None
    assert abs((record.started_at - stream.started_at).total_seconds()) < 0.05
    for step in stream.steps:
        times = [t for i in record.step(step.digest).intervals for t in (i.start, i.end)]
        assert times == pytest.approx(
            [t for i in step.intervals for t in (i.start, i.end)], abs=1e-5
        )


def test_the_cached_rebuild_record_says_which_steps_were_cached() -> None:
    _, record = pair("parallel-stages", "cached")
    cached = [s for s in record.steps if s.cached]
    assert len(cached) == 14
    assert all(s.parsed.stage for s in cached)
    assert record.record is not None and record.record.ref == "h10hxh8sogek87b5n0cj5pt8o"


def test_the_failed_build_record_keeps_its_error_and_stops_like_the_stream() -> None:
    stream, record = pair("failing-test", "failed")
    assert record.record is not None
    assert record.record.error == (
        'process "/bin/sh -c sh ./tests/run-tests.sh" did not complete successfully: exit code: 1'
    )
    failure_stream, failure_record = analyze(stream).failure, analyze(record).failure
    assert failure_stream is not None and failure_record is not None
    assert failure_record.step is not None and failure_stream.step is not None
    assert failure_record.step.digest == failure_stream.step.digest
    assert failure_record.error == failure_stream.error
    assert {s.digest for s in failure_record.cancelled} == {
        s.digest for s in failure_stream.cancelled
    }
    assert failure_record.log_tail == failure_stream.log_tail
    statuses = {s.name: s.status.value for s in record.steps}
    assert statuses["[test 2/2] RUN sh ./tests/run-tests.sh"] == "failed"
    assert any(name.startswith("[build 1/1]") and v == "cancelled" for name, v in statuses.items())


def test_a_bake_record_holds_one_build_per_target_named_as_the_stream_names_them() -> None:
    folder = SAMPLES / "bake-two-targets" / "modern"
    stream = read_build(folder / "bake.rawjson")
    records = read_builds(folder / "bake.dockerbuild")
    assert sorted(b.name or "" for b in records) == ["api", "web"]
    assert sorted(b.record.target or "" for b in records if b.record) == ["api", "web"]
    for build in records:
        for step in build.steps:
            seen = stream.step(step.digest)
            assert step.name in seen.names
            assert step.cached == seen.cached
            # a vertex both targets share is merged from both solves in the one stream
            assert step.duration == pytest.approx(seen.duration, rel=0.02, abs=0.005)
    # the web record stores one vertex's "started" snapshot after its "completed" one
    assert all(s.status.value == "done" for b in records for s in b.steps)
    only_in_stream = {s.digest for s in stream.steps} - {s.digest for b in records for s in b}
    assert [stream.step(d).name for d in only_in_stream] == [
        "[internal] load local bake definitions"
    ]
    ends = [b.timestamp(analyze(b).wall_seconds) for b in records]
    starts = [b.started_at for b in records]
    assert all(s is not None for s in starts) and all(e is not None for e in ends)
    union = max(e for e in ends if e) - min(s for s in starts if s)
    assert union.total_seconds() == pytest.approx(analyze(stream).wall_seconds, rel=0.02)


CLIENT_SIDE = ("[internal] load local bake definitions", "resolving provenance for metadata file")
"""Vertices buildx makes itself, around the solves: the daemon's records never hold them
(compose asks bake for a metadata file, hence one provenance vertex per service)."""


def test_a_compose_build_gives_a_build_per_service_as_its_records_do() -> None:
    folder = SAMPLES / "compose-services" / "modern"
    services = read_builds(folder / "compose.rawjson", per_target=True)
    records = {build.name: build for build in read_builds(folder / "compose.dockerbuild")}
    assert [b.name for b in services] == ["api", "web", "worker"]  # in order of appearance
    assert sorted(records) == ["api", "web", "worker"]
    for service in services:
        record = records[service.name]
        assert record.record is not None and record.record.target == service.name
        daemon_side = [s for s in service.steps if not s.name.endswith(CLIENT_SIDE)]
        assert {s.digest for s in daemon_side} == {s.digest for s in record.steps}
        assert len(service.steps) - len(daemon_side) == 1
        for step in daemon_side:
            seen = record.step(step.digest)
            assert seen.name in step.names  # a shared vertex is printed under each service
            assert seen.cached == step.cached and seen.status == step.status
            # a vertex services share is merged from their solves in the one stream
            assert seen.duration == pytest.approx(step.duration, rel=0.02, abs=0.005)
        a = analyze(replace(service, steps=tuple(daemon_side)))
        assert analyze(record).wall_seconds == pytest.approx(a.wall_seconds, rel=0.02)
    # the session read whole is one build whose stages carry their service
    session = read_build(folder / "compose.rawjson")
    assert {s.target for s in session.stages if s.target} == {"api", "web", "worker"}


def test_the_github_artifact_zip_reads_as_the_record_it_holds() -> None:
    folder = SAMPLES / "parallel-stages" / "modern"
    (zipped,) = read_builds(folder / "cold.zip")
    plain = read_build(folder / "cold.dockerbuild")
    assert by_digest(zipped) == by_digest(plain)
    assert zipped.record == plain.record


def test_records_are_detected_by_content_whatever_their_name(tmp_path: Path) -> None:
    folder = SAMPLES / "parallel-stages" / "modern"
    renamed = tmp_path / "build.log"
    renamed.write_bytes((folder / "cold.dockerbuild").read_bytes())
    assert read_build(renamed).record is not None
    raw_tar = gzip.decompress((folder / "cold.dockerbuild").read_bytes())
    assert detect([raw_tar]).format is Format.DOCKERBUILD
    assert read_build(raw_tar).record is not None
    # a zip is an archive of inputs: its .dockerbuild member is read as a record
    assert detect([(folder / "cold.zip").read_bytes()]).format is Format.ZIP


def test_the_record_carries_config_and_provenance_facts() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
    record = build.record
    assert record is not None
    assert record.ref == "9o6vwka4b83xk1wl64mw6b1an"
    assert record.frontend_attrs["filename"] == "Dockerfile"
    assert record.git_source == "https://github.com/example/kitprof-samples.git"
    assert record.git_revision is not None and len(record.git_revision) == 40
    dockerfile = (SAMPLES / "parallel-stages" / "Dockerfile").read_text()
    assert record.dockerfile_name == "Dockerfile"
    assert record.dockerfile_text == dockerfile
    lines = dockerfile.splitlines()
    for step in build.steps:
        ranges = record.step_lines.get(step.digest)
        if step.parsed.instruction == "RUN" and ranges:
            first = lines[ranges[0].start - 1]
            assert first.startswith("RUN"), (step.name, first)
    longest = max(build.steps, key=lambda s: s.duration)
    assert longest.name.startswith("[backend 2/3] RUN")
    assert lines[record.step_lines[longest.digest][0].start - 1].startswith("RUN for i in 1 2 3")
    assert [uri for uri, _ in record.base_images] == [
        "pkg:docker/kitprof/busybox@latest?platform=linux%2Famd64"
    ]


def test_host_usage_samples_fall_inside_the_build_and_are_percentages() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
    assert build.record is not None
    samples = build.record.host_usage
    assert len(samples) >= 3  # about one every 2 s of an ~8.4 s build
    wall = analyze(build).wall_seconds
    assert all(-2.5 < s.time < wall + 2.5 for s in samples)
    assert samples[0].cpu_busy_percent is None
    for sample in samples[1:]:
        assert sample.cpu_busy_percent is not None and 0 <= sample.cpu_busy_percent <= 100
        assert sample.memory_used_kib is not None and sample.memory_total_kib is not None
        assert 0 < sample.memory_used_kib < sample.memory_total_kib


def test_a_tar_that_is_not_a_record_is_refused_in_one_line() -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    with pytest.raises(StreamError, match="not an OCI layout"):
        read_builds(data.getvalue())


def test_a_zip_without_a_record_is_refused() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("notes.txt", "nothing here")
    with pytest.raises(StreamError, match=r"none of the 1 files of this zip archive"):
        read_builds(data.getvalue())


def test_a_cut_status_layer_is_an_error_not_a_crash() -> None:
    with pytest.raises(StreamError, match="ends inside a frame"):
        list(status_events(b"\x10\x00\x00\x00\x0a\x02", "cut"))


def test_the_wire_reader_decodes_varints_and_length_delimited_fields() -> None:
    # field 1 varint 300, field 3 string "hi", field 4 fixed32
    message = b"\x08\xac\x02" + b"\x1a\x02hi" + b"\x25\x01\x00\x00\x00"
    assert list(fields(message)) == [(1, 300), (3, b"hi"), (4, b"\x01\x00\x00\x00")]
    with pytest.raises(WireError):
        list(fields(b"\x1a\x05hi"))


def kitprof(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
        check=False,
    )


def test_suggest_on_a_record_shows_diffs_without_a_dockerfile_option() -> None:
    record = SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild"
    result = kitprof("suggest", "--json", str(record))
    assert result.returncode == 0, result.stderr
    suggestions = json.loads(result.stdout)["suggestions"]
    assert [s["kind"] for s in suggestions] == ["serialized-join"]
    diff = suggestions[0]["diff"]
    assert diff.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert '+RUN test ! -e /run/secrets/token && echo "no secret in the final image"' in diff
    # the same suggestion the stream gives with the Dockerfile named on the command line
    folder = SAMPLES / "secret-mount"
    explicit = kitprof(
        "suggest", "--json", "--dockerfile", str(folder / "Dockerfile"),
        str(folder / "modern" / "secret.rawjson"),
    )  # fmt: skip
    assert json.loads(explicit.stdout)["suggestions"][0]["diff"] == diff


def test_the_secret_value_is_in_neither_file_of_the_pair() -> None:
    folder = SAMPLES / "secret-mount"
    secret = (folder / "token.txt").read_text().strip().encode()
    assert secret
    assert secret not in (folder / "modern" / "secret.rawjson").read_bytes()
    assert secret not in gzip.decompress((folder / "modern" / "secret.dockerbuild").read_bytes())


def test_analyze_json_of_a_record_has_host_usage_and_the_record_facts() -> None:
    result = kitprof(
        "analyze", "--json", str(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["record"]["ref"] == "9o6vwka4b83xk1wl64mw6b1an"
    assert report["record"]["dockerfile"] == "Dockerfile"
    usage = report["host_usage"]
    assert len(usage) >= 3
    assert usage[0]["cpu_busy_percent"] is None
    assert all(0 <= u["cpu_busy_percent"] <= 100 for u in usage[1:])
    stream = kitprof(
        "analyze", "--json", str(SAMPLES / "parallel-stages" / "modern" / "cold.rawjson")
    )
    plain_report = json.loads(stream.stdout)
    assert plain_report["record"] is None and plain_report["host_usage"] == []
    assert report["wall_seconds"] == pytest.approx(plain_report["wall_seconds"], rel=0.02)


def test_exports_and_the_dashboard_take_the_dockerfile_from_the_record(tmp_path: Path) -> None:
    record = SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild"
    out = tmp_path / "summary.md"
    result = kitprof("export", str(record), "--format", "markdown", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert '+RUN test ! -e /run/secrets/token && echo "no secret in the final image"' in (
        out.read_text()
    )
    from dashboard.files import load_files
    from dashboard.sources import RunFilters

    source = load_files([record])
    (run,) = [r.id for r in source.runs(RunFilters(), limit=10)]
    dockerfile = source.dockerfile(run)
    assert dockerfile is not None
    assert dockerfile.text == (SAMPLES / "secret-mount" / "Dockerfile").read_text()


RECORDS = sorted(SAMPLES.glob("*/modern/*.dockerbuild"))


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_suggest_on_every_record_gives_what_the_dockerfile_option_gives(path: Path) -> None:
    from typer.testing import CliRunner

    from profiler.cli import app

    def suggestions(*extra: str) -> list[dict[str, object]]:
        found = []
        count = len(read_builds(path))
        for build in [str(n) for n in range(1, count + 1)] if count > 1 else [None]:
            args = ["suggest", "--json", *extra, str(path)]
            result = CliRunner().invoke(app, args + (["--build", build] if build else []))
            assert result.exit_code == 0, result.output
            found.extend(json.loads(result.stdout)["suggestions"])
        return found

    recorded = suggestions()
    assert recorded == suggestions("--dockerfile", str(path.parent.parent / "Dockerfile"))
    # every suggestion that rewrites the Dockerfile comes with its diff
    for suggestion in recorded:
        assert suggestion["diff"], suggestion["kind"]
    if path.parent.parent.name == "layer-sizes":
        assert [s["kind"] for s in recorded] == ["cache-bust"]
        assert "+COPY requirements.txt ./" in str(recorded[0]["diff"])
