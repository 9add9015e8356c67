"""Files kept with a run, beside its stream: what later questions need and the stream
does not hold. The Dockerfile lets the dashboard and ``suggest`` give diffs for a
stored run; the context manifest lets ``compare`` name the files a COPY saw change;
Docker's own record keeps provenance and host usage.

They are written in the run's own ingest transaction (a run never exists without
the files it was stored with) and added later only by :meth:`Store.attach`, which
replaces a file of the same name.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from profiler.store.derive import COMPRESSION, compress, decompress
from profiler.store.schema import run_files

DOCKERFILE = "dockerfile"
"""The Dockerfile's text, as the build read it."""
CONTEXT_MANIFEST = "context-manifest"
"""JSON: paths and content hashes of what the build context's COPY/ADD sources match."""
RECORD = "dockerbuild"
"""Docker's own record of the build (a ``.dockerbuild`` file)."""

FILE_NAMES = (DOCKERFILE, CONTEXT_MANIFEST, RECORD)


def check_name(name: str) -> str:
    if name not in FILE_NAMES:
        raise ValueError(f"not a file kitprof keeps with a run: {name!r} (one of {FILE_NAMES})")
    return name


def write_files(connection: Connection, run_id: int, files: Mapping[str, bytes]) -> None:
    """Insert (or replace) the run's ``files`` in the caller's transaction."""
    if not files:
        return
    names = [check_name(name) for name in files]
    connection.execute(
        delete(run_files).where(run_files.c.run_id == run_id, run_files.c.name.in_(names))
    )
    connection.execute(
        run_files.insert(),
        [
            {
                "run_id": run_id,
                "name": name,
                "compression": COMPRESSION,
                "data": compress(data),
            }
            for name, data in files.items()
        ],
    )


def read_file(connection: Connection, run_id: int, name: str) -> bytes | None:
    """The file kept under ``name`` with the run, or ``None``."""
    row = connection.execute(
        select(run_files.c.compression, run_files.c.data).where(
            run_files.c.run_id == run_id, run_files.c.name == check_name(name)
        )
    ).first()
    return None if row is None else decompress(bytes(row.data), row.compression)


def file_names(connection: Connection, run_id: int) -> list[str]:
    """The names of the files kept with the run."""
    rows = connection.execute(
        select(run_files.c.name).where(run_files.c.run_id == run_id).order_by(run_files.c.name)
    )
    return [str(name) for (name,) in rows]
