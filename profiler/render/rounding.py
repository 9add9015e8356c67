"""``round(value, digits)`` over a long series, in numpy, with the same bits as Python's.

``kitprof trends --json`` over a whole history rounds ~50 series of 10,000 values:
Python's ``round(x, 6)`` (a correctly rounded decimal conversion each) took ~0.35 s of
it. numpy's ``np.round`` is ``rint(x * 10**digits) / 10**digits``, which is not always
Python's answer, so it is used only where it provably is:

- the scaled value ``y = x * 10**digits`` is at most half an ulp from the exact product,
  so ``rint(y)`` is the exact product rounded half-to-even (Python's integer) unless the
  exact product lies within that error of a tie (``k + 0.5``): every element whose
  ``y`` is within a few ulps of a tie is rounded by Python instead;
- ``rint(y) / 10**digits`` is then one correctly rounded IEEE division of two exact
  numbers (an integer below 2**51, a power of ten below 2**53): the double nearest
  to the decimal Python's ``round`` produces, the same bits;
- huge values (``|y|`` from 2**51, where neither the fraction nor ``rint`` means
  anything), non-finite ones and ``None`` are left to Python too.

A hypothesis test (``tests/render/test_rounding.py``) holds the two equal bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

NUMPY_FROM = 256
"""From this many values on numpy rounds them (a trend that long imported numpy
already); fewer are rounded one by one."""

_LARGEST = 2.0**51
"""``|x * 10**digits|`` up to which ``rint`` and the tie test are exact enough."""
_TIE_ULPS = 2.0**-50
"""How close to a tie, relative to ``|y|``, counts as maybe a tie: 4 ulps of ``y``,
where the product's error is at most half an ulp."""


def rounded_values(values: Sequence[float | None], digits: int = 6) -> list[float | None]:
    """``[None if v is None else round(v, digits) for v in values]``, the same objects'
    values bit for bit, faster for long series of floats."""
    if len(values) < NUMPY_FROM or not 0 <= digits <= 15 or not _floats(values):
        return [None if value is None else round(value, digits) for value in values]
    import numpy as np

    # None becomes NaN here and is sent back to the loop below as non-finite.
    array = np.array(values, dtype=np.float64)
    scale = float(10**digits)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = array * scale
        whole = np.rint(scaled)
        doubtful = ~(np.abs(scaled) < _LARGEST) | (
            np.abs(np.abs(scaled - whole) - 0.5) <= np.abs(scaled) * _TIE_ULPS
        )
    result: list[float | None] = (whole / scale).tolist()
    for index in np.flatnonzero(doubtful).tolist():
        value = values[index]
        result[index] = None if value is None else round(value, digits)
    return result


def _floats(values: Sequence[float | None]) -> bool:
    """Every value a float or None: ``round`` keeps an int an int, numpy would not."""
    return set(map(type, values)) <= {float, type(None)}
