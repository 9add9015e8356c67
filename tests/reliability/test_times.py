"""Impossible times: real streams with their times mutated never give an impossible Build.

Every Build that comes out of the reader satisfies 0 <= start <= end <= wall (from the
stream's first start) and critical path <= wall; any that needed a repair or a skipped
time is marked untrusted, and the store keeps it as ``untrusted``, never a baseline.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiler.analysis import analyze
from profiler.analysis.timeline import build_origin
from profiler.errors import StreamError
from profiler.events import StreamDecoder, TextLine
from profiler.model import Build
from profiler.sources import read_build
from profiler.store import Store
from profiler.validate import MAX_BUILD_SECONDS

SAMPLES = Path(__file__).parents[2] / "sample_builds"
STREAMS = sorted(path for path in SAMPLES.glob("*/*.rawjson") if path.parent.name != "plain-logs")
EPSILON = 1e-6


def events_of(path: Path) -> list[Any]:
    decoder = StreamDecoder()
    events = decoder.feed(path.read_bytes()) + decoder.close()
    return [event.text if isinstance(event, TextLine) else event for event in events]


SAMPLE_EVENTS = {path.relative_to(SAMPLES).as_posix(): events_of(path) for path in STREAMS}


def encode(events: list[Any]) -> bytes:
    return b"".join(
        (event if isinstance(event, str) else json.dumps(event)).encode() + b"\n"
        for event in events
    )


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


# What a bad clock, a foreign producer or a fuzzer puts where a time belongs.
bad_times = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "yesterday", "2026-13-45T99:00:00Z", "0001-01-01T00:00:00Z", "now"]),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ).map(rfc3339),
    st.booleans(),
    st.none(),
)
# A plausible time moved: before its own start, hours or years away.
shifts = st.integers(min_value=-(10**10), max_value=10**10).map(
    lambda seconds: timedelta(seconds=seconds)
)


@st.composite
def mutated_stream(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(SAMPLE_EVENTS)))
    events = json.loads(json.dumps(SAMPLE_EVENTS[name]))  # a deep copy
    places = [
        (entry, key)
        for event in events
        if isinstance(event, dict)
        for kind in ("vertexes", "statuses", "logs")
        for entry in event.get(kind) or ()
        for key in ("started", "completed", "timestamp")
        if key in entry
    ]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        entry, key = draw(st.sampled_from(places))
        try:
            moment = datetime.fromisoformat(str(entry[key])[:26]).replace(tzinfo=UTC)
        except ValueError:
            moment = None  # mutated already
        if moment is None or draw(st.booleans()):
            entry[key] = draw(bad_times)
            continue
        try:
            entry[key] = rfc3339(moment + draw(shifts))
        except OverflowError:
            entry[key] = "9999-12-31T23:59:59Z"
    if draw(st.booleans()):  # swap a step's start and end: it completes before it starts
        vertices = [entry for entry, key in places if key == "completed" and "started" in entry]
        if vertices:
            vertex = draw(st.sampled_from(vertices))
            vertex["started"], vertex["completed"] = vertex["completed"], vertex["started"]
    return encode(events)


def assert_possible(build: Build) -> None:
    analysis = analyze(build)
    origin = build_origin(build)
    last = origin + analysis.wall_seconds
    for step in build:
        if step.start is None:
            continue
        assert step.end is not None, step
        assert 0 <= step.start <= step.end + EPSILON, step
        assert step.end <= last + EPSILON, (step, last)
        assert 0 <= step.duration <= step.end - step.start + EPSILON, step
        for interval in step.intervals:
            assert interval.end is None or interval.start <= interval.end
    assert 0 <= analysis.critical_path_seconds <= analysis.wall_seconds + EPSILON
    assert analysis.wall_seconds >= 0
    if analysis.wall_seconds > MAX_BUILD_SECONDS:
        assert build.untrusted_times


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_stream())
def test_mutated_real_streams_give_possible_builds(data: bytes) -> None:
    try:
        build = read_build(io.BytesIO(data))
    except StreamError:
        return  # refused, with a message: nothing to check
    assert_possible(build)


@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_real_streams_are_trusted(name: str) -> None:
    build = read_build(SAMPLES / name)
    assert build.untrusted_times == ()
    assert build.skipped_times == 0
    assert_possible(build)


def two_steps(first: dict[str, Any], second: dict[str, Any]) -> bytes:
    return encode(
        [
            {"vertexes": [{"digest": "sha256:a", "name": "[a 1/2] FROM alpine", **first}]},
            {
                "vertexes": [
                    {
                        "digest": "sha256:b",
                        "name": "[a 2/2] RUN x",
                        "inputs": ["sha256:a"],
                        **second,
                    }
                ]
            },
        ]
    )


T = "2026-03-01T12:00:{:02d}Z"


def test_a_step_completing_before_it_starts_is_repaired_and_untrusted() -> None:
    data = two_steps(
        {"started": T.format(0), "completed": T.format(1)},
        {"started": T.format(12), "completed": T.format(2)},
    )
    build = read_build(io.BytesIO(data))
    step = build.steps[1]
    assert (step.start, step.end, step.duration) == (12.0, 12.0, 0.0)
    assert build.untrusted_times and "completed before starting" in build.untrusted_times[0]
    assert any("times not trusted" in note for note in build.notes)
    assert analyze(build).critical_path_seconds >= 0


@pytest.mark.parametrize(
    "started, completed",
    [
        (1700000000, 1700000005),  # numbers
        ("yesterday", "today"),  # text
        ("0002-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),  # no build's dates
    ],
)
def test_no_readable_time_is_refused(started: object, completed: object) -> None:
    data = two_steps({"started": started, "completed": completed}, {"started": started})
    with pytest.raises(StreamError, match="none of its times can be read"):
        read_build(io.BytesIO(data))


def test_a_year_long_build_is_untrusted() -> None:
    data = two_steps(
        {"started": T.format(0), "completed": T.format(1)},
        {"started": "2027-03-01T12:00:00Z", "completed": "2027-03-01T12:00:05Z"},
    )
    build = read_build(io.BytesIO(data))
    assert any("days" in reason for reason in build.untrusted_times)


def test_some_skipped_times_make_the_build_untrusted() -> None:
    data = two_steps(
        {"started": T.format(0), "completed": T.format(1)},
        {"started": 12345, "completed": T.format(3)},
    )
    build = read_build(io.BytesIO(data))
    assert build.skipped_times == 1
    assert any("skipped 1 time value " in reason for reason in build.untrusted_times)
    assert any("not a timestamp: 12345" in note for note in build.notes)


def test_untrusted_runs_are_stored_as_such_and_never_a_baseline(tmp_path: Path) -> None:
    good = [
        two_steps(
            {"started": T.format(0), "completed": T.format(1)},
            {"started": T.format(1), "completed": T.format(2 + n)},
        )
        for n in range(3)
    ]
    bad = two_steps(
        {"started": T.format(0), "completed": T.format(1)},
        {"started": T.format(12), "completed": T.format(2)},
    )
    with Store(str(tmp_path / "h.db")) as store:
        ids = [store.ingest(data).run_id for data in good]
        untrusted = store.ingest(bad).run_id
        assert store.run(untrusted).status == "untrusted"
        baseline = [run.run_id for run in store.history()]
        assert baseline == ids
