from __future__ import annotations

from dataclasses import dataclass, field, fields

import pytest

from profiler.fastinit import fast_constructor
from profiler.model import Interval, LogChunk, Step, StepStatus, SubStatus
from profiler.names import ParsedName, StepKind, parse_name
from profiler.suggest.taskgraph import Task


def _step_values() -> list[object]:
    return [
        "sha256:a",
        "[s 1/2] RUN x",
        ("[s 1/2] RUN x",),
        parse_name("[s 1/2] RUN x"),
        ("sha256:b",),
        (Interval(0.5, 1.5),),
        0.5,
        1.5,
        1.0,
        False,
        None,
        StepStatus.DONE,
        None,
        (LogChunk(0.7, 1, "aGk="),),
        (),
        (SubStatus("id", "pulling", 3, 9, 0.6, None),),
    ]


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Step, _step_values()),
        (Interval, [0.25, None]),
        (SubStatus, ["id", "name", 1, None, None, 2.0]),
        (LogChunk, [1.5, 2, "aGk="]),
        (ParsedName, [StepKind.STEP, None, "linux/arm64", "build", 3, 9, "RUN", "RUN make"]),
        (Task, ["sha256:a", 2.5, ("sha256:b",), 0.0, True, None, "[s 1/2] RUN x"]),
    ],
)
def test_the_model_constructors_make_what_the_dataclass_makes(
    cls: type, values: list[object]
) -> None:
    make = fast_constructor(cls)
    assert make is not cls  # the fast way applies to these
    made, expected = make(*values), cls(*values)
    assert type(made) is cls
    assert made == expected and repr(made) == repr(expected) and hash(made) == hash(expected)
    with pytest.raises(AttributeError):
        made.__setattr__(fields(cls)[0].name, 9)  # still frozen


def test_keywords_work_too() -> None:
    assert fast_constructor(Interval)(start=1.0, end=None) == Interval(1.0, None)


@dataclass(frozen=True, slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclass(frozen=True)
class _NoSlots:
    value: int


@dataclass(slots=True)
class _Mutable:
    value: int


@dataclass(frozen=True, slots=True)
class _Derived:
    value: int
    double: int = field(init=False, default=0)


@pytest.mark.parametrize("cls", [_Checked, _NoSlots, _Mutable, _Derived, dict])
def test_classes_whose_constructor_does_more_get_their_own(cls: type) -> None:
    assert fast_constructor(cls) is cls
