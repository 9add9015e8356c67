"""Where captured runs are kept: ``<data dir>/runs/<UTC timestamp>-<short id>.rawjson``.

The data directory is ``platformdirs.user_data_dir("kitprof")`` (on Linux
``~/.local/share/kitprof``); ``KITPROF_DATA_DIR`` overrides it. The run file sits
next to its stream (:func:`profiler.runfile.run_info_path`).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from profiler.runfile import STREAM_SUFFIX

DATA_DIR_ENV = "KITPROF_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("kitprof", appauthor=False))


def runs_dir() -> Path:
    return data_dir() / "runs"


def new_run_id(now: datetime | None = None) -> str:
    """``20260301T120000Z-3fa2c1``: sorts by time, unique enough for one machine."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def default_stream_path(run_id: str) -> Path:
    return runs_dir() / f"{run_id}{STREAM_SUFFIX}"
