"""The stage figures of many runs as columns: what a trend reads, with no object a stage.

A history of 10,000 runs of a 12-stage build holds 120,000 stage figures; making a
:class:`~profiler.analysis.runmetrics.StageMetrics` of each was most of the time of a
trend over the whole history. A :class:`StageTable` keeps them as one list a stage
label and figure (``None`` where a run lacks the stage), as the store decodes them;
each run's ``stages`` is then a :class:`RunStages`, a mapping that reads its row of
the table and makes a ``StageMetrics`` only when one is asked for. ``trends()``
reads the columns themselves (:func:`stage_table`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, cast

from profiler.analysis.runmetrics import RunMetrics, StageMetrics

FIGURES = ("busy_seconds", "sequential_seconds", "critical_path_seconds", "steps", "cached")
"""A stage's figures, in the order of :class:`StageMetrics` and of a table's columns."""

Column = list[float | None]
"""One figure of one stage label, a value a run (``None``: the run lacks the stage)."""

if TYPE_CHECKING:  # numpy is imported for long histories only
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class StageTable:
    labels: Sequence[tuple[str, ...]]
    """Per run: the labels of its stages, in stage order (each label once)."""
    columns: Mapping[str, tuple[Column, Column, Column, Column, Column]]
    """Per label present in at least one run: its :data:`FIGURES`, a column each."""
    arrays: Mapping[str, tuple[Array, Array, Array, Array, Array]] = field(default_factory=dict)
    """Per label that every run has, in a long history as the store decodes it: its
    columns as float64 arrays (the same values), which the trend's statistics read
    without turning 10,000 Python floats back into an array. Any other label, and any
    other table, has none."""

    def __len__(self) -> int:
        return len(self.labels)

    def views(self) -> list[RunStages]:
        """Per run: its stages, as a mapping (``RunMetrics.stages``). Made on demand, not
        kept: a view refers to its table, and a table that kept its views would be a
        cycle only the garbage collector frees."""
        return [RunStages(self, index) for index in range(len(self.labels))]

    def rows(self, indexes: Sequence[int]) -> StageTable:
        """The table of these runs (by index), in this order."""
        labels = [self.labels[index] for index in indexes]
        present = set().union(*set(labels))
        return StageTable(
            labels=labels,
            columns={
                label: cast(
                    tuple[Column, Column, Column, Column, Column],
                    tuple([column[index] for index in indexes] for column in columns),
                )
                for label, columns in self.columns.items()
                if label in present
            },
        )


class ArrayColumns(Mapping[str, tuple[Column, Column, Column, Column, Column]]):
    """A table's columns kept as arrays (:attr:`StageTable.arrays`), each label's lists
    of Python floats made when the label is first read: a trend reads the arrays, and
    10,000 runs' 600,000 figures are made objects only for what else is read (a run's
    stages, a subset of the runs)."""

    __slots__ = ("arrays", "lists")

    def __init__(self, arrays: Mapping[str, tuple[Array, Array, Array, Array, Array]]) -> None:
        self.arrays = arrays
        self.lists: dict[str, tuple[Column, Column, Column, Column, Column]] = {}

    def __getitem__(self, label: str) -> tuple[Column, Column, Column, Column, Column]:
        columns = self.lists.get(label)
        if columns is None:
            columns = cast(
                tuple[Column, Column, Column, Column, Column],
                tuple(array.tolist() for array in self.arrays[label]),
            )
            self.lists[label] = columns
        return columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)


class RunStages(Mapping[str, StageMetrics]):
    """One run's stages (by label), read from its row of a :class:`StageTable`."""

    __slots__ = ("index", "table")

    def __init__(self, table: StageTable, index: int) -> None:
        self.table = table
        self.index = index

    def __getitem__(self, label: str) -> StageMetrics:
        if label not in self.table.labels[self.index]:
            raise KeyError(label)
        busy, sequential, critical, steps, cached = (
            cast(float, column[self.index]) for column in self.table.columns[label]
        )
        return StageMetrics(busy, sequential, critical, int(steps), int(cached))

    def __contains__(self, label: object) -> bool:
        return label in self.table.labels[self.index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.table.labels[self.index])

    def __len__(self) -> int:
        return len(self.table.labels[self.index])

    def __repr__(self) -> str:
        return repr(dict(self))


def stage_table(runs: Sequence[RunMetrics]) -> StageTable:
    """The stage figures of ``runs`` as a table: the store's own table when the runs
    are a history as read (or some of its runs), else one made from their stages."""
    views = list(map(attrgetter("stages"), runs))
    first = views[0] if views else None
    if isinstance(first, RunStages):
        table = first.table
        if set(map(type, views)) == {RunStages} and set(map(attrgetter("table"), views)) == {table}:
            indexes: list[int] = list(map(attrgetter("index"), views))
            if indexes == list(range(len(table))):  # the history as read
                return table
            return table.rows(indexes)
    return _from_mappings(views)


def _from_mappings(views: Sequence[Mapping[str, StageMetrics]]) -> StageTable:
    labels = [tuple(stages) for stages in views]
    columns = {}
    for label in dict.fromkeys(label for run_labels in labels for label in run_labels):
        rows = [stages.get(label) for stages in views]
        columns[label] = cast(
            tuple[Column, Column, Column, Column, Column],
            tuple(
                [row[figure] if row is not None else None for row in rows]
                for figure in range(len(FIGURES))
            ),
        )
    return StageTable(labels=labels, columns=columns)
