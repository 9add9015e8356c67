"""A build record's configuration and provenance → :class:`~profiler.record.BuildRecord`.

The config is the history record (``Ref``, ``FrontendAttrs``, ``error``, times); the
provenance layer is the SLSA v0.2 predicate BuildKit keeps with every record: its
``materials`` (base images), ``buildConfig.digestMapping`` (vertex digest → LLB
``stepN``) and BuildKit's own metadata (``source.infos``: the Dockerfile text;
``source.locations``: ``stepN`` → line ranges; ``sysUsage``: host samples;
``layers``: see :mod:`~profiler.sources.llb`, with the LLB edges). A failed build's
error, with its source location, is the ``externalError`` layer
(:mod:`~profiler.sources.errorproto`). Everything is optional: a record made with
``--provenance=false`` has none of it, a failed build has no provenance.
"""

from __future__ import annotations

import binascii
from datetime import datetime
from types import MappingProxyType
from typing import Any

from profiler.model import Build
from profiler.record import BuildRecord, HostSample, LineRange, RecordFailure
from profiler.sources.errorproto import read_failure
from profiler.sources.llb import layer_sizes, llb_inputs

BUILDKIT_METADATA = "https://mobyproject.org/buildkit@v1#metadata"
BUILD_ARG_PREFIX = "build-arg:"
_NOT_BUSY = ("idle", "iowait")


def build_record(
    config: dict[str, Any],
    provenance: Any,
    ref: str,
    build: Build,
    error_status: bytes | None = None,
) -> BuildRecord:
    """The record's facts; ``error_status`` is its ``externalError`` layer, if any."""
    attrs = {str(k): str(v) for k, v in _dict(config.get("FrontendAttrs")).items()}
    local = _dict(config.get("localState"))
    target = attrs.get("target") or (
        str(local["Target"]) if local.get("GroupRef") and local.get("Target") else None
    )
    error = _dict(config.get("error"))
    predicate = _dict(provenance)
    metadata = _dict(_dict(predicate.get("metadata")).get(BUILDKIT_METADATA))
    source = _dict(metadata.get("source"))
    name, text = _dockerfile(source.get("infos"), attrs.get("filename"))
    message = str(error["message"]) if error.get("message") else None
    failure = read_failure(error_status, message) if error_status is not None else None
    if failure is None and message:
        failure = RecordFailure(message)
    location = failure.location if failure else None
    if text is None and location is not None and location.text is not None:
        # A failed build keeps no provenance; its error carries the Dockerfile.
        name, text = location.filename, location.text
    build_config = _dict(predicate.get("buildConfig"))
    sizes, image_size = layer_sizes(build_config, metadata)
    return BuildRecord(
        ref=ref,
        target=target,
        build_args=MappingProxyType(
            {
                k.removeprefix(BUILD_ARG_PREFIX): v
                for k, v in attrs.items()
                if k.startswith(BUILD_ARG_PREFIX)
            }
        ),
        frontend_attrs=MappingProxyType(attrs),
        error=message,
        created_at=_seconds(config.get("CreatedAt")),
        completed_at=_seconds(config.get("CompletedAt")),
        git_revision=attrs.get("vcs:revision"),
        git_source=attrs.get("vcs:source"),
        dockerfile_name=name,
        dockerfile_text=text,
        step_lines=MappingProxyType(_step_lines(predicate, source, failure)),
        base_images=_materials(predicate.get("materials")),
        host_usage=_host_usage(metadata.get("sysUsage"), build),
        llb_inputs=MappingProxyType(llb_inputs(build_config, build)),
        layer_sizes=MappingProxyType(sizes),
        image_size=image_size,
        failure=failure,
    )


def _dict(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one: records vary, none is trusted."""
    return value if isinstance(value, dict) else {}


def _seconds(value: Any) -> float | None:
    stamp = _dict(value)
    if not isinstance(stamp.get("seconds"), int | float):
        return None
    return float(stamp["seconds"]) + float(stamp.get("nanos") or 0) / 1e9


def _dockerfile(infos: Any, filename: str | None) -> tuple[str | None, str | None]:
    """The build's Dockerfile (the first source of language Dockerfile)."""
    for info in infos if isinstance(infos, list) else []:
        info = _dict(info)
        data = info.get("data")
        if not isinstance(data, str):
            continue
        if info.get("language") not in (None, "Dockerfile") and info.get("filename") != filename:
            continue
        try:
            text = binascii.a2b_base64(data).decode("utf-8", errors="replace")
        except binascii.Error:
            continue
        return str(info.get("filename") or filename or "Dockerfile"), text
    return None, None


def _step_lines(
    predicate: dict[str, Any], source: dict[str, Any], failure: RecordFailure | None
) -> dict[str, tuple[LineRange, ...]]:
    """Vertex digest → the Dockerfile lines of its LLB step (first source only); and
    the failed vertex's lines from its error, where the provenance has none."""
    mapping = _dict(_dict(predicate.get("buildConfig"))).get("digestMapping")
    locations = _dict(source.get("locations"))
    lines: dict[str, tuple[LineRange, ...]] = {}
    for digest, step in _dict(mapping).items():
        entry = _dict(locations.get(step))
        ranges: list[LineRange] = []
        for location in entry.get("locations") or []:
            location = _dict(location)
            if location.get("sourceIndex", 0) != 0:
                continue
            for span in location.get("ranges") or []:
                start = _dict(_dict(span).get("start")).get("line")
                end = _dict(_dict(span).get("end")).get("line", start)
                if isinstance(start, int):
                    ranges.append(LineRange(start, end if isinstance(end, int) else start))
        if ranges:
            lines[str(digest)] = tuple(sorted(set(ranges), key=lambda r: (r.start, r.end)))
    if failure and failure.vertex and failure.location and failure.vertex not in lines:
        lines[failure.vertex] = failure.location.lines
    return lines


def _materials(materials: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for material in materials if isinstance(materials, list) else []:
        material = _dict(material)
        digests = _dict(material.get("digest"))
        if isinstance(material.get("uri"), str):
            algorithm, value = next(iter(digests.items()), ("", ""))
            found.append((material["uri"], f"{algorithm}:{value}" if value else ""))
    return tuple(found)


def _host_usage(samples: Any, build: Build) -> tuple[HostSample, ...]:
    if not isinstance(samples, list) or build.started_at is None:
        return ()
    origin = build.started_at.timestamp()
    result = []
    previous: dict[str, Any] | None = None
    previous_moment: float | None = None
    for sample in samples:
        sample = _dict(sample)
        if not isinstance(sample.get("timestamp"), str):
            continue
        try:
            moment = datetime.fromisoformat(sample["timestamp"].replace("Z", "+00:00"))
        except ValueError:
            continue
        cpu = _dict(sample.get("cpuStat"))
        before = _dict(previous.get("cpuStat")) if previous else None
        busy, iowait = _cpu_shares(before, cpu)
        memory = _dict(sample.get("memoryStat"))
        total, available = memory.get("total"), memory.get("available")
        result.append(
            HostSample(
                time=moment.timestamp() - origin,
                cpu_busy_percent=busy,
                iowait_percent=iowait,
                memory_used_kib=int(total - available)
                if isinstance(total, int) and isinstance(available, int)
                else None,
                memory_total_kib=total if isinstance(total, int) else None,
                cpu_pressure=_pressure(sample.get("cpuPressure")),
                memory_pressure=_pressure(sample.get("memoryPressure")),
                io_pressure=_pressure(sample.get("ioPressure")),
                cpus=_cpus(before, cpu, moment.timestamp() - previous_moment)
                if previous_moment is not None
                else None,
            )
        )
        previous, previous_moment = sample, moment.timestamp()
    return tuple(result)


def _cpu_shares(
    before: dict[str, Any] | None, after: dict[str, Any]
) -> tuple[float | None, float | None]:
    """Busy and iowait percentages between two cumulative ``cpuStat`` samples."""
    if before is None:
        return None, None
    deltas = {
        key: float(after[key]) - float(before.get(key) or 0)
        for key in after
        if isinstance(after[key], int | float) and key not in ("guest", "guestNice")
    }
    total = sum(deltas.values())
    if total <= 0:
        return None, None
    busy = total - sum(deltas.get(key, 0.0) for key in _NOT_BUSY)
    return 100 * busy / total, 100 * deltas.get("iowait", 0.0) / total


def _cpus(before: dict[str, Any] | None, after: dict[str, Any], seconds: float) -> float | None:
    """CPUs between two ``cpuStat`` samples: CPU-seconds counted per second of wall time.

    BuildKit reports the counters in seconds summed over every CPU, so over an
    interval of ``seconds`` they grow by about ``seconds × CPUs``. Intervals under
    half a second (the closing sample) are too short to tell.
    """
    if before is None or seconds < 0.5:
        return None
    counted = sum(
        float(after[key]) - float(before.get(key) or 0)
        for key in after
        if isinstance(after[key], int | float) and key not in ("guest", "guestNice")
    )
    return counted / seconds if counted > 0 else None


def _pressure(value: Any) -> float | None:
    avg = _dict(_dict(value).get("some")).get("avg10")
    return float(avg) if isinstance(avg, int | float) else None
