from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profiler.logtable import LogTable, microseconds, plain_entries
from profiler.model import LogChunk
from profiler.validate import timestamp_microseconds
from tests.streams import stamp


def _entry(vertex: object = "v", at: float = 1.0, **changes: object) -> dict[str, object]:
    entry: dict[str, object] = {"vertex": vertex, "stream": 1, "data": "aGkK"}
    entry["timestamp"] = stamp(at)
    entry.update(changes)
    return entry


def test_plain_entries_give_the_times_the_one_by_one_path_gives() -> None:
    entries: list[object] = [_entry("a", 1.5), _entry("b", 0.25, stream=2)]
    entries.append(_entry("a", 2.0, timestamp="2026-03-01T13:00:02.000000001+01:00"))
    plain = plain_entries(entries, known={"a"})
    assert plain is not None
    assert plain.digests == ["a", "b", "a"] and plain.streams == [1, 2, 1]
    assert plain.data == ["aGkK"] * 3
    stamps = [entry["timestamp"] for entry in entries if isinstance(entry, dict)]
    expected = [timestamp_microseconds(value) for value in stamps]
    assert [microseconds(time) for time in plain.times] == expected
    assert plain.latest == max(t for t in expected if t is not None)
    assert not plain.all_known  # "b" is not known


def test_plain_entries_say_whether_every_vertex_was_known() -> None:
    entries: list[object] = [_entry("a"), _entry("b"), _entry("a")]
    known = plain_entries(entries, known={"a", "b", "c"})
    new = plain_entries(entries, known={"a"})
    assert known is not None and known.all_known
    assert new is not None and not new.all_known
    assert known[:-1] == new[:-1]


@pytest.mark.parametrize(
    "odd",
    [
        "not a dict",
        {"vertex": "v", "stream": 1, "data": "aGkK"},
        _entry(stream=True),
        _entry(stream="1"),
        _entry(data=None),
        _entry(vertex=3),
        _entry(vertex=["v"]),
        _entry(timestamp="0001-01-01T00:00:00Z"),
        _entry(timestamp="1999-12-31T23:59:59Z"),
        _entry(timestamp="2026-03-01T12:00:00"),
        _entry(timestamp="soon"),
        _entry(timestamp=1.5),
    ],
)
def test_one_odd_entry_leaves_the_list_to_the_entry_by_entry_path(odd: object) -> None:
    assert plain_entries([_entry(), odd, _entry()], known={"v"}) is None
    assert plain_entries([_entry(), odd, _entry()], known=set()) is None


def test_frozen_logs_group_entries_by_vertex_in_stream_order() -> None:
    table = LogTable()
    late = datetime(1970, 1, 1, 0, 0, 4, 500_000, tzinfo=UTC)  # as plain_entries keeps it
    table.add([0, 1, 0], [2_000_000, 3_000_000, late], [1, 2, 2], ["YQ==", "Yg==", "Yw=="])
    frozen = table.frozen(origin=1_000_000)
    table.add([0], [9_000_000], [1], ["ZA=="])  # after the freeze: not in it
    assert frozen.chunks(0) == (LogChunk(1.0, 1, "YQ=="), LogChunk(3.5, 2, "Yw=="))
    assert frozen.chunks(1) == (LogChunk(2.0, 2, "Yg=="),)
    assert frozen.chunks(7) == ()
    assert len(table.frozen(origin=0).chunks(0)) == 3
