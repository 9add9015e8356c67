"""Rows of one ingest: a stream parsed as the store keeps it, and its run, labels,
stages and steps inserted in one transaction (the :class:`Store` opens it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable
from sqlalchemy.engine import Connection

from profiler.errors import StreamError
from profiler.store.context import RunContext
from profiler.store.derive import (
    Derived,
    derive,
)
from profiler.store.schema import (
    run_labels,
    runs,
    stages,
    steps,
)

if TYPE_CHECKING:
    # Imported where used: `kitprof runs` lists rows, it neither parses nor analyses.
    from profiler.model import Build
    from profiler.store.kept import KeptStream


def prepare_builds(
    source: str | Path | bytes, label: str, allow_truncated: bool
) -> tuple[KeptStream, list[tuple[int | None, Derived]]]:
    """The stream as kept, and each of its builds with its number (``None`` when it
    holds only one). Read as it streams: see :mod:`profiler.store.kept`."""
    from profiler.sources import InputTooLarge
    from profiler.store.kept import keep_and_read

    try:
        kept, builds = keep_and_read(source)
    except InputTooLarge:
        raise  # it names the input and says that nothing is stored
    except StreamError as error:
        message = str(error).removeprefix("input: ")
        if message.startswith("empty input"):
            raise StreamError(f"{label} is empty: nothing stored") from None
        raise StreamError(f"{label}: {message}; nothing stored") from None
    if any(build.truncated for build in builds) and not allow_truncated:
        raise StreamError(
            f"{label} is cut off inside an event (the build or its capture was killed); "
            "nothing stored. Ingest it with --allow-truncated to keep it as an "
            "incomplete run"
        )
    if len(builds) == 1:
        return kept, [(None, derive(builds[0]))]
    return kept, [(index, derive(build)) for index, build in enumerate(builds, start=1)]


def build_context(context: RunContext, index: int | None, name: str | None) -> RunContext:
    """The context of one build of a stream: labelled ``build`` with its name (else
    its number, when the stream holds several), unless the context sets that label."""
    if (index is None and not name) or "build" in context.labels:
        return context
    return dataclasses.replace(context, labels={**context.labels, "build": name or str(index)})


def with_recorded_dockerfile(context: RunContext, build: Build) -> RunContext:
    """The context with the Dockerfile a build record (``.dockerbuild``) carries in its
    provenance, kept with the run like ``ingest --dockerfile``; one given wins."""
    from profiler.store.files import DOCKERFILE

    text = build.record.dockerfile_text if build.record is not None else None
    if text is None or DOCKERFILE in context.files:
        return context
    return dataclasses.replace(context, files={**context.files, DOCKERFILE: text.encode()})


def chosen_builds(
    prepared: list[tuple[int | None, Derived]], build: str | None, label: str
) -> list[tuple[int | None, Derived]]:
    from profiler.sources import build_position

    if build is None:
        return prepared
    position = build_position([derived.build for _, derived in prepared], build, label)
    return [prepared[position]]


def insert_run(connection: Connection, values: dict[str, Any]) -> Executable:
    """INSERT the run unless its stream is already stored; RETURNING the new id.

    ``ON CONFLICT DO NOTHING`` makes a concurrent ingest of the same stream wait for the
    first one and then insert nothing, where a plain INSERT would fail. The dialects
    are imported here: importing PostgreSQL's costs a SQLite user 50 ms at every start.
    """
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return (
            postgresql.insert(runs)
            .values(values)
            .on_conflict_do_nothing(index_elements=["stream_sha256"])
            .returning(runs.c.id)
        )
    from sqlalchemy.dialects import sqlite

    return (
        sqlite.insert(runs)
        .values(values)
        .on_conflict_do_nothing(index_elements=["stream_sha256"])
        .returning(runs.c.id)
    )


def insert_rows(
    connection: Connection, run_id: int, derived: Derived, labels: list[dict[str, str]]
) -> None:
    if labels:
        connection.execute(run_labels.insert(), [{"run_id": run_id, **label} for label in labels])
    if derived.stages:
        connection.execute(stages.insert(), [{"run_id": run_id, **row} for row in derived.stages])
    if derived.steps:
        connection.execute(steps.insert(), [{"run_id": run_id, **row} for row in derived.steps])
