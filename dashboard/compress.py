"""Gzip for what the dashboard sends: its scripts, pages and callback answers.

A build page needs about 2.5 MB of scripts (Dash's renderer and components, plotly.js)
and, on a big build, a few hundred kB of figure JSON: sent as they are, they are most
of what a fresh page waits for. Compressed once, static files are kept compressed
(keyed by path and ETag: Dash fingerprints them, so they never change under one key);
callback answers are compressed as they go (level 5: three times faster than 9 for a
few per cent more bytes).

Dash's own ``compress=True`` needs flask-compress; this is the 60 lines of it the
dashboard uses, without another dependency.
"""

from __future__ import annotations

import base64
import gzip
import re
import threading

from flask import Flask, Response, request

MIN_BYTES = 1024
"""Smaller answers are sent as they are: a gzip header would be most of them."""
COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/plain",
    "application/javascript",
    "text/javascript",
    "application/json",
)
STATIC_LEVEL = 9
"""Static files are compressed once: the best ratio is worth the one-time cost."""
DYNAMIC_LEVEL = 5
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")


class GzipCache:
    """Compressed static files, by (path, ETag); shared by the threads of one app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], bytes] = {}

    def get(self, key: tuple[str, str], data: bytes) -> bytes:
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            found = gzip.compress(data, STATIC_LEVEL, mtime=0)
            with self._lock:
                self._kept[key] = found
        return found


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``gzip;q=0`` refuses it)."""
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            return not (params.strip().startswith("q=") and _zero(quality))
    return False


def _zero(quality: str) -> bool:
    try:
        return float(quality) == 0.0
    except ValueError:
        return False


def compressed(response: Response, path: str, accept: str | None, cache: GzipCache) -> Response:
    """``response`` gzipped when the client takes it and it is worth it."""
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
        or not accepts_gzip(accept)
    ):
        return response
    response.direct_passthrough = False  # a file response: read it to compress it
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    static = path.startswith(STATIC_PREFIXES)
    if static:
        body = cache.get((path, response.headers.get("ETag", str(len(data)))), data)
    else:
        body = gzip.compress(data, DYNAMIC_LEVEL, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    response.vary.add("Accept-Encoding")
    return response


def enable_gzip(server: Flask) -> None:
    """Compress the server's answers (an ``after_request`` hook)."""
    cache = GzipCache()

    def hook(response: Response) -> Response:
        return compressed(response, request.path, request.headers.get("Accept-Encoding"), cache)

    server.after_request(hook)


def request_headers(auth: tuple[str, str] | None) -> dict[str, str]:
    """The headers of a browser's request, for the server's own requests at start."""
    headers = {"Accept-Encoding": "gzip"}
    if auth is not None:
        token = base64.b64encode(":".join(auth).encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def warm_gzip(server: Flask, auth: tuple[str, str] | None = None) -> None:
    """Compress the page's scripts now, at start: else the first visitor of a fresh
    server waits for each one to be compressed (about 0.4 s on a loaded machine)."""
    headers = request_headers(auth)
    client = server.test_client()
    with client.get("/", headers=headers) as page:
        text = gzip.decompress(page.get_data()) if page.headers.get("Content-Encoding") else b""
    for src in re.findall(rb'<script src="([^"]+)"', text):
        client.get(src.decode(), headers=headers).close()  # a file response: close it
