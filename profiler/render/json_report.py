"""The ``--json`` report: one object with stable keys, documented in the README.

Times are seconds (floats, microsecond precision); ``start``/``end`` of steps and
stages are seconds from the build's start. Keys are only ever added, never renamed.
"""

from __future__ import annotations

from typing import Any

from profiler.analysis import BuildAnalysis, stage_label, step_stage_label
from profiler.analysis.host_usage import cpu_bound_windows, critical_path_cpu_bound, host_cpus
from profiler.analysis.memo import without_cycle_collection
from profiler.model import Build, Stage, Step, StepStatus
from profiler.names import StepKind
from profiler.render.platforms import platforms_json

SCHEMA_VERSION = 1

# An enum member's .value goes through a descriptor: a dict is ~10x cheaper per step.
_KIND_VALUES = {kind: kind.value for kind in StepKind}
_STATUS_VALUES = {status: status.value for status in StepStatus}


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def step_dict(step: Step, on_critical_path: bool, layer_size: int | None = None) -> dict[str, Any]:
    parsed = step.parsed
    start, end = step.start, step.end
    # _seconds written out: a function call per value is a tenth of a 5,000-step report.
    return {
        "name": step.name,
        "names": list(step.names),
        "digest": step.digest,
        "kind": _KIND_VALUES[step.kind],
        "target": step.target,
        "platform": parsed.platform,
        "stage": step.stage_key,
        "index": parsed.index,
        "count": parsed.count,
        "instruction": parsed.instruction,
        "start": None if start is None else round(start, 6),
        "end": None if end is None else round(end, 6),
        "duration": round(step.duration, 6),
        "cached": step.cached,
        "status": _STATUS_VALUES[step.status],
        "error": step.error,
        "on_critical_path": on_critical_path,
        "inputs": list(step.inputs),
        "layer_size": layer_size,
    }


def stage_dict(
    stage: Stage, critical_seconds: float, layer_size: int | None = None
) -> dict[str, Any]:
    return {
        "target": stage.target,
        "platform": stage.platform,
        "name": stage.name,
        "start": _seconds(stage.start),
        "end": _seconds(stage.end),
        "span": _seconds(stage.span),
        "busy": _seconds(stage.busy),
        "sequential": _seconds(stage.sequential),
        "steps": stage.steps,
        "cached": stage.cached,
        "failed": stage.failed,
        "critical_path_seconds": _seconds(critical_seconds),
        "layer_size": layer_size,
    }


@without_cycle_collection
def report_dict(build: Build, analysis: BuildAnalysis) -> dict[str, Any]:
    on_path = set(analysis.critical_path)
    failure = analysis.failure
    sizes = analysis.sizes
    location = failure.location if failure is not None else None
    return {
        "schema": SCHEMA_VERSION,
        "started_at": build.started_at.isoformat() if build.started_at else None,
        "wall_seconds": _seconds(analysis.wall_seconds),
        "sequential_seconds": _seconds(analysis.sequential_seconds),
        "parallelism": round(analysis.parallelism, 4),
        "critical_path": [build.step(d).name for d in analysis.critical_path],
        "critical_path_digests": list(analysis.critical_path),
        "critical_path_seconds": _seconds(analysis.critical_path_seconds),
        "critical_path_by_stage": {
            label: _seconds(seconds) for label, seconds in analysis.critical_path_by_stage.items()
        },
        "lower_bound_seconds": _seconds(analysis.lower_bound_seconds),
        "lower_bound_path": [build.step(d).name for d in analysis.lower_bound_path],
        "overhead_seconds": _seconds(analysis.overhead_seconds),
        # analysis.concurrency is timeline.concurrency(build): its peak, not made again.
        "peak_concurrency": max((count for _, count in analysis.concurrency), default=0),
        "concurrency": [[round(t, 6), n] for t, n in analysis.concurrency],
        "steps": [
            step_dict(step, step.digest in on_path, sizes.steps.get(step.digest) if sizes else None)
            for step in build
        ],
        "stages": [
            stage_dict(
                stage,
                analysis.critical_path_by_stage.get(
                    stage_label(stage.target, stage.name, stage.platform), 0.0
                ),
                sizes.stage(stage.target, stage.name, stage.platform) if sizes else None,
            )
            for stage in build.stages
        ],
        # Per platform of a multi-platform build, then its shared steps; [] otherwise.
        "platforms": platforms_json(build, analysis),
        # Compressed bytes of the exported image's layers (Docker's build record only).
        "image_size": sizes.image if sizes else None,
        "cache": {
            "steps": analysis.cache.steps,
            "cached": analysis.cache.cached,
            "executed": analysis.cache.executed,
            "hit_ratio": round(analysis.cache.hit_ratio, 4),
        },
        "failure": None
        if failure is None
        else {
            "step": failure.step.name if failure.step else None,
            "digest": failure.step.digest if failure.step else None,
            "stage": step_stage_label(failure.step) if failure.step else None,
            "error": failure.error,
            "log_tail": list(failure.log_tail),
            "other_failures": [step.name for step in failure.other_failures],
            "cancelled": [step.name for step in failure.cancelled],
            "cancelled_seconds": _seconds(failure.cancelled_seconds),
            "messages": list(failure.messages),
            # Where the failed instruction is (Docker's build record only; null otherwise).
            "location": location.label() if location else None,
            "file": location.filename if location else None,
            "lines": [[r.start, r.end] for r in location.lines] if location else [],
            "excerpt": [
                {"line": number, "text": text, "marked": marked}
                for number, text, marked in (location.excerpt() if location else ())
            ],
            "exit_code": failure.exit_code,
        },
        "messages": list(build.messages),
        "notes": list(build.all_notes),
        "approximate": build.approximate,
        "truncated": build.truncated,
        # Read from Docker's own build record (.dockerbuild) only; null / [] otherwise.
        "record": build.record.summary() if build.record is not None else None,
        "host_usage": [sample.as_json() for sample in build.record.host_usage]
        if build.record is not None
        else [],
        "host_cpus": host_cpus(build),
        "host_cpu_bound": [[_seconds(a), _seconds(b)] for a, b in cpu_bound_windows(build)],
        "host_cpu_bound_on_critical_path": [
            [_seconds(a), _seconds(b)] for a, b in critical_path_cpu_bound(build)
        ],
    }
