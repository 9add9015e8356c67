"""The derived rows of a run: what the analysis says about its stream.

Everything here is recomputed by ``reanalyze`` from the stored stream; bump
:data:`DERIVED_VERSION` when the meaning of a derived column changes, so a history can
tell which runs were analysed the old way.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from profiler.errors import StreamError
from profiler.model import StepStatus
from profiler.store.stagefigures import pack_stage_figures

if TYPE_CHECKING:
    # The analysis and the sources are imported by the functions that use them: the
    # store's light users (`kitprof runs`, the dashboard's run list) never parse.
    from profiler.analysis import BuildAnalysis
    from profiler.dockerfile import Dockerfile
    from profiler.model import Build

DERIVED_VERSION = 1
COMPRESSION = "gzip"


@dataclass(frozen=True, slots=True)
class Derived:
    build: Build
    analysis: BuildAnalysis
    run: dict[str, Any]
    """Values of the derived ``runs`` columns (``started_at`` may be ``None``)."""
    stages: list[dict[str, Any]]
    """``stages`` rows without ``run_id``."""
    steps: list[dict[str, Any]]
    """``steps`` rows without ``run_id``."""


def run_status(build: Build, analysis: BuildAnalysis | None = None) -> str:
    """How the build ended, for history filters and baselines:

    - ``failed``: a step failed, or the build printed an ``ERROR`` that is not a
      cancellation;
    - ``cancelled``: interrupted (Ctrl-C: steps cancelled, ``context canceled``);
    - ``incomplete``: the stream stops with steps still running or cut inside an
      event (the build or its capture was killed): the outcome is unknown;
    - ``untrusted``: its times cannot be trusted (:mod:`profiler.validate`): never a
      comparable run (trends, baselines and ``check`` take ``success`` runs only);
    - ``success`` otherwise.
    """
    del analysis  # the status reads the steps themselves; kept for callers' symmetry
    if build.untrusted_times:
        return "untrusted"
    if build.truncated:
        return "incomplete"
    statuses = {step.status for step in build}
    if StepStatus.FAILED in statuses:
        return "failed"
    errors = [message for message in build.messages if message.lstrip().startswith("ERROR")]
    if any("context canceled" not in message for message in errors):
        return "failed"
    if errors or StepStatus.CANCELLED in statuses:
        return "cancelled"
    if StepStatus.UNFINISHED in statuses:
        return "incomplete"
    return "success"


def derive(build: Build, analysis: BuildAnalysis | None = None) -> Derived:
    from profiler.analysis import analyze, stage_label
    from profiler.analysis.compare import step_keys

    analysis = analyze(build) if analysis is None else analysis
    failure = analysis.failure
    cache = analysis.cache
    run: dict[str, Any] = {
        "started_at": naive_utc(build.started_at),
        "derived_version": DERIVED_VERSION,
        "status": run_status(build, analysis),
        "failed_step": failure.step.name if failure and failure.step else None,
        "truncated": build.truncated,
        "wall_seconds": analysis.wall_seconds,
        "sequential_seconds": analysis.sequential_seconds,
        "critical_path_seconds": analysis.critical_path_seconds,
        "lower_bound_seconds": analysis.lower_bound_seconds,
        "parallelism": analysis.parallelism,
        "vertex_count": len(build),
        "cache_steps": cache.steps,
        "cached_steps": cache.cached,
        "executed_steps": cache.executed,
        "cache_hit_ratio": cache.hit_ratio,
    }
    stages: list[dict[str, Any]] = [
        {
            "position": position,
            "label": stage_label(stage.target, stage.name, stage.platform),
            "target": stage.target,
            "name": stage.name,
            "start_seconds": stage.start,
            "end_seconds": stage.end,
            "span_seconds": stage.span,
            "busy_seconds": stage.busy,
            "sequential_seconds": stage.sequential,
            "critical_path_seconds": analysis.critical_path_by_stage.get(
                stage_label(stage.target, stage.name, stage.platform), 0.0
            ),
            "steps": stage.steps,
            "cached": stage.cached,
            "failed": stage.failed,
        }
        for position, stage in enumerate(build.stages)
    ]
    run["stage_labels"], run["stage_figures"] = pack_stage_figures(
        {
            row["label"]: [
                row["busy_seconds"],
                row["sequential_seconds"],
                row["critical_path_seconds"],
                row["steps"],
                row["cached"],
            ]
            for row in stages
        }
    )
    keys = step_keys(build)
    on_path = set(analysis.critical_path)
    steps = [
        {
            "position": position,
            "digest": step.digest,
            "name": step.name,
            "match_key": keys[step.digest],
            "kind": step.kind.value,
            "target": step.target,
            "platform": step.parsed.platform,
            "stage": step.stage_key,
            "step_index": step.parsed.index,
            "step_count": step.parsed.count,
            "instruction": step.parsed.instruction,
            "start_seconds": step.start,
            "end_seconds": step.end,
            "duration_seconds": step.duration,
            "cached": step.cached,
            "status": step.status.value,
            "error": step.error,
            "on_critical_path": step.digest in on_path,
        }
        for position, step in enumerate(build.steps)
    ]
    return Derived(build=build, analysis=analysis, run=run, stages=stages, steps=steps)


def parse_stream(
    raw: bytes, build_index: int | None = None, dockerfile: Dockerfile | None = None
) -> Build:
    """The Build of a stored stream: its only build, or build ``build_index`` (from 1)
    of a stream that holds several. ``dockerfile`` sharpens a plain log's stages."""
    from profiler.sources import read_build, read_builds

    if build_index is None:
        builds = read_builds(raw, dockerfile=dockerfile, per_target=True)
        # A bake session stored as one run before runs were kept per target.
        return builds[0] if len(builds) == 1 else read_build(raw, dockerfile=dockerfile)
    builds = read_builds(raw, dockerfile=dockerfile, per_target=True)
    if not 1 <= build_index <= len(builds):
        raise StreamError(
            f"the stored stream holds {len(builds)} builds today, not build {build_index}"
        )
    return builds[build_index - 1]


def run_key(raw: bytes, build_index: int | None = None) -> str:
    """A run's identity in the store (its ``stream_sha256``): the SHA-256 of its stream,
    or, for one build of a stream that holds several, of the stream and the build's
    number. The same file ingested again finds the same runs."""
    if build_index is None:
        return stream_sha256(raw)
    return hashlib.sha256(raw + f"\n#kitprof build {build_index}\n".encode()).hexdigest()


def compress(raw: bytes) -> bytes:
    # mtime=0: the same stream always compresses to the same bytes.
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decompress(data: bytes, compression: str) -> bytes:
    if compression != COMPRESSION:
        raise StreamError(f"stored stream uses unknown compression {compression!r}")
    return gzip.decompress(data)


def stream_sha256(raw: bytes) -> str:
    """The identity of a stream in the store (of its uncompressed bytes)."""
    return hashlib.sha256(raw).hexdigest()


def naive_utc(moment: datetime | None) -> datetime | None:
    """The store keeps moments as naive UTC (the same on SQLite and PostgreSQL)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def aware_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
