"""What the history commands (ingest, runs, compare, trends, check, reanalyze) share:
the ``--db`` and ``--label`` options, opening the store, and the JSON of a stored run.

JSON keys are stable: added, never renamed (each document has ``"schema": 1``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

if TYPE_CHECKING:
    from profiler.store import RunRecord, Store

# The store (and SQLAlchemy) is imported only by the commands that use it, so that
# `kitprof analyze` and friends start as fast as before.
ENV_VAR = "KITPROF_DB"  # = profiler.store.ENV_VAR (a test keeps them equal)

JSON_SCHEMA = 1

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
    sys.stdout.buffer.write(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    sys.stdout.flush()


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_dict(record: RunRecord) -> dict[str, Any]:
    """A stored run in JSON (``runs --json`` and the run blocks of other commands)."""
    ci = (
        None
        if record.ci_provider is None
        else {
            "provider": record.ci_provider,
            "job": record.ci_job,
            "run_id": record.ci_run_id,
            "run_url": record.ci_run_url,
        }
    )
    return {
        "id": record.id,
        "started_at": moment(record.started_at),
        "ingested_at": moment(record.ingested_at),
        "status": record.status,
        "failed_step": record.failed_step,
        "truncated": record.truncated,
        "wall_seconds": rounded(record.wall_seconds),
        "sequential_seconds": rounded(record.sequential_seconds),
        "critical_path_seconds": rounded(record.critical_path_seconds),
        "lower_bound_seconds": rounded(record.lower_bound_seconds),
        "parallelism": rounded(record.parallelism, 4),
        "vertices": record.vertex_count,
        "cache": {
            "steps": record.cache_steps,
            "cached": record.cached_steps,
            "executed": record.executed_steps,
            "hit_ratio": rounded(record.cache_hit_ratio, 4),
        },
        "git": {"commit": record.git_commit, "branch": record.git_branch},
        "ci": ci,
        "command": record.command,
        "context": record.context,
        "host": record.host,
        "cores": record.cores,
        "versions": {
            "kitprof": record.kitprof_version,
            "docker": record.docker_version,
            "buildx": record.buildx_version,
            "buildkit": record.buildkit_version,
            "driver": record.driver,
        },
        "labels": dict(record.labels),
        "stream": {
            "sha256": record.stream_sha256,
            "bytes": record.stream_bytes,
            "source": record.source,
        },
        "analysis": {
            "derived_version": record.derived_version,
            "analyzed_at": moment(record.analyzed_at),
        },
    }


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int = 24) -> str:
    """The last ``width`` values as block characters (a gap for a missing value)."""
    shown = list(values)[-width:]
    present = [value for value in shown if value is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    if span <= 1e-9 * max(abs(low), abs(high), 1.0):
        span = 0.0  # float noise (1.0 vs 0.9999999999) is a flat line, not a trend
    return "".join(
        " "
        if value is None
        else SPARK_BLOCKS[0 if span == 0 else round((value - low) / span * (len(SPARK_BLOCKS) - 1))]
        for value in shown
    )


def signed_seconds(value: float | None) -> str:
    from profiler.render.console import seconds

    if value is None:
        return "-"
    sign = "+" if value > 0.0005 else "-" if value < -0.0005 else "±"
    return f"{sign}{seconds(abs(value))}"


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"
