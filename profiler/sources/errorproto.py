"""A failed build's error as its record keeps it: the ``externalError`` layer.

The layer (``application/vnd.googeapis.google.rpc.status+proto``, sic) is a
``google.rpc.Status``: 1 ``code``, 2 ``message``, 3 ``details``, each a
``google.protobuf.Any`` (1 ``type_url``, 2 ``value``). BuildKit's details carry JSON
values (type URLs ending ``+json``): ``errdefs.Source`` (the Dockerfile, its name
and the line ranges of the failed instruction), ``errdefs.Vertex`` (the digest of
the vertex that failed), ``gatewayapi.ExitMessage`` (the process's exit code), and
Go stacks, which are of no use here. Unknown details are skipped.
"""

from __future__ import annotations

import binascii
from typing import Any

import orjson

from profiler.record import LineRange, RecordFailure, SourceLocation
from profiler.sources.protowire import WireError, fields

SOURCE = "github.com/moby/buildkit/errdefs.Source+json"
VERTEX = "github.com/moby/buildkit/errdefs.Vertex+json"
EXIT = "github.com/moby/buildkit/gatewayapi.ExitMessage+json"


def read_failure(status: bytes, message: str | None = None) -> RecordFailure | None:
    """The failure a ``google.rpc.Status`` describes; ``None`` if it is not one.

    ``message`` (the config's ``error.message``) stands in for a status without one.
    """
    try:
        entries = list(fields(status))
    except WireError:
        return None
    text = message
    details: dict[str, Any] = {}
    for number, value in entries:
        if number == 2 and isinstance(value, bytes):
            text = value.decode("utf-8", errors="replace") or text
        elif number == 3 and isinstance(value, bytes):
            type_url, payload = _any(value)
            if type_url in (SOURCE, VERTEX, EXIT) and type_url not in details:
                details[type_url] = payload
    if not text:
        return None
    vertex = _dict(details.get(VERTEX)).get("digest")
    code = _dict(details.get(EXIT)).get("Code")
    return RecordFailure(
        message=text,
        vertex=vertex if isinstance(vertex, str) else None,
        exit_code=code if isinstance(code, int) else None,
        location=_location(_dict(details.get(SOURCE))),
    )


def _any(message: bytes) -> tuple[str | None, Any]:
    type_url: str | None = None
    payload: Any = None
    try:
        for number, value in fields(message):
            if number == 1 and isinstance(value, bytes):
                type_url = value.decode("utf-8", errors="replace")
            elif number == 2 and isinstance(value, bytes):
                payload = value
    except WireError:
        return None, None
    if type_url is None or not type_url.endswith("+json") or payload is None:
        return type_url, None
    try:
        return type_url, orjson.loads(payload)
    except orjson.JSONDecodeError:
        return type_url, None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _location(source: dict[str, Any]) -> SourceLocation | None:
    info = _dict(source.get("info"))
    ranges: list[LineRange] = []
    for span in source.get("ranges") or []:
        start = _dict(_dict(span).get("start")).get("line")
        end = _dict(_dict(span).get("end")).get("line", start)
        if isinstance(start, int) and start > 0:
            ranges.append(LineRange(start, end if isinstance(end, int) and end >= start else start))
    if not ranges:
        return None
    text = None
    if isinstance(info.get("data"), str):
        try:
            text = binascii.a2b_base64(info["data"]).decode("utf-8", errors="replace")
        except binascii.Error:
            text = None
    return SourceLocation(
        filename=str(info.get("filename") or "Dockerfile"),
        lines=tuple(sorted(set(ranges), key=lambda r: (r.start, r.end))),
        text=text,
    )
