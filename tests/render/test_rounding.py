"""numpy's rounding of long series: the same bits as Python's ``round(x, digits)``."""

from __future__ import annotations

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from profiler.render.rounding import NUMPY_FROM, rounded_values


def _bits(values: list[float | None]) -> list[object]:
    """Each value's IEEE bits (so -0.0 differs from 0.0 and NaNs compare)."""
    return [None if value is None else struct.pack("<d", value) for value in values]


def _python(values: list[float | None], digits: int) -> list[float | None]:
    return [None if value is None else round(value, digits) for value in values]


def _ties(digits: int) -> st.SearchStrategy[float]:
    """Decimal ties at the rounding digit (``k.5 × 10**-digits``) and their neighbours:
    the values where ``rint(x * 10**digits)`` may round the other way."""
    scale = 10**digits
    tie = st.integers(-(10**9), 10**9).map(lambda k: (k + 0.5) / scale)
    return st.one_of(
        tie,
        tie.map(lambda x: math.nextafter(x, math.inf)),
        tie.map(lambda x: math.nextafter(x, -math.inf)),
    )


def _values(digits: int) -> st.SearchStrategy[float | None]:
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),  # huge, tiny, subnormal, nan, inf
        st.floats(-1e6, 1e6),  # seconds as a history holds them
        st.floats(0, 1),  # cache ratios
        st.floats(-1e-5, 1e-5),  # rounds to ±0.0
        st.floats(1e8, 1e12) | st.floats(-1e12, -1e8),  # near the exact-scaling limit
        _ties(digits),
        st.none(),
    )


@st.composite
def _series(draw: st.DrawFn) -> tuple[list[float | None], int]:
    digits = draw(st.sampled_from([4, 6, 0, 2, 9]))
    values = draw(st.lists(_values(digits), min_size=1, max_size=40))
    # Long enough for numpy: the drawn values repeated over a plain series.
    filler = draw(st.lists(st.floats(0, 1e4), min_size=NUMPY_FROM, max_size=NUMPY_FROM))
    return filler + values, digits


@settings(deadline=None, max_examples=300)  # numpy's import on the first example
@given(_series())
def test_numpy_rounding_is_pythons_round_bit_for_bit(case: tuple[list[float | None], int]) -> None:
    values, digits = case
    assert _bits(rounded_values(values, digits)) == _bits(_python(values, digits))


def test_ties_huge_tiny_and_non_finite_values() -> None:
    # GIVEN values where x * 1e6 is a tie or next to one, overflows, or is not finite
    specials = [
        0.0000005, 0.0000015, 2.675, 1.0000005, -1.0000005, 0.1234565, 12345.6789125,
        5e-324, -5e-324, 1e-7, -1e-7, -0.0, 0.0, 1e300, -1e300, 2.0**52, 4503599627.3705,
        math.inf, -math.inf, math.nan, None, 1.7976931348623157e308,
    ]  # fmt: skip
    values = [float(i) / 7 for i in range(NUMPY_FROM)] + specials
    for digits in (6, 4):
        # WHEN rounded by numpy THEN the bits are Python's round's
        assert _bits(rounded_values(values, digits)) == _bits(_python(values, digits))


def test_short_series_and_non_floats_take_pythons_round() -> None:
    # round() keeps an int an int (JSON "3", not "3.0"): a series holding one is left
    # to Python whole.
    values: list[float | None] = [3, *([0.5] * NUMPY_FROM)]  # type: ignore[list-item]
    result = rounded_values(values, 6)
    assert type(result[0]) is int and result == _python(values, 6)
    assert rounded_values([1.23456789, None], 6) == [1.234568, None]
