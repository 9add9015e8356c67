"""What the history commands (ingest, runs, compare, trends, check, reanalyze) share:
the ``--db``, ``--label``, ``--branch`` and ``--json`` options, parsing them, opening
the store, and printing a JSON document (built by a presenter in :mod:`profiler.render`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from profiler.render.format import json_bytes

if TYPE_CHECKING:
    from profiler.store import Store

# The store (and SQLAlchemy) is imported only by the commands that use it, so that
# `kitprof analyze` and friends start as fast as before.
ENV_VAR = "KITPROF_DB"  # = profiler.store.ENV_VAR (a test keeps them equal)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=ENV_VAR,
        metavar="URL",
        help=(
            "History database: postgresql://user:pass@host/db, sqlite:///path, or a file "
            "path. Default: a SQLite file in the user's data directory."
        ),
        show_default=False,
    ),
]
LabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", metavar="KEY=VALUE", help="A label; repeat for several."),
]
BranchOption = Annotated[
    str | None, typer.Option("--branch", metavar="BRANCH", help="Only runs of this git branch.")
]
BuildOption = Annotated[
    str | None,
    typer.Option(
        "--build",
        metavar="NAME",
        help="Only runs of this build (its name as `kitprof runs` shows it).",
    ),
]
BuildNameOption = Annotated[
    str | None,
    typer.Option(
        "--build-name",
        metavar="NAME",
        help=(
            "Which build this is a run of (default: from the context's folder, the "
            "Dockerfile and the target)."
        ),
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def parse_labels(values: Sequence[str] | None) -> dict[str, str]:
    """``["arch=amd64", "runner=large"]`` → a dict; a usage error (exit 2) otherwise."""
    labels: dict[str, str] = {}
    for value in values or ():
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="'--label'")
        labels[key.strip()] = rest.strip()
    return labels


def parse_fraction(value: str, option: str) -> float:
    """``20%``, ``0.2`` or ``20`` → 0.2 (a bare number above 1 is a percentage)."""
    text = value.strip()
    try:
        number = float(text.removesuffix("%"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a percentage", param_hint=option) from None
    if text.endswith("%") or number > 1:
        number /= 100
    if number < 0:
        raise typer.BadParameter(f"{value!r} is negative", param_hint=option)
    return number


@contextmanager
def open_store(db: str | None) -> Iterator[Store]:
    from profiler.store import Store

    store = Store(db)
    try:
        yield store
    finally:
        store.close()


def print_json(document: Mapping[str, Any]) -> None:
    sys.stdout.buffer.write(json_bytes(document))
    sys.stdout.flush()
