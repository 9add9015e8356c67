"""The benchmark's generated streams: deterministic, realistic, and read the same way
whatever their layout or however they are cut into chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate_stream import generate
from benchmarks.ingest import orjson_baseline
from profiler.analysis import analyze
from profiler.events import StreamDecoder
from profiler.merge import BuildRecorder
from profiler.model import Build, StepStatus
from profiler.names import StepKind
from profiler.sources import read_build
from profiler.sources.rawjson import read_rawjson_chunks


def small(tmp_path: Path, name: str = "s.rawjson", **options: Any) -> Path:
    path = tmp_path / name
    generate(path, steps=120, megabytes=1.0, steps_per_stage=8, **options)
    return path


def read_in_chunks(path: Path, size: int) -> Build:
    data = path.read_bytes()
    return read_rawjson_chunks(data[offset : offset + size] for offset in range(0, len(data), size))


def test_same_seed_same_bytes_and_another_seed_other_bytes(tmp_path: Path) -> None:
    first = small(tmp_path, "a").read_bytes()
    assert small(tmp_path, "b").read_bytes() == first
    assert small(tmp_path, "c", seed=2).read_bytes() != first


def test_both_layouts_hold_the_same_build(tmp_path: Path) -> None:
    indented = small(tmp_path, "i")
    one_line = small(tmp_path, "o", one_line=True)
    assert indented.read_bytes().startswith(b"{\n  ")
    assert one_line.read_bytes().startswith(b'{"')
    assert read_build(indented) == read_build(one_line)


@pytest.mark.parametrize("size", [997, 64 * 1024])
def test_chunking_does_not_matter(tmp_path: Path, size: int) -> None:
    path = small(tmp_path)
    assert read_in_chunks(path, size) == read_build(path)


def test_the_stream_looks_like_a_real_build(tmp_path: Path) -> None:
    path = small(tmp_path)
    build = read_build(path)
    steps = [step for step in build if step.kind is StepKind.STEP]
    assert len(steps) >= 120
    assert not build.notes and not build.truncated
    assert build.messages[0].startswith("1 warning found")
    assert any(s.name.startswith("[internal] load metadata for") for s in build)
    assert build.steps[-1].name == "exporting to image"
    assert {s.status for s in steps} == {StepStatus.DONE, StepStatus.CACHED}
    assert all(s.start == s.end for s in steps if s.status is StepStatus.CACHED)
    assert any(len(s.intervals) == 2 for s in steps)
    assert any(s.statuses for s in steps if s.parsed.instruction == "COPY")
    # Real edges: every input is a vertex of the stream, COPY --from reaches across stages.
    assert all(build.get(digest) is not None for s in build for digest in s.inputs)
    assert any(
        len({build.step(d).stage for d in s.inputs} - {s.stage}) > 0
        for s in steps
        if s.parsed.text.startswith("COPY --from=")
    )
    logged = [s for s in steps if s.logs]
    assert logged and all(s.parsed.instruction == "RUN" for s in logged)
    assert all(line.isprintable() for s in logged[:20] for line in s.log_lines())
    analysis = analyze(build)
    assert analysis.parallelism > 1.5
    assert len(analysis.critical_path) > 10


def test_a_failed_build(tmp_path: Path) -> None:
    build = read_build(small(tmp_path, fail=True))
    failure = analyze(build).failure
    assert failure is not None and failure.step is not None
    assert "did not complete successfully" in (failure.error or "")
    assert failure.messages[0].startswith("ERROR: failed to solve:")


def test_the_baseline_parses_every_event(tmp_path: Path) -> None:
    for one_line in (False, True):
        path = small(tmp_path, one_line=one_line)
        recorder = BuildRecorder()
        decoder = StreamDecoder()
        recorder.add_all(decoder.feed(path.read_bytes()) + decoder.close())
        assert orjson_baseline(path) == recorder.solve_statuses
