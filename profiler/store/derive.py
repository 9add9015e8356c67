"""The derived rows of a run: what the analysis says about its stream.

Everything here is recomputed by ``reanalyze`` from the stored stream; bump
:data:`DERIVED_VERSION` when the meaning of a derived column changes, so a history can
tell which runs were analysed the old way.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from profiler.errors import InputError, StreamError
from profiler.model import StepStatus

if TYPE_CHECKING:
    # The analysis and the reader are imported by the functions that use them: the
    # store's light users (`kitprof runs`, the dashboard's run list) never parse.
    from profiler.analysis import BuildAnalysis
    from profiler.model import Build

DERIVED_VERSION = 1
COMPRESSION = "gzip"
_GZIP_MAGIC = b"\x1f\x8b"


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
    - ``success`` otherwise.
    """
    del analysis  # the status reads the steps themselves; kept for callers' symmetry
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
    run = {
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
    stages = [
        {
            "position": position,
            "label": stage_label(stage.target, stage.name),
            "target": stage.target,
            "name": stage.name,
            "start_seconds": stage.start,
            "end_seconds": stage.end,
            "span_seconds": stage.span,
            "busy_seconds": stage.busy,
            "sequential_seconds": stage.sequential,
            "critical_path_seconds": analysis.critical_path_by_stage.get(
                stage_label(stage.target, stage.name), 0.0
            ),
            "steps": stage.steps,
            "cached": stage.cached,
            "failed": stage.failed,
        }
        for position, stage in enumerate(build.stages)
    ]
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


def parse_stream(raw: bytes) -> Build:
    """The Build of an uncompressed stream (what the store keeps)."""
    from profiler.sources import read_build

    return read_build(raw)


def compress(raw: bytes) -> bytes:
    # mtime=0: the same stream always compresses to the same bytes.
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decompress(data: bytes, compression: str) -> bytes:
    if compression != COMPRESSION:
        raise StreamError(f"stored stream uses unknown compression {compression!r}")
    return gzip.decompress(data)


def uncompressed(data: bytes, label: str) -> bytes:
    """The stream bytes of an input file: gunzipped if it is gzip (by its magic).

    A gzip file cut off mid-way yields what it holds, like the reader does; the
    stream is then (usually) truncated, which ingest reports.
    """
    if not data.startswith(_GZIP_MAGIC):
        return data
    parts: list[bytes] = []
    decompressor = zlib.decompressobj(wbits=31)
    rest = data
    try:
        while rest:
            parts.append(decompressor.decompress(rest))
            if not decompressor.eof:
                break
            rest = decompressor.unused_data
            decompressor = zlib.decompressobj(wbits=31)
            if not rest.startswith(_GZIP_MAGIC[:1]):
                break  # trailing garbage after the last member, as gzip(1) allows
    except zlib.error as error:
        raise StreamError(f"{label} is not a valid gzip file: {error}") from None
    return b"".join(parts)


def read_stream_file(path: Path, label: str | None = None) -> bytes:
    """The uncompressed bytes of a stream file: what the store hashes and keeps."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    return uncompressed(data, label or str(path))


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
