"""The number formats every presenter shares."""

from __future__ import annotations

import orjson

from profiler.render.format import (
    json_bytes,
    moment,
    percent,
    rounded,
    seconds,
    signed_seconds,
    sparkline,
)
from tests.render.history import T0


def test_durations_keep_three_significant_figures_and_minutes() -> None:
    assert [seconds(v) for v in (None, 0.0, 4.256, 42.25, 75.0, 3725.5)] == [
        "-", "0.00s", "4.26s", "42.2s", "1m15.0s", "62m05.5s",
    ]  # fmt: skip


def test_signed_durations_call_a_rounding_error_no_change() -> None:
    assert signed_seconds(2.5) == "+2.50s"
    assert signed_seconds(-75.0) == "-1m15.0s"
    assert signed_seconds(0.0001) == "±0.00s"
    assert signed_seconds(None) == "-"


def test_percentages_rounding_and_moments() -> None:
    assert (percent(0.256), percent(-0.3, signed=True), percent(None)) == ("26%", "-30%", "-")
    assert rounded(1.23456789, 3) == 1.235 and rounded(None) is None
    assert moment(T0) == "2026-03-01T00:00:00+00:00" and moment(None) is None


def test_sparkline_spans_low_to_high_with_gaps() -> None:
    assert sparkline([1.0, None, 2.0, 3.0]) == "▁ ▅█"
    assert sparkline([5.0, 5.0 + 1e-12]) == "▁▁"  # float noise is flat
    assert sparkline([None, None]) == ""
    assert len(sparkline([float(v) for v in range(100)], width=24)) == 24


def test_json_documents_end_with_a_newline_and_allow_number_keys() -> None:
    data = json_bytes({"a": 1, 2: [1.5]})
    assert data.endswith(b"}\n") and orjson.loads(data) == {"a": 1, "2": [1.5]}
