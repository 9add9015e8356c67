"""Where captured runs are kept: ``<data dir>/runs/<UTC timestamp>-<short id>.rawjson``.

The data directory is ``platformdirs.user_data_dir("kitprof")`` (on Linux
``~/.local/share/kitprof``); ``KITPROF_DATA_DIR`` overrides it. The run file sits
next to its stream (:func:`profiler.runfile.run_info_path`).

What kitprof writes there is private to the user: command lines, host names, logs of
builds. The data directory is made ``0700``, streams, run files and the history
database ``0600``, whatever the umask.
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


PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by the user alone.

    Only the folders kitprof creates are restricted: an existing folder is the user's
    choice and is left as it is.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, PRIVATE_DIR_MODE)


def private_opener(path: str, flags: int) -> int:
    """``open(..., opener=private_opener)``: a file created readable by the user alone."""
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # the umask, or an older file, may differ
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists, ``0600`` if kitprof creates it now (a new database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        return
    os.chmod(path, PRIVATE_FILE_MODE)


def runs_dir() -> Path:
    return data_dir() / "runs"


def new_run_id(now: datetime | None = None) -> str:
    """``20260301T120000Z-3fa2c1``: sorts by time, unique enough for one machine."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def default_stream_path(run_id: str) -> Path:
    return runs_dir() / f"{run_id}{STREAM_SUFFIX}"
