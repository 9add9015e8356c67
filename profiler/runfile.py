"""The run file: what ``kitprof run`` knows of a run that its stream does not say.

``kitprof run`` writes it beside the stream, ``build.rawjson`` → ``build.run.json``
(:func:`run_info_path`; any other name gets ``.run.json`` added): the command, the
context and its git commit, the host, the versions (:class:`profiler.environment.RunInfo`).
Whatever reads a stream later (``kitprof ingest``, the dashboard, the store's
``ingest``) finds it with :func:`run_info_beside`, which also reads the name earlier
kitprof versions looked for, ``build.rawjson.run.json``.

The file is read leniently, by key, so files of older or newer versions still count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from profiler.errors import InputError

STREAM_SUFFIX = ".rawjson"
RUN_INFO_SUFFIX = ".run.json"


def run_info_path(stream: Path) -> Path:
    """Where ``kitprof run`` writes the run file of ``stream``."""
    name = stream.name
    stem = name.removesuffix(STREAM_SUFFIX) if name.endswith(STREAM_SUFFIX) else name
    return stream.with_name(stem + RUN_INFO_SUFFIX)


def run_info_candidates(stream: Path) -> list[Path]:
    """Where a stream's run file may be, in the order looked at.

    The name ``kitprof run`` writes first, then the whole stream name with
    ``.run.json`` added (what ``ingest`` and the dashboard used to look for alone).
    """
    written = run_info_path(stream)
    appended = stream.with_name(stream.name + RUN_INFO_SUFFIX)
    return [written] if appended == written else [written, appended]


def find_run_info(stream: Path) -> Path | None:
    """The run file beside ``stream``, if there is one."""
    return next((path for path in run_info_candidates(stream) if path.is_file()), None)


def read_run_info_file(path: Path) -> dict[str, Any]:
    """The run file's JSON object; :class:`InputError` if it is unreadable or no object."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a JSON object")
    return data


def run_info_beside(stream: Path) -> dict[str, Any] | None:
    """The run file of ``stream`` as read, or ``None`` when there is none."""
    path = find_run_info(stream)
    return read_run_info_file(path) if path is not None else None
