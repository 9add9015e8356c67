"""The robust statistics of :mod:`profiler.analysis.trends` for long series, in numpy.

A trend over a whole history (10,000 runs, ~50 series) spends its time sorting each
series twice (median, MAD), summing it for the slope and judging every run against
the window before it. These functions do the same arithmetic as the pure Python
ones, on arrays, so that the results are equal to the last bit:

- medians are taken from a sorted copy, the middle value or the half-sum of the two
  middle ones, as :func:`statistics.median` does;
- sums are running sums (``np.cumsum``: one addition after another, left to right, as
  Python's ``sum`` does before 3.12), not numpy's pairwise ``np.sum``;
- each product and difference is the same IEEE operation on the same two numbers.

numpy is imported on first use (with this module): a short series, such as the 50
runs ``kitprof trends`` shows by default, is faster in pure Python than the import.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def sorted_median(ordered: Array) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def _middle(values: Array, *ends: int) -> tuple[Array, float]:
    """``values`` partitioned so that its middle value(s) and the positions ``ends``
    hold what a sorted copy holds there (a partition, not a sort: ~10× faster for a
    history's 10,000 values), and its median, as :func:`sorted_median` of the sort."""
    count = len(values)
    middle = count // 2
    kth = {*ends, middle} if count % 2 else {*ends, middle - 1, middle}
    parted = np.partition(values, sorted(kth))
    if count % 2:
        return parted, float(parted[middle])
    return parted, float((parted[middle - 1] + parted[middle]) / 2)


def summary(
    values: Sequence[float | None], present: Sequence[float], ys: Array | None = None
) -> tuple[float, float, float, float, float | None]:
    """``(minimum, maximum, median, mad, slope)`` of a series: ``present`` is its values
    without the ``None`` ones (at least one); ``ys``, if given, the same as an array."""
    if ys is None:
        ys = np.asarray(present, dtype=np.float64)
    parted, center = _middle(ys, 0, len(ys) - 1)
    _, spread = _middle(np.abs(ys - center))
    return float(parted[0]), float(parted[-1]), center, spread, _slope(values, ys)


def cache_hit_ratios(cached: Array, steps: Array) -> Array:
    """Each run's ``StageMetrics.cache_hit_ratio``: ``cached / steps``, 0 without steps
    (the same IEEE division as Python's)."""
    if steps.all():
        return cached / steps
    ratios = np.zeros(len(steps), dtype=np.float64)
    np.divide(cached, steps, out=ratios, where=steps != 0)
    return ratios


def _slope(values: Sequence[float | None], ys: Array) -> float | None:
    """Least-squares slope of the values against their index (gaps skipped), as
    :func:`profiler.analysis.robust.slope_per_index` computes it; ``ys``: the values present."""
    n = len(ys)
    if n < 2:
        return None
    if n == len(values):
        xs = np.arange(n, dtype=np.float64)
        # Python sums the indexes (and their squares) as exact integers.
        sum_x: float = n * (n - 1) // 2
        sum_xx = float((n - 1) * n * (2 * n - 1) // 6)
    else:
        xs = np.asarray(
            [index for index, value in enumerate(values) if value is not None], dtype=np.float64
        )
        # Python sums float indexes one after another: exact, as they are whole numbers.
        sum_x = _running_sum(xs)
        sum_xx = _running_sum(xs * xs)
    sum_y = _running_sum(ys)
    var_x = n * sum_xx - sum_x * sum_x
    if var_x == 0:
        return 0.0
    return float((n * _running_sum(xs * ys) - sum_x * sum_y) / var_x)


def _running_sum(values: Array) -> float:
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def jumps(
    values: Sequence[float],
    window: int,
    max_regression: float,
    noise_sigmas: float,
    mad_to_sigma: float,
    start: int,
) -> list[int]:
    """Indexes from ``start`` on whose value is above :func:`window_limits`."""
    limits = window_limits(values, window, max_regression, noise_sigmas, mad_to_sigma, start)
    above = np.asarray(values[start:], dtype=np.float64) > limits
    return [start + int(offset) for offset in np.flatnonzero(above)]


def window_limits(
    values: Sequence[float],
    window: int,
    max_regression: float,
    noise_sigmas: float,
    mad_to_sigma: float,
    start: int,
) -> Array:
    """For each index from ``start``: the regression limit of the ``window`` values
    before it (fewer at the beginning), as ``regression_limit`` computes it."""
    data = np.asarray(values, dtype=np.float64)
    limits = np.empty(max(0, len(data) - start), dtype=np.float64)
    # The first indexes have fewer than `window` values before them.
    for index in range(start, min(window, len(data))):
        limits[index - start] = _limit(np.sort(data[:index]), max_regression, noise_sigmas,
                                       mad_to_sigma)  # fmt: skip
    first_full = max(start, window)
    if first_full < len(data):
        windows = np.lib.stride_tricks.sliding_window_view(data[:-1], window)[first_full - window :]
        _, limits[first_full - start :] = _row_limits(
            windows, max_regression, noise_sigmas, mad_to_sigma
        )
    return limits


def windows_before(values: Array, indexes: Sequence[int], window: int) -> Array:
    """For each of ``indexes`` (each at least ``window``): the ``window`` values before
    it, a row each."""
    return values[np.asarray(indexes)[:, None] + np.arange(-window, 0)]


def row_limits(
    windows: Sequence[Sequence[float]] | Array,
    max_regression: float,
    noise_sigmas: float,
    mad_to_sigma: float,
) -> tuple[list[float], list[float]]:
    """``(medians, limits)``: ``regression_limit``'s median and limit of each window (all
    of the same length, at least one value)."""
    centers, limits = _row_limits(
        np.asarray(windows, dtype=np.float64), max_regression, noise_sigmas, mad_to_sigma
    )
    return centers.tolist(), limits.tolist()


def _row_limits(
    windows: Array, max_regression: float, noise_sigmas: float, mad_to_sigma: float
) -> tuple[Array, Array]:
    center = _row_medians(np.sort(windows, axis=1))
    spread = _row_medians(np.sort(np.abs(windows - center[:, None]), axis=1))
    return center, center + np.maximum(
        max_regression * center, noise_sigmas * mad_to_sigma * spread
    )


def _row_medians(ordered: Array) -> Array:
    middle = ordered.shape[1] // 2
    if ordered.shape[1] % 2:
        return ordered[:, middle]
    return (ordered[:, middle - 1] + ordered[:, middle]) / 2


def _limit(
    ordered: Array, max_regression: float, noise_sigmas: float, mad_to_sigma: float
) -> float:
    center = sorted_median(ordered)
    spread = sorted_median(np.sort(np.abs(ordered - center)))
    return center + max(max_regression * center, noise_sigmas * mad_to_sigma * spread)
