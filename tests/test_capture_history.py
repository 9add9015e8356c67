"""Finding a build's own history records: the pure parts (the daemon's are in
tests/integration/test_modern.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from profiler.capture.history import HistoryError, HistoryRecord, _time, records_of_run, select
from profiler.cli.ingest_history import parse_since

T0 = datetime(2026, 12, 2, 6, 0, 0, tzinfo=UTC)


def record(ref: str, name: str, seconds: float) -> HistoryRecord:
    return HistoryRecord(ref, name, "Completed", T0 + timedelta(seconds=seconds))


def test_go_timestamps_with_nanoseconds_are_read() -> None:
    assert _time("2026-12-02T06:04:25.693345406Z") == datetime(
        2026, 12, 2, 6, 4, 25, 693345, tzinfo=UTC
    )
    assert _time("not a time") is None and _time(None) is None


def test_a_run_gets_the_records_created_while_it_ran_named_after_its_context(
    tmp_path: Path,
) -> None:
    context = tmp_path / "parallel"
    context.mkdir()
    records = [
        record("before", "tests/parallel", -30),
        record("mine", "tests/parallel", 0.4),
        record("other", "elsewhere", 0.5),
        record("after", "tests/parallel", 90),
    ]
    found = records_of_run(records, T0, T0 + timedelta(seconds=10), str(context))
    assert [r.ref for r in found] == ["mine"]
    # bake: several records, named "<dir> (<target>)", none filtered without a context
    bake = [record("b", "bake (web)", 1.0), record("a", "bake (api)", 0.9)]
    assert [r.ref for r in records_of_run(bake, T0, T0 + timedelta(seconds=5))] == ["a", "b"]
    remote = records_of_run(bake, T0, T0 + timedelta(seconds=5), "https://example.invalid/r.git")
    assert len(remote) == 2  # not a local directory: no name to check, the time decides
    (tmp_path / "bake").mkdir()
    named = records_of_run(bake, T0, T0 + timedelta(seconds=5), str(tmp_path / "bake"))
    assert [r.ref for r in named] == ["a", "b"]


def test_refs_are_selected_by_id_full_ref_or_unique_prefix() -> None:
    records = [record("abc123", "x", 0), record("abd456", "y", 1)]
    assert select(records, ["default/default/abc123", "abd"]) == [records[0], records[1]]
    with pytest.raises(HistoryError, match="2 records of this builder match 'ab'"):
        select(records, ["ab"])
    with pytest.raises(HistoryError, match="no record"):
        select(records, ["zzz"])


def test_since_takes_days_hours_minutes() -> None:
    assert parse_since("7d") == timedelta(days=7)
    assert parse_since("30m") == timedelta(minutes=30)
    assert parse_since(None) is None
    with pytest.raises(HistoryError, match="expected a number"):
        parse_since("week")
