"""Robust statistics of build times: medians, MAD, the regression limit, the slope.

The pure Python arithmetic that :mod:`profiler.analysis.trendstats` repeats on arrays
for long series, to the last bit (the tests compare the two).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

MAD_TO_SIGMA = 1.4826


def median(values: Sequence[float]) -> float:
    # statistics.median's arithmetic (the middle value, or the half-sum of the two
    # middle ones) without its overhead: a long trend takes thousands of medians.
    return float(sorted_median(sorted(values))) if values else 0.0


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median (unscaled)."""
    if not values:
        return 0.0
    center = median(values)
    return median([abs(value - center) for value in values])


def regression_limit(
    values: Sequence[float], max_regression: float, noise_sigmas: float
) -> tuple[float, float, float]:
    """``(median, mad, limit)``: the limit is the median plus the larger of the allowed
    fraction and ``noise_sigmas`` robust standard deviations."""
    center = median(values)
    spread = mad(values)
    return (
        center,
        spread,
        center + max(max_regression * center, noise_sigmas * MAD_TO_SIGMA * spread),
    )


def sorted_median(ordered: Sequence[float]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def slope_per_index(values: Sequence[float | None]) -> float | None:
    """Least-squares slope of the values against their index (gaps skipped)."""
    ys = [value for value in values if value is not None]
    xs: Sequence[float] = (
        range(len(ys))
        if len(ys) == len(values)
        else [float(index) for index, value in enumerate(values) if value is not None]
    )
    n = len(ys)
    if n < 2:
        return None
    sum_x, sum_y = sum(xs), sum(ys)
    var_x = n * float(sum(map(operator.mul, xs, xs))) - sum_x * sum_x
    if var_x == 0:
        return 0.0
    return (n * float(sum(map(operator.mul, xs, ys))) - sum_x * sum_y) / var_x
