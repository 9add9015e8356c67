"""``kitprof ingest --from-history``: the builder's own records, exported and stored.

Each record is exported (``docker buildx history export``) into a temporary
directory and ingested like a file, labelled ``history_ref=<id>``. A record already
stored (a run with that label) is not exported again: ingesting twice stores once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from profiler.capture.history import (
    HistoryError,
    HistoryRecord,
    check_buildx,
    export_record,
    list_records,
    select,
)
from profiler.store import Store

HISTORY_REF_LABEL = "history_ref"


@dataclass(frozen=True, slots=True)
class Exported:
    record: HistoryRecord
    path: Path | None
    """The exported file; ``None`` when the record is already stored."""
    stored_run: int | None


def chosen_records(
    refs: list[str], all_records: bool, builder: str | None, since: timedelta | None
) -> list[HistoryRecord]:
    """The records to ingest: those named, or all (``--all``, or all since ``since``),
    or else the newest."""
    check_buildx()
    records = list_records(builder)
    if since is not None:
        cutoff = datetime.now(UTC) - since
        records = [r for r in records if r.created_at is not None and r.created_at >= cutoff]
    if refs:
        return select(records, refs)
    if not records:
        raise HistoryError("the builder has no build records" + (" that recent" if since else ""))
    return records if all_records or since is not None else records[:1]


@contextmanager
def exported(
    store: Store, records: list[HistoryRecord], builder: str | None
) -> Iterator[list[Exported]]:
    """Each record exported to a file (removed afterwards), unless already stored."""
    with tempfile.TemporaryDirectory(prefix="kitprof-history-") as tmp:
        result = []
        for record in records:
            stored = store.runs(labels={HISTORY_REF_LABEL: record.ref}, limit=1)
            if stored:
                result.append(Exported(record, None, stored[0].id))
                continue
            path = export_record(record.ref, Path(tmp) / f"{record.ref}.dockerbuild", builder)
            result.append(Exported(record, path, None))
        yield result


def parse_since(text: str | None) -> timedelta | None:
    """``7d``, ``12h``, ``30m``: how far back ``--since`` reaches."""
    if text is None:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise HistoryError(f"--since {text!r}: expected a number and d, h, m or s (e.g. 7d)")
    return timedelta(**{units[unit]: int(number)})
