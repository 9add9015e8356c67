"""What ``kitprof ingest`` and ``kitprof reanalyze`` wrote to the history, as JSON and
as one line a file or a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from profiler.render.format import JSON_SCHEMA

if TYPE_CHECKING:
    from profiler.store import IngestResult, ReanalyzeResult


def ingested_entry(file: str, result: IngestResult) -> dict[str, Any]:
    """One stored build in ``kitprof ingest --json``."""
    return {
        "file": file,
        "run_id": result.run_id,
        "created": result.created,
        "sha256": result.sha256,
        "build_index": result.build_index,
        "build_name": result.build_name,
        **_label_entry(result.labels_added, result.labels_refused),
    }


def _label_entry(
    added: Mapping[str, str], refused: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    return {
        "labels_added": dict(added),
        "labels_refused": {
            key: {"given": given, "stored": stored} for key, (given, stored) in refused.items()
        },
    }


def already_stored_entry(
    file: str,
    run_id: int | None,
    added: Mapping[str, str] | None = None,
    refused: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A build record the history already holds (``ingest --from-history``): not read."""
    entry = {"file": file, "run_id": run_id, "created": False}
    return {**entry, **_label_entry(added or {}, refused or {})}


def already_stored_line(
    file: str,
    run_id: int | None,
    added: Mapping[str, str] | None = None,
    refused: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    return f"{file}: already stored as run {run_id}" + _label_outcome(added or {}, refused or {})


def ingested_line(file: str, result: IngestResult) -> str:
    """``build.log build 2 (api): stored as run 7``; for a run already stored, what
    became of the labels given (``; labels added: arch=arm64``)."""
    what = "stored as" if result.created else "already stored as"
    line = f"{file}{_which(result.build_index, result.build_name)}: {what} run {result.run_id}"
    return line + _label_outcome(result.labels_added, result.labels_refused)


def _label_outcome(added: Mapping[str, str], refused: Mapping[str, tuple[str, str]]) -> str:
    if refused:
        return "; labels not added: " + label_conflicts(refused)
    return "; labels added: " + _pairs(added) if added else ""


def label_conflicts(refused: Mapping[str, tuple[str, str]]) -> str:
    """``arch=arm64 (the run has arch=amd64)``: why labels given again were refused."""
    return ", ".join(
        f"{key}={given} (the run has {key}={stored})" for key, (given, stored) in refused.items()
    )


def _pairs(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in labels.items())


def _which(index: int | None, name: str | None) -> str:
    """`` build 2 (api)`` for one build of a log that holds several; else nothing."""
    if index is None:
        return f" build {name}" if name else ""
    return f" build {index}" + (f" ({name})" if name else "")


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
