"""Whatever bytes arrive, kitprof returns a Build or a clear KitprofError: never a crash."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from profiler.analysis import analyze
from profiler.errors import KitprofError
from profiler.render.json_report import report_dict
from profiler.sources import read_build
from tests.streams import parallel_build

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
vertex_like = st.fixed_dictionaries(
    {"digest": st.sampled_from(["a", "b", "c"])},
    optional={
        "name": st.sampled_from(["[s 1/2] RUN x", "[internal] load", "exporting to image", ""])
        | st.text(max_size=20),
        "inputs": st.lists(st.sampled_from(["a", "b", "c", "z"]), max_size=3) | json_values,
        "started": st.sampled_from(["2026-03-01T12:00:01Z", "2026-03-01T12:00:03.5Z", "bad"])
        | json_values,
        "completed": st.sampled_from(["2026-03-01T12:00:02Z", "2026-03-01T12:00:04Z"])
        | json_values,
        "cached": st.booleans() | json_values,
        "error": st.sampled_from(["context canceled", "exit code: 1"]) | json_values,
    },
)
solve_status = st.fixed_dictionaries(
    {},
    optional={
        "vertexes": st.lists(vertex_like, max_size=4) | json_values,
        "logs": st.lists(
            st.fixed_dictionaries(
                {
                    "vertex": st.sampled_from(["a", "b", "q"]),
                    "data": st.sampled_from(["aGk=", "!!"]),
                }
            ),
            max_size=2,
        )
        | json_values,
        "statuses": json_values,
        "warnings": json_values,
    },
)


def outcome(data: bytes) -> None:
    try:
        build = read_build(io.BytesIO(data))
    except KitprofError as error:
        assert str(error) and "\n" not in str(error)
        return
    # A build that reads must also analyse and render.
    json.dumps(report_dict(build, analyze(build)))
    for step in build:
        step.log_lines()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    outcome(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(solve_status | json_values, max_size=8), st.booleans(), st.integers(0, 400))
def test_any_sequence_of_json_events(events: list[object], indent: bool, cut: int) -> None:
    text = "".join(json.dumps(event, indent=2 if indent else None) + "\n" for event in events)
    data = text.encode()
    outcome(data)
    outcome(data[: max(0, len(data) - cut)])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.binary(max_size=50))
def test_a_real_stream_cut_or_corrupted_anywhere(position: int, noise: bytes) -> None:
    data = parallel_build().indented()
    position %= len(data)
    outcome(data[:position])
    outcome(data[:position] + noise + data[position:])
