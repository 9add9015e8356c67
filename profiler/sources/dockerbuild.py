"""Docker's own build records: ``.dockerbuild`` files, and the ``.zip`` that holds one.

``docker buildx history export``, Docker Desktop's Builds view and
``docker/build-push-action`` (as a workflow artifact, zipped: the zip is read as an
archive of inputs by :mod:`~profiler.sources.archive`) write the same file: a
gzip'd tar in OCI image layout. ``index.json`` lists one manifest per build, or a
nested index of them (bake, ``--all``); each manifest's config is the history record
(JSON) and its layers include the whole progress stream
(``application/vnd.buildkit.status.v0``: frames of a little-endian uint32 length and
a protobuf ``moby.buildkit.v1.StatusResponse``) and the provenance.

The status frames are turned into the very events a ``--progress=rawjson`` stream
carries and merged by the same :class:`~profiler.merge.BuildRecorder`, so a record
gives the same Build as the rawjson stream of the same build.
"""

from __future__ import annotations

import binascii
import io
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from profiler.errors import StreamError
from profiler.events import TextLine
from profiler.merge import BuildRecorder
from profiler.model import Build
from profiler.sources.llb import with_llb_edges
from profiler.sources.opening import GZIP_MAGIC
from profiler.sources.protowire import fields, signed
from profiler.sources.provenance import build_record

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
STATUS_LAYER = "application/vnd.buildkit.status.v0"
PROVENANCE_LAYER = "application/vnd.in-toto+json"
ERROR_LAYER = "application/vnd.googeapis.google.rpc.status+proto"
REFERENCE_ANNOTATION = "vnd.buildkit.history.reference"
MAX_INDEX_DEPTH = 8
SAME_BUILD_SECONDS = 2.0
"""A stream and a record of the same build start within this (buildx's clock and the
daemon's differ by milliseconds; bake shifts each target's times by its own offset)."""


class RecordError(StreamError):
    """The file is a build record (or claims to be) but cannot be read as one."""


def read_records(data: bytes, label: str) -> list[Build]:
    """Every build of a ``.dockerbuild`` file (a tar, gzip'd or not).

    (A zip holding one, as GitHub Actions hands it out, is an archive of inputs:
    :mod:`profiler.sources.archive` reads its members.)
    """
    if data.startswith(GZIP_MAGIC):
        try:
            data = zlib.decompress(data, wbits=31)
        except zlib.error as error:
            raise RecordError(f"{label} is not a valid gzip file: {error}") from None
    blobs = _tar_blobs(data, label)
    builds = [
        _read_manifest(blobs, manifest, ref, label) for manifest, ref in _manifests(blobs, label)
    ]
    if not builds:
        raise RecordError(f"{label} is an OCI layout without any build record")
    return sorted(builds, key=lambda b: b.started_at or datetime.max.replace(tzinfo=UTC))


def with_record(build: Build, data: bytes, label: str = "the kept build record") -> Build:
    """``build`` (read from its stream) with the record of the same build from ``data``
    (a ``.dockerbuild`` kept beside the stream): its facts, LLB edges and sizes.

    The record's build that shares most vertex digests with ``build`` is taken; with
    none in common, or a record that cannot be read, ``build`` is returned as it was,
    with a note saying why.
    """
    try:
        records = read_records(data, label)
    except StreamError as error:
        return replace(build, notes=(*build.notes, f"{label} was not read: {error}"))
    digests = {step.digest for step in build}
    # Content-addressed vertices (a FROM, its metadata) recur in every build of a
    # project: the same build is also the one that started at the same moment.
    same = [r for r in records if _started_together(r, build) and r.record is not None]
    best = max(same, key=lambda r: sum(1 for step in r if step.digest in digests), default=None)
    if best is None or best.record is None or not any(step.digest in digests for step in best):
        return replace(build, notes=(*build.notes, f"{label} is of another build: not used"))
    return replace(with_llb_edges(build, best.record.llb_inputs), record=best.record)


def _started_together(a: Build, b: Build) -> bool:
    if a.started_at is None or b.started_at is None:
        return False
    return abs((a.started_at - b.started_at).total_seconds()) <= SAME_BUILD_SECONDS


def _tar_blobs(data: bytes, label: str) -> dict[str, bytes]:
    """The layout's files by path: ``index.json``, ``blobs/sha256/<hex>``."""
    blobs: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive:
                if member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        blobs[member.name.removeprefix("./")] = handle.read()
    except tarfile.TarError as error:
        raise RecordError(f"{label} is not a valid tar archive: {error}") from None
    if "index.json" not in blobs:
        raise RecordError(f"{label} is a tar archive but not an OCI layout (no index.json)")
    return blobs


def _json_blob(blobs: dict[str, bytes], digest: str, label: str) -> Any:
    raw = _blob(blobs, digest, label)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RecordError(f"{label}: blob {digest[:19]} is not JSON") from None


def _blob(blobs: dict[str, bytes], digest: str, label: str) -> bytes:
    algorithm, _, hexdigest = digest.partition(":")
    raw = blobs.get(f"blobs/{algorithm}/{hexdigest}")
    if raw is None:
        raise RecordError(f"{label}: blob {digest[:19]} is missing from the layout")
    return raw


def _manifests(blobs: dict[str, bytes], label: str) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Each manifest reachable from ``index.json``, with the reference its index gave it."""
    try:
        root = orjson.loads(blobs["index.json"])
    except orjson.JSONDecodeError:
        raise RecordError(f"{label}: index.json is not JSON") from None

    def walk(index: Any, depth: int) -> Iterator[tuple[dict[str, Any], str | None]]:
        if depth > MAX_INDEX_DEPTH or not isinstance(index, dict):
            raise RecordError(f"{label}: malformed or too deeply nested OCI index")
        for descriptor in index.get("manifests") or []:
            if not isinstance(descriptor, dict) or not isinstance(descriptor.get("digest"), str):
                continue
            media_type = descriptor.get("mediaType")
            if media_type == INDEX:
                yield from walk(_json_blob(blobs, descriptor["digest"], label), depth + 1)
            elif media_type == MANIFEST:
                annotations = descriptor.get("annotations") or {}
                ref = annotations.get(REFERENCE_ANNOTATION)
                manifest = _json_blob(blobs, descriptor["digest"], label)
                yield manifest, ref if isinstance(ref, str) else None

    yield from walk(root, 0)


def _read_manifest(
    blobs: dict[str, bytes], manifest: dict[str, Any], ref: str | None, label: str
) -> Build:
    config_descriptor = manifest.get("config") or {}
    config = _json_blob(blobs, str(config_descriptor.get("digest", "")), label)
    if not isinstance(config, dict):
        raise RecordError(f"{label}: a build record's config is not a JSON object")
    ref = ref or str(config.get("Ref") or "")
    layers = {
        layer.get("mediaType"): layer.get("digest")
        for layer in manifest.get("layers") or []
        if isinstance(layer, dict)
    }
    status = layers.get(STATUS_LAYER)
    if not isinstance(status, str):
        raise RecordError(f"{label}: build record {ref} has no progress (status) layer")
    provenance: Any = None
    provenance_digest = layers.get(PROVENANCE_LAYER)
    if isinstance(provenance_digest, str):
        provenance = _json_blob(blobs, provenance_digest, label)
    target = _bake_target(config)
    recorder = BuildRecorder()
    for event in status_events(_blob(blobs, status, label), f"{label} ({ref})"):
        if target is not None:
            _prefix_names(event, target)
        recorder.add(event)
    error = (
        (config.get("error") or {}).get("message")
        if isinstance(config.get("error"), dict)
        else None
    )
    if error:
        # What buildx prints last: the merge then knows the build stopped on an error.
        recorder.add(TextLine(f"ERROR: failed to build: failed to solve: {error}"))
    build = recorder.build()
    error_digest = layers.get(ERROR_LAYER)
    error_status = _blob(blobs, error_digest, label) if isinstance(error_digest, str) else None
    record = build_record(config, provenance, ref, build, error_status)
    return replace(with_llb_edges(build, record.llb_inputs), record=record, name=target)


def _bake_target(config: dict[str, Any]) -> str | None:
    """The target name buildx prefixes to every vertex of a bake (or compose) build.

    A record of one bake target carries the bake group's ref; its stream names
    are ``[api base 2/3] …`` there, so they are here too.
    """
    local = config.get("localState")
    if isinstance(local, dict) and local.get("GroupRef") and isinstance(local.get("Target"), str):
        return str(local["Target"])
    return None


def _prefix_names(event: dict[str, Any], target: str) -> None:
    for vertex in event.get("vertexes", ()):
        name = vertex.get("name")
        if isinstance(name, str) and name:
            vertex["name"] = (
                f"[{target} {name[1:]}" if name.startswith("[") else f"[{target}] {name}"
            )


# -- the status layer -------------------------------------------------------------


def status_events(layer: bytes, label: str) -> Iterator[dict[str, Any]]:
    """The status layer's StatusResponse frames as rawjson-shaped SolveStatus dicts."""
    offset = 0
    while offset < len(layer):
        if offset + 4 > len(layer):
            raise RecordError(f"{label}: the status layer ends inside a frame header")
        size = int.from_bytes(layer[offset : offset + 4], "little")
        offset += 4
        if offset + size > len(layer):
            raise RecordError(f"{label}: the status layer ends inside a frame")
        yield _status_response(layer[offset : offset + size])
        offset += size


def _status_response(message: bytes) -> dict[str, Any]:
    event: dict[str, list[dict[str, Any]]] = {}
    for number, value in fields(message):
        if isinstance(value, bytes) and number in _ENTRY_DECODERS:
            key, decode = _ENTRY_DECODERS[number]
            event.setdefault(key, []).append(decode(value))
    return event


def _timestamp(message: bytes) -> str:
    """A google.protobuf.Timestamp as the RFC 3339 text rawjson carries."""
    seconds = nanos = 0
    for number, value in fields(message):
        if number == 1 and isinstance(value, int):
            seconds = signed(value)
        elif number == 2 and isinstance(value, int):
            nanos = value
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def _text(value: int | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else ""


def _base64(value: int | bytes) -> str:
    return binascii.b2a_base64(value, newline=False).decode() if isinstance(value, bytes) else ""


def _vertex(message: bytes) -> dict[str, Any]:
    vertex: dict[str, Any] = {}
    for number, value in fields(message):
        if number == 1:
            vertex["digest"] = _text(value)
        elif number == 2:
            vertex.setdefault("inputs", []).append(_text(value))
        elif number == 3:
            vertex["name"] = _text(value)
        elif number == 4:
            vertex["cached"] = value == 1
        elif number in (5, 6) and isinstance(value, bytes):
            vertex["started" if number == 5 else "completed"] = _timestamp(value)
        elif number == 7:
            vertex["error"] = _text(value)
        elif number == 8 and isinstance(value, bytes):
            group = {1: "id", 2: "name", 3: "weak"}
            vertex["progressGroup"] = {
                group[n]: (v == 1 if n == 3 else _text(v)) for n, v in fields(value) if n in group
            }
    return vertex


def _vertex_status(message: bytes) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for number, value in fields(message):
        if number in (1, 2, 3):
            status[("id", "vertex", "name")[number - 1]] = _text(value)
        elif number in (4, 5) and isinstance(value, int):
            status["current" if number == 4 else "total"] = signed(value)
        elif number in (6, 7, 8) and isinstance(value, bytes):
            status[("timestamp", "started", "completed")[number - 6]] = _timestamp(value)
    return status


def _vertex_log(message: bytes) -> dict[str, Any]:
    log: dict[str, Any] = {}
    for number, value in fields(message):
        if number == 1:
            log["vertex"] = _text(value)
        elif number == 2 and isinstance(value, bytes):
            log["timestamp"] = _timestamp(value)
        elif number == 3 and isinstance(value, int):
            log["stream"] = signed(value)
        elif number == 4:
            log["data"] = _base64(value)
    return log


def _vertex_warning(message: bytes) -> dict[str, Any]:
    warning: dict[str, Any] = {}
    for number, value in fields(message):
        if number == 1:
            warning["vertex"] = _text(value)
        elif number == 2 and isinstance(value, int):
            warning["level"] = signed(value)
        elif number == 3:
            warning["short"] = _base64(value)
        elif number == 4:
            warning.setdefault("detail", []).append(_base64(value))
        elif number == 5:
            warning["url"] = _text(value)
    return warning


_ENTRY_DECODERS = {
    1: ("vertexes", _vertex),
    2: ("statuses", _vertex_status),
    3: ("logs", _vertex_log),
    4: ("warnings", _vertex_warning),
}
