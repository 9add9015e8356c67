"""The build as a Chrome Trace Event Format file, for Perfetto and ``chrome://tracing``.

Layout (JSON Object Format, times in microseconds from the build's start):

- one *process* per bake target (``build`` without bake), one *thread* per stage;
  a stage whose steps overlap in time (the internal loads, a FROM shared by two
  stages) gets further threads, ``stage (2)``…, since slices on one thread must nest;
- a step is a complete event (``ph: "X"``) per interval it ran; a cached step, or
  one that took no time, is an instant event (``ph: "i"``, thread scope);
- the critical path is its own process (one thread, the path's steps in order) and
  flow arrows (``ph: "s"``/``"f"``, binding point ``"e"``) join consecutive steps
  of the path on their stage threads;
- ``args`` of a step carry its status, digest, inputs, error and the last lines of
  its log; ``otherData`` the headline numbers and the reader's notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import orjson

from profiler.analysis import BuildAnalysis, analyze, stage_label
from profiler.model import Build, Step, StepStatus, closed_intervals, merged_intervals

LOG_LINES = 200
LOG_CHARS = 16_000
CRITICAL_PATH_CATEGORY = "critical_path"
MICROSECONDS = 1_000_000


def _us(seconds: float) -> float:
    # Nanosecond resolution is plenty and keeps the JSON short.
    return round(seconds * MICROSECONDS, 3)


def _category(step: Step) -> str:
    return step.kind.value


def step_args(step: Step, build: Build, on_path: bool) -> dict[str, Any]:
    args: dict[str, Any] = {
        "name": step.name,
        "digest": step.digest,
        "stage": stage_label(step.target, step.stage_key, step.parsed.platform),
        "status": step.status.value,
        "cached": step.cached,
        "duration_s": round(step.duration, 6),
        "on_critical_path": on_path,
        "inputs": [other.name for other in build.inputs_of(step)],
    }
    if step.error:
        args["error"] = step.error
    if step.logs:
        lines = step.log_lines(last=LOG_LINES)
        text = "\n".join(lines)
        if len(text) > LOG_CHARS:
            text = text[-LOG_CHARS:]
        args["log"] = text
    return args


def _lanes(steps: Sequence[Step]) -> list[list[Step]]:
    """Steps split into lanes whose spans do not overlap (first fit, by start)."""
    lanes: list[tuple[float, list[Step]]] = []
    for step in sorted(steps, key=lambda s: (s.start or 0.0, s.end or 0.0)):
        start = step.start or 0.0
        end = max(step.end or start, start)
        for index, (lane_end, members) in enumerate(lanes):
            if lane_end <= start:
                members.append(step)
                lanes[index] = (end, members)
                break
        else:
            lanes.append((end, [step]))
    return [members for _, members in lanes]


def chrome_trace(build: Build, analysis: BuildAnalysis | None = None) -> dict[str, Any]:
    """The trace as a JSON-ready dict (``traceEvents``, ``displayTimeUnit``, ``otherData``)."""
    analysis = analysis or analyze(build)
    on_path = set(analysis.critical_path)
    timed = [step for step in build if step.start is not None]
    targets: list[str | None] = []
    for stage in build.stages:
        if stage.target not in targets:
            targets.append(stage.target)
    for step in timed:
        if step.target not in targets:
            targets.append(step.target)
    pids = {target: index + 1 for index, target in enumerate(targets)}
    events: list[dict[str, Any]] = []
    slices: dict[str, tuple[int, int, list[tuple[float, float]]]] = {}
    for target, pid in pids.items():
        events.append(_metadata("process_name", pid, None, {"name": target or "build"}))
        events.append(_metadata("process_sort_index", pid, None, {"sort_index": pid}))
    next_tid: dict[int, int] = {}
    stage_order = [(s.target, s.platform, s.name) for s in build.stages]
    by_stage: dict[tuple[str | None, str | None, str], list[Step]] = {}
    for step in timed:
        by_stage.setdefault((step.target, step.parsed.platform, step.stage_key), []).append(step)
    for key in sorted(by_stage, key=lambda k: stage_order.index(k) if k in stage_order else 1e9):
        target, platform, stage_key = key
        stage_name = f"{platform} {stage_key}" if platform else stage_key
        pid = pids[target]
        for lane_number, lane in enumerate(_lanes(by_stage[key]), start=1):
            tid = next_tid.get(pid, 0) + 1
            next_tid[pid] = tid
            name = stage_name if lane_number == 1 else f"{stage_name} ({lane_number})"
            events.append(_metadata("thread_name", pid, tid, {"name": name}))
            events.append(_metadata("thread_sort_index", pid, tid, {"sort_index": tid}))
            for step in lane:
                events.extend(_step_events(step, build, pid, tid, step.digest in on_path, slices))
    path_pid = len(pids) + 1
    events.extend(_critical_path_track(build, analysis, path_pid))
    events.extend(_flows(analysis.critical_path, slices))
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": "kitprof",
            "started_at": build.started_at.isoformat() if build.started_at else None,
            "wall_seconds": round(analysis.wall_seconds, 6),
            "critical_path_seconds": round(analysis.critical_path_seconds, 6),
            "lower_bound_seconds": round(analysis.lower_bound_seconds, 6),
            "steps": len(build),
            "steps_without_time": len(build) - len(timed),
            "notes": list(build.all_notes),
        },
    }


def chrome_trace_json(build: Build, analysis: BuildAnalysis | None = None) -> bytes:
    return orjson.dumps(chrome_trace(build, analysis)) + b"\n"


def _metadata(name: str, pid: int, tid: int | None, args: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"ph": "M", "name": name, "pid": pid, "args": args}
    if tid is not None:
        event["tid"] = tid
    return event


def _step_events(
    step: Step,
    build: Build,
    pid: int,
    tid: int,
    on_path: bool,
    slices: dict[str, tuple[int, int, list[tuple[float, float]]]],
) -> list[dict[str, Any]]:
    args = step_args(step, build, on_path)
    common = {"name": step.name, "cat": _category(step), "pid": pid, "tid": tid}
    running = merged_intervals(closed_intervals(step))
    if step.status is StepStatus.CACHED or not running:
        return [{**common, "ph": "i", "s": "t", "ts": _us(step.start or 0.0), "args": args}]
    slices[step.digest] = (pid, tid, running)
    return [
        {
            **common,
            "ph": "X",
            "ts": _us(start),
            "dur": _us(end - start),
            # The whole record once: every interval's slice links back by digest.
            "args": args if index == 0 else {"digest": step.digest, "interval": index + 1},
        }
        for index, (start, end) in enumerate(running)
    ]


def _critical_path_track(build: Build, analysis: BuildAnalysis, pid: int) -> list[dict[str, Any]]:
    events = [
        _metadata("process_name", pid, None, {"name": "critical path"}),
        _metadata("process_sort_index", pid, None, {"sort_index": 0}),
        _metadata("thread_name", pid, 1, {"name": "critical path"}),
    ]
    previous_end = 0.0
    for digest in analysis.critical_path:
        step = build.step(digest)
        if step.start is None:
            continue
        # Clock skew between client and daemon may overlap neighbours by a hair;
        # slices on one thread must not overlap.
        start = max(step.start, previous_end)
        end = max(step.end if step.end is not None else start, start)
        common = {"name": step.name, "cat": CRITICAL_PATH_CATEGORY, "pid": pid, "tid": 1}
        args = {
            "digest": digest,
            "stage": stage_label(step.target, step.stage_key, step.parsed.platform),
            "duration_s": round(step.duration, 6),
        }
        if step.duration > 0 and step.status is not StepStatus.CACHED and end > start:
            slice_ = {"ph": "X", "ts": _us(start), "dur": _us(end - start), "args": args}
            events.append({**common, **slice_})
            previous_end = end
        else:
            events.append({**common, "ph": "i", "s": "t", "ts": _us(start), "args": args})
    return events


def _flows(
    path: Sequence[str], slices: dict[str, tuple[int, int, list[tuple[float, float]]]]
) -> list[dict[str, Any]]:
    """Arrows from each critical step to the next, both where they ran.

    A flow event binds to the slice enclosing its timestamp on its thread, so each end
    sits in the middle of a slice: the last interval of the step before, the first of
    the step after. Steps without a slice (cached, instant) have no arrow.
    """
    events: list[dict[str, Any]] = []
    drawn = [digest for digest in path if digest in slices]
    for number, (before, after) in enumerate(pairwise(drawn), start=1):
        pid_a, tid_a, runs_a = slices[before]
        pid_b, tid_b, runs_b = slices[after]
        start_a, end_a = runs_a[-1]
        start_b, end_b = runs_b[0]
        if (start_b + end_b) / 2 < (start_a + end_a) / 2:
            continue  # overlapping by clock skew: an arrow backwards in time is invalid
        common = {"name": "critical path", "cat": CRITICAL_PATH_CATEGORY, "id": number}
        middle_a, middle_b = _us((start_a + end_a) / 2), _us((start_b + end_b) / 2)
        origin = {"ph": "s", "pid": pid_a, "tid": tid_a, "ts": middle_a}
        target = {"ph": "f", "bp": "e", "pid": pid_b, "tid": tid_b, "ts": middle_b}
        events.extend([{**common, **origin}, {**common, **target}])
    return events
