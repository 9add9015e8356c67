"""What a trend reads of each run's stages, packed in the run's own row (schema 7).

Two columns: ``runs.stage_labels``, the stages' labels as a JSON array in stage order
(each label once: a later stage of the same label wins, as in the ``stages`` rows),
and ``runs.stage_figures``, five little-endian float64 a stage (busy, sequential,
critical path, steps, cached; the counts are exact as floats). Most runs of a build
have the same stages, so a whole history is decoded a label list at a time: the
figures of all the runs that share it are joined and read as one array, and each
column is a strided slice of it. No JSON a run, no object a stage.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    # Imported where used: `kitprof runs` imports the store but reads no trend.
    from profiler.analysis.stagetable import Array, Column, StageTable

_WIDTH = 5
"""Figures a stage: :data:`profiler.analysis.stagetable.FIGURES`."""


def pack_stage_figures(stages: Mapping[str, Sequence[float]]) -> tuple[str, bytes]:
    """``(stage_labels, stage_figures)`` of a run's stages: ``{label: FIGURES}``, in
    stage order."""
    import orjson

    figures = array("d", (float(value) for values in stages.values() for value in values))
    if len(figures) != _WIDTH * len(stages):
        raise ValueError(f"a stage has {_WIDTH} figures")
    if sys.byteorder == "big":
        figures.byteswap()
    return orjson.dumps(list(stages)).decode(), figures.tobytes()


def unpack_stage_figures(
    labels: Sequence[str], figures: Sequence[bytes], stage: str | None = None
) -> StageTable:
    """The table of many runs' packed stages (``labels[i]``, ``figures[i]``: run ``i``'s
    columns); with ``stage``, only that stage's figures are kept."""
    import orjson

    from profiler.analysis import trends
    from profiler.analysis.stagetable import ArrayColumns, StageTable

    count = len(labels)
    groups: dict[str, list[int]] = {}
    if count and labels.count(labels[0]) == count:  # one label list (most histories)
        groups[labels[0]] = list(range(count))
    for index, text in enumerate(() if groups else labels):
        groups.setdefault(text, []).append(index)
    run_labels: list[tuple[str, ...]] = [()] * count
    columns: dict[str, tuple[Column, ...]] = {}
    arrays: dict[str, tuple[Array, Array, Array, Array, Array]] = {}
    for text, indexes in groups.items():
        every = tuple(orjson.loads(text))
        kept = [(at, label) for at, label in enumerate(every) if stage in (None, label)]
        shared = tuple(label for _, label in kept)
        if len(groups) == 1:
            run_labels = [shared] * count
        else:
            for index in indexes:
                run_labels[index] = shared
        if not kept:
            continue
        if len(groups) == 1 and count >= trends.LONG_SERIES:
            # A long history of one label list: numpy reads the figures where they are.
            arrays = _arrays(text, every, kept, b"".join(figures), count)
            break
        data = array("d")
        data.frombytes(b"".join([figures[index] for index in indexes]))
        if sys.byteorder == "big":
            data.byteswap()
        if len(data) != _WIDTH * len(every) * len(indexes):
            raise ValueError(f"packed stage figures do not match their labels: {text}")
        stride = _WIDTH * len(every)
        for at, label in kept:
            values = [
                cast("Column", data[_WIDTH * at + figure :: stride].tolist())
                for figure in range(_WIDTH)
            ]
            if len(groups) == 1:
                columns[label] = tuple(values)
                continue
            if label not in columns:
                columns[label] = tuple([None] * count for _ in range(_WIDTH))
            column = columns[label]
            for target, source in zip(column, values, strict=True):
                for index, value in zip(indexes, source, strict=True):
                    target[index] = value
    if arrays:
        return StageTable(labels=run_labels, columns=ArrayColumns(arrays), arrays=arrays)
    return StageTable(
        labels=run_labels,
        columns=cast("Mapping[str, tuple[Column, Column, Column, Column, Column]]", columns),
    )


def _arrays(
    text: str, every: Sequence[str], kept: Sequence[tuple[int, str]], joined: bytes, count: int
) -> dict[str, tuple[Array, Array, Array, Array, Array]]:
    """The figures of ``count`` runs that all have the stages ``every``, ``joined``, as
    arrays by label (of ``kept``): each a strided view of them."""
    import numpy as np

    data = np.frombuffer(joined, dtype="<f8")
    if len(data) != _WIDTH * len(every) * count:
        raise ValueError(f"packed stage figures do not match their labels: {text}")
    stride = _WIDTH * len(every)
    return {
        label: cast(
            "tuple[Array, Array, Array, Array, Array]",
            tuple(data[_WIDTH * at + figure :: stride] for figure in range(_WIDTH)),
        )
        for at, label in kept
    }
