"""What ``kitprof ingest`` and ``kitprof reanalyze`` wrote to the history, as JSON and
as one line a file or a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from profiler.render.format import JSON_SCHEMA

if TYPE_CHECKING:
    from profiler.store import ReanalyzeResult


def ingested_line(file: str, run_id: int, created: bool) -> str:
    what = "stored as" if created else "already stored as"
    return f"{file}: {what} run {run_id}"


def ingest_dict(
    url: str, ingested: Sequence[dict[str, Any]], errors: Sequence[dict[str, str]]
) -> dict[str, Any]:
    """``kitprof ingest --json``: one entry a stored file, one a file that failed."""
    return {
        "schema": JSON_SCHEMA,
        "database": url,
        "ingested": list(ingested),
        "errors": list(errors),
    }


def reanalyze_dict(url: str, result: ReanalyzeResult) -> dict[str, Any]:
    """``kitprof reanalyze --json``: how many runs were rewritten, which failed and why."""
    return {
        "schema": JSON_SCHEMA,
        "database": url,
        "reanalyzed": result.reanalyzed,
        "failures": [{"run_id": run_id, "error": error} for run_id, error in result.failures],
    }


def reanalyzed_line(url: str, result: ReanalyzeResult) -> str:
    return f"reanalysed {result.reanalyzed} run(s) in {url}"
