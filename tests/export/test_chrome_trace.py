"""The Perfetto / chrome://tracing export, checked against the format's rules."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from profiler.export.chrome_trace import CRITICAL_PATH_CATEGORY, chrome_trace, chrome_trace_json
from profiler.model import StepStatus
from profiler.sources import read_build
from tests.export.samples import PLAIN_LOGS, SAMPLES, read, sample_streams, stream_id
from tests.export.trace_format import validate_trace
from tests.streams import parallel_build


@pytest.mark.parametrize("path", sample_streams(), ids=stream_id)
def test_every_sample_exports_a_valid_trace(path: Path) -> None:
    build, analysis = read(path)
    document = orjson.loads(chrome_trace_json(build, analysis))
    assert validate_trace(document) == []
    steps = [
        e
        for e in document["traceEvents"]
        if e["ph"] in ("X", "i") and e["pid"] != _path_pid(document)
    ]
    drawn = {e["args"]["digest"] for e in steps}
    assert drawn == {s.digest for s in build if s.start is not None}


def _path_pid(document: dict) -> int:  # type: ignore[type-arg]
    return next(
        e["pid"]
        for e in document["traceEvents"]
        if e["ph"] == "M" and e["name"] == "process_name" and e["args"]["name"] == "critical path"
    )


def _names(document: dict, kind: str) -> dict[tuple[int, int | None], str]:  # type: ignore[type-arg]
    return {
        (e["pid"], e.get("tid")): e["args"]["name"]
        for e in document["traceEvents"]
        if e["ph"] == "M" and e["name"] == kind
    }


def test_one_thread_per_stage_and_the_critical_path_as_a_track() -> None:
    # GIVEN the recorded parallel build (backend is the critical stage)
    build, analysis = read(SAMPLES / "parallel-stages" / "cold.rawjson")
    # WHEN exported
    document = chrome_trace(build, analysis)
    events = document["traceEvents"]
    # THEN every stage has a thread, named after it
    threads = set(_names(document, "thread_name").values())
    assert {"base", "frontend", "backend", "tools", "final"} <= threads
    # AND the critical path track holds the path's steps in order
    path_pid = _path_pid(document)
    track = [e for e in events if e["pid"] == path_pid and e["ph"] in ("X", "i")]
    assert [e["args"]["digest"] for e in track] == [
        d for d in analysis.critical_path if build.step(d).start is not None
    ]
    # AND arrows join the critical steps that have slices
    flows = [e for e in events if e["ph"] in ("s", "f")]
    assert flows and all(e["cat"] == CRITICAL_PATH_CATEGORY for e in flows)
    assert len([e for e in flows if e["ph"] == "s"]) == len([e for e in flows if e["ph"] == "f"])
    # AND times are microseconds from the build's start
    longest = max(
        (e for e in events if e["ph"] == "X" and e["pid"] != path_pid), key=lambda e: e["dur"]
    )
    assert "[backend 2/3]" in longest["name"] and 4.0e6 <= longest["dur"] < 5.0e6
    assert document["displayTimeUnit"] == "ms"


def test_logs_status_and_inputs_are_args_of_their_step() -> None:
    build, analysis = read(SAMPLES / "failing-test" / "failed.rawjson")
    events = chrome_trace(build, analysis)["traceEvents"]
    failed = next(e for e in events if e.get("args", {}).get("status") == "failed")
    assert "test_checkout FAILED" in failed["args"]["log"]
    assert "exit code: 1" in failed["args"]["error"]
    assert any("[test 1/2]" in name for name in failed["args"]["inputs"])


def test_cached_steps_are_instant_events() -> None:
    build, analysis = read(SAMPLES / "parallel-stages" / "cached.rawjson")
    events = chrome_trace(build, analysis)["traceEvents"]
    cached = {s.digest for s in build if s.status is StepStatus.CACHED}
    instants = [e for e in events if e["ph"] == "i" and e["args"].get("digest") in cached]
    assert {e["args"]["digest"] for e in instants} == cached
    assert all(e["s"] == "t" for e in instants)
    assert not [e for e in events if e["ph"] == "X" and e["args"].get("digest") in cached]


def test_bake_targets_are_processes() -> None:
    build, analysis = read(SAMPLES / "bake-two-targets" / "bake.rawjson")
    processes = set(_names(chrome_trace(build, analysis), "process_name").values())
    assert {"api", "web", "critical path"} <= processes


def test_overlapping_steps_of_one_stage_get_their_own_lanes() -> None:
    # The internal loads overlap in time: one thread would break the nesting rule.
    build, analysis = read(SAMPLES / "parallel-stages" / "cold.rawjson")
    document = chrome_trace(build, analysis)
    assert "(internal) (2)" in _names(document, "thread_name").values()
    assert validate_trace(document) == []


def test_the_plain_log_trace_says_it_is_approximate() -> None:
    build, analysis = read(PLAIN_LOGS / "parallel-stages.plain")
    notes = chrome_trace(build, analysis)["otherData"]["notes"]
    assert any(note.startswith("approximate:") for note in notes)


def test_the_checker_catches_broken_traces(tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    stream.write_bytes(parallel_build().indented())
    good = chrome_trace(read_build(stream))
    assert validate_trace(good) == []
    broken = orjson.loads(orjson.dumps(good))
    slices = [e for e in broken["traceEvents"] if e["ph"] == "X"]
    slices[0]["dur"] = -1
    flow = next(e for e in broken["traceEvents"] if e["ph"] == "f")
    flow["bp"] = "x"
    broken["traceEvents"].append({"ph": "i", "name": "x", "pid": 1, "tid": 1, "ts": 0, "s": "q"})
    broken["traceEvents"].append(
        {"ph": "X", "name": "a", "cat": "c", "pid": 9, "tid": 1, "ts": 0, "dur": 10}
    )
    broken["traceEvents"].append(
        {"ph": "X", "name": "b", "cat": "c", "pid": 9, "tid": 1, "ts": 5, "dur": 10}
    )
    errors = "\n".join(validate_trace(broken))
    assert "dur is not" in errors
    assert "bp 'x'" in errors
    assert "scope 'q'" in errors
    assert "without nesting" in errors
