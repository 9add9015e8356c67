"""Which history database a ``--db`` value names, read without SQLAlchemy.

The default SQLite file, ``$KITPROF_DB``, and (for the direct reader,
:mod:`profiler.store.direct`) the SQLite file a plain value names. The engine
(:func:`profiler.store.engine.database_url`) makes the SQLAlchemy URL of the same
choice.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "KITPROF_DB"


def default_sqlite_path() -> Path:
    """Where the history lives unless ``--db`` or ``KITPROF_DB`` says otherwise.

    In kitprof's data directory, next to the streams ``kitprof run`` saves
    (``KITPROF_DATA_DIR`` moves both).
    """
    from profiler.capture.paths import data_dir

    return data_dir() / "history.db"


def chosen_db(db: str | None) -> str | None:
    """``db`` as given, else ``$KITPROF_DB``; ``None``: the default SQLite file."""
    if db is None or not db.strip():
        db = os.environ.get(ENV_VAR, "").strip() or None
    return db


def sqlite_file(db: str | None) -> tuple[Path, str] | None:
    """The SQLite file ``db`` names (after :func:`chosen_db`) and its URL as the Store
    shows it, when it is simply one: the default, a file path, or ``sqlite:///path``
    with nothing to decode in it. ``None`` for anything else (PostgreSQL, a URL with a
    query or escapes, an in-memory database): only the engine reads those."""
    db = chosen_db(db)
    if db is None:
        database = str(default_sqlite_path())
    elif "://" not in db:
        database = str(Path(db).expanduser())
    else:
        database = db.removeprefix("sqlite:///")
        if database == db or not database or any(sign in database for sign in "?%#"):
            return None
    return Path(database), f"sqlite:///{database}"
