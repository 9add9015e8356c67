"""The snapshot merge rules (buildx's display.go), on exact hand-made streams."""

from __future__ import annotations

import base64
import io

import pytest

from profiler import merge
from profiler.errors import StreamError
from profiler.events import Malformed, TextLine
from profiler.merge import BuildRecorder
from profiler.model import Build, StepStatus
from profiler.sources import read_build
from tests.streams import T0, Stream, parallel_build, stamp


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.indented()))


def test_times_are_seconds_from_the_first_start() -> None:
    build = build_of(parallel_build())
    assert build.started_at == T0
    slow = build.step("sha256:slow")
    assert (slow.start, slow.end, slow.duration) == pytest.approx((1.4, 4.4, 3.0))
    assert slow.status is StepStatus.DONE


def test_duration_is_the_union_of_intervals_keyed_by_start() -> None:
    stream = (
        Stream()
        .vertex("d", "[a 1/1] RUN x", started=0.0)
        .vertex("d", "[a 1/1] RUN x", started=0.0, completed=1.0)
        # Started again (cache key computed, then executed): a second interval.
        .vertex("d", "[a 1/1] RUN x", started=2.0)
        .vertex("d", "[a 1/1] RUN x", started=2.0, completed=2.5)
        # A late snapshot repeating the first interval changes nothing.
        .vertex("d", "[a 1/1] RUN x", started=0.0, completed=1.0)
    )
    step = build_of(stream).step("d")
    assert [(i.start, i.end) for i in step.intervals] == [(0.0, 1.0), (2.0, 2.5)]
    assert step.duration == pytest.approx(1.5)
    assert step.end == 2.5


def test_an_interval_left_open_in_a_finished_step_ends_at_its_completion() -> None:
    # Seen in a killed build: a FROM sent "started" twice, completed only the second.
    stream = (
        Stream()
        .vertex("d", "[a 1/1] FROM base", started=0.0)
        .vertex("d", "[a 1/1] FROM base", started=0.1, completed=0.5)
        .step("e", "[a 2/2] RUN x", 0.5, 9.0, inputs=["d"])
    )
    step = build_of(stream).step("d")
    assert step.status is StepStatus.DONE
    assert step.duration == pytest.approx(0.5)


def test_an_unstarted_snapshot_never_rolls_back_a_started_vertex() -> None:
    stream = (
        Stream()
        .vertex("d", "[a 1/1] RUN x", started=0.0, completed=2.0)
        .vertex("d", "[a 1/1] RUN x")
    )
    step = build_of(stream).step("d")
    assert step.status is StepStatus.DONE
    assert step.duration == 2.0


def test_a_cached_vertex_with_only_a_completion_is_a_point_in_time() -> None:
    stream = (
        Stream()
        .step("a", "[a 1/2] FROM x", 0.0, 1.0)
        .vertex("b", "[a 2/2] RUN y", inputs=["a"], completed=1.2, cached=True)
    )
    step = build_of(stream).step("b")
    assert step.status is StepStatus.CACHED
    assert (step.start, step.end, step.duration) == (1.2, 1.2, 0.0)


def test_statuses_from_errors() -> None:
    stream = (
        Stream()
        .step("ok", "[a 1/3] FROM x", 0.0, 1.0)
        .step("bad", "[a 2/3] RUN false", 1.0, 2.0, error='process "/bin/sh -c false" exit 1')
        .step("sib", "[b 1/1] RUN sleep 9", 1.0, 2.0, error="context canceled")
        .step("sib2", "[c 1/1] RUN sleep 9", 1.0, 2.0, error="failed: context canceled")
        .vertex("run", "[d 1/1] RUN sleep 9", started=1.5)
    )
    build = build_of(stream)
    assert build.step("ok").status is StepStatus.DONE
    assert build.step("bad").status is StepStatus.FAILED
    assert build.step("sib").status is StepStatus.CANCELLED
    assert build.step("sib2").status is StepStatus.CANCELLED
    unfinished = build.step("run")
    assert unfinished.status is StepStatus.UNFINISHED
    # An unfinished step runs until the stream's last word.
    assert unfinished.end == build.stream_end == 2.0
    assert unfinished.duration == pytest.approx(0.5)


def test_one_digest_with_several_names_keeps_them_all() -> None:
    stream = (
        Stream()
        .vertex("d", "[api base 1/2] FROM x", started=0.0, completed=1.0)
        .vertex("d", "[web base 1/2] FROM x", started=0.0, completed=1.0)
    )
    step = build_of(stream).step("d")
    assert step.name == "[api base 1/2] FROM x"
    assert step.names == ("[api base 1/2] FROM x", "[web base 1/2] FROM x")
    assert step.target == "api"


def test_logs_are_attached_and_decoded_on_demand() -> None:
    build = build_of(parallel_build().log("sha256:slow", "warning: x\n", 3.5, stream=2))
    slow = build.step("sha256:slow")
    assert slow.log_lines() == ["compiling", "linking", "warning: x"]
    assert [(c.time, c.stream) for c in slow.logs] == [(3.0, 1), (3.5, 2)]


def test_timezone_offsets_are_honoured() -> None:
    # Client-side vertices carry the local offset; 13:00+01:00 is 12:00Z.
    stream = Stream().step("d", "[a 1/1] RUN x", 1.0, 2.0)
    stream.events.append(
        {
            "vertexes": [
                {
                    "digest": "auth",
                    "name": "[auth] token",
                    "started": "2026-03-01T13:00:00.5+01:00",
                    "completed": "2026-03-01T13:00:00.75+01:00",
                }
            ]
        }
    )
    build = build_of(stream)
    assert build.step("auth").start == 0.0
    assert build.step("d").start == 0.5


def test_text_lines_become_messages() -> None:
    build = build_of(parallel_build().text("ERROR: failed to solve: boom"))
    assert build.messages == ("ERROR: failed to solve: boom",)


def test_malformed_entries_are_skipped_with_a_note() -> None:
    stream = parallel_build()
    stream.events += [
        {"vertexes": [{"digest": 5}]},
        {"vertexes": "nope"},
        {"logs": [{"vertex": "sha256:slow", "data": 3}]},
        {"vertexes": [{"digest": "x", "name": "[a 1/1] RUN", "started": "yesterday"}]},
        {"not": "a status"},
    ]
    build = build_of(stream)
    assert len(build.notes) == 6  # five skips, and the skipped time makes times untrusted
    assert build.notes[-1].startswith("times not trusted: skipped 1 time value ")
    assert build.step("x").start is None


def test_no_vertices_is_an_error() -> None:
    with pytest.raises(StreamError, match="no build steps"):
        read_build(io.BytesIO(b'{"logs": []}\n'))


def test_steps_never_started_in_a_failed_build_are_cancelled() -> None:
    stream = (
        Stream()
        .step("bad", "[a 1/2] RUN false", 0.0, 1.0, error="exit code: 1")
        .vertex("next", "[a 2/2] RUN never", inputs=["bad"])
        .vertex("running", "[b 1/1] RUN sleep 9", started=0.5)
    )
    build = build_of(stream)
    assert build.step("next").status is StepStatus.CANCELLED
    # Started and never completed: the stream does not say how it ended.
    assert build.step("running").status is StepStatus.UNFINISHED


def test_steps_never_started_in_a_cut_off_stream_are_unfinished() -> None:
    data = (
        Stream()
        .step("bad", "[a 1/2] RUN false", 0.0, 1.0, error="exit code: 1")
        .vertex("next", "[a 2/2] RUN never", inputs=["bad"])
        .indented()
    )
    build = read_build(io.BytesIO(data + b'{\n  "vertexes": [\n'))
    assert build.truncated
    assert build.step("next").status is StepStatus.UNFINISHED


def _log_entry(digest: str, text: str, at: float, stream: int = 1) -> dict[str, object]:
    return {
        "vertex": digest,
        "stream": stream,
        "data": base64.b64encode(text.encode()).decode(),
        "timestamp": stamp(at),
    }


def _odd_log_entries() -> list[object]:
    """Log entries of every shape the one-by-one path decides on its own."""
    return [
        _log_entry("sha256:slow", "plain\n", 3.1),
        {"vertex": "sha256:slow", "data": "bm8gc3RyZWFt", "timestamp": stamp(3.2)},
        {"vertex": "sha256:slow", "stream": "2", "data": "eA==", "timestamp": stamp(3.3)},
        {"vertex": "sha256:slow", "stream": True, "data": "eQ==", "timestamp": stamp(3.4)},
        {"vertex": "sha256:slow", "stream": 1, "data": "bm8gdGltZQ=="},
        {"vertex": "sha256:slow", "stream": 1, "data": "eg==", "timestamp": "0001-01-01T00:00:00Z"},
        {"vertex": "sha256:slow", "stream": 1, "data": "dw==", "timestamp": "2026-03-01T12:00:09"},
        {"vertex": "sha256:slow", "stream": 1, "data": "dg==", "timestamp": "yesterday"},
        {"vertex": "sha256:slow", "stream": 1, "data": "dQ==", "timestamp": "2150-01-01T00:00:00Z"},
        {"vertex": "sha256:slow", "stream": 1, "data": 7, "timestamp": stamp(3.5)},
        {"vertex": 7, "stream": 1, "data": "dA==", "timestamp": stamp(3.6)},
        {"vertex": ["sha256:slow"], "stream": 1, "data": "dA==", "timestamp": stamp(3.6)},
        {
            "vertex": "sha256:slow",
            "stream": 1,
            "data": "cw==",
            "timestamp": "2026-03-01T13:00:03.5+01:00",
        },
        "not an entry",
        _log_entry("sha256:only-logs", "orphan\n", 3.7),
    ]


def _recorded(events: list[dict[str, object]], bulk: int) -> tuple[Build, list[str]]:
    """The Build of parallel_build() plus ``events``, with lists of ``bulk`` entries on
    taken a list at a time (a huge ``bulk``: never)."""
    recorder = BuildRecorder()
    stream = parallel_build()
    original = merge.BULK_LOG_ENTRIES
    merge.BULK_LOG_ENTRIES = bulk
    try:
        recorder.add_all(event for event in stream.events if isinstance(event, dict))
        recorder.add_all(events)
        build = recorder.build()
    finally:
        merge.BULK_LOG_ENTRIES = original
    return build, [repr(step.logs) for step in build]


@pytest.mark.parametrize("odd", [None, *range(len(_odd_log_entries()))])
def test_logs_taken_a_list_at_a_time_are_the_logs_taken_one_by_one(odd: int | None) -> None:
    # Logs of consecutive messages are gathered, whatever else the messages carry;
    # a list of well-formed entries is checked and recorded in one go, and a single
    # odd entry sends the whole list down the entry-by-entry path.
    entries: list[object] = [
        _log_entry("sha256:fast", f"line {i}\n", 1.0 + i / 100) for i in range(8)
    ]
    if odd is not None:
        entries.insert(4, _odd_log_entries()[odd])
    events: list[dict[str, object]] = [
        {"logs": entries[:3]},
        {"vertexes": [{"digest": "sha256:late", "name": "[a 9/9] RUN late"}], "logs": entries[3:5]},
        {"logs": entries[5:]},
        {"statuses": [{"id": "s", "vertex": "sha256:fast", "current": 1}], "logs": []},
    ]
    at_once, at_once_logs = _recorded(events, bulk=2)
    one_by_one, one_by_one_logs = _recorded(events, bulk=10**9)
    assert at_once == one_by_one
    assert at_once_logs == one_by_one_logs
    assert (at_once.notes, at_once.skipped_times, at_once.stream_end) == (
        one_by_one.notes,
        one_by_one.skipped_times,
        one_by_one.stream_end,
    )
    assert len(at_once.step("sha256:fast").logs) == 8


def test_logs_stay_as_they_were_when_the_recorder_goes_on() -> None:
    # A live capture freezes a Build and keeps recording: the first Build's logs,
    # read later, are those of the moment it was made.
    recorder = BuildRecorder()
    recorder.add_all(e for e in parallel_build().events if isinstance(e, dict))
    first = recorder.build()
    recorder.add_all([{"logs": [_log_entry("sha256:slow", f"more {i}\n", 4.0) for i in range(9)]}])
    second = recorder.build()
    assert len(second.step("sha256:slow").logs) == len(first.step("sha256:slow").logs) + 9
    assert first.step("sha256:slow").log_lines() == ["compiling", "linking"]


def test_repeated_vertex_times_count_alike_whether_usable_or_not() -> None:
    # A vertex's times recur in each of its snapshots and the usable ones are
    # cached; an unusable one is skipped (and counted) every time it comes.
    recorder = BuildRecorder()
    name = "[a 1/1] RUN x"
    for started in (stamp(1.0), stamp(1.0), 12, "soon", "soon", "0001-01-01T00:00:00Z"):
        recorder.add({"vertexes": [{"digest": "d", "name": name, "started": started}]})
    recorder.add(
        {"vertexes": [{"digest": "d", "name": name, "started": stamp(1.0), "completed": 12}]}
    )
    recorder.add(
        {
            "vertexes": [
                {"digest": "d", "name": name, "started": stamp(1.0), "completed": stamp(2.5)}
            ]
        }
    )
    build = recorder.build()
    assert build.skipped_times == 4  # 12 twice, "soon" twice; year 1 means "not set"
    step = build.step("d")
    assert (step.start, step.end, step.duration, step.status) == (0.0, 1.5, 1.5, StepStatus.DONE)


def test_add_all_records_what_adding_each_event_records() -> None:
    # add_all takes messages of logs alone without the general per-message path,
    # and gathers logs across messages: the same Build, notes and counts as add().
    entries = [_log_entry("sha256:fast", f"line {i}\n", 1.0 + i / 100) for i in range(12)]
    warning = {"vertex": "sha256:fast", "short": "aGk=", "level": 1}
    events: list[object] = [
        {"logs": entries[:2]},
        {"logs": entries[2:3]},
        {"logs": entries[3:5], "warnings": [warning]},
        {"logs": entries[5:6], "extra": 1},
        {"logs": "not a list"},
        TextLine("WARNING: between"),
        {"logs": entries[6:9]},
        {"vertexes": [{"digest": "sha256:late", "name": "[a 9/9] RUN late"}], "logs": entries[9:]},
        {"logs": [_log_entry("sha256:only-logs", "orphan\n", 3.7)]},
        Malformed(10, 5, "invalid JSON"),
        [1, 2],
    ]
    one_at_a_time = BuildRecorder()
    all_at_once = BuildRecorder()
    for recorder in (one_at_a_time, all_at_once):
        recorder.add_all(event for event in parallel_build().events if isinstance(event, dict))
    for event in events:
        one_at_a_time.add(event)
    all_at_once.add_all(events)
    expected, built = one_at_a_time.build(), all_at_once.build()
    assert built == expected
    assert built.notes == expected.notes
    assert [repr(step.logs) for step in built] == [repr(step.logs) for step in expected]
    counts = ("solve_statuses", "other_json", "skipped_times")
    assert [getattr(all_at_once, name) for name in counts] == [
        getattr(one_at_a_time, name) for name in counts
    ]
    # All but the entry of the message with a key no SolveStatus has (skipped whole).
    assert len(built.step("sha256:fast").logs) == 11
    assert all_at_once.other_json == 2
    assert len(built.step("sha256:fast").warnings) == 1
