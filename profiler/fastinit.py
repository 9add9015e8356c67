"""Faster constructors for the model's frozen, slotted dataclasses, for the readers.

A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``
(its own ``__setattr__`` refuses): ~0.25 µs a field on the benchmark machine, so
4.2 µs for a :class:`~profiler.model.Step` of 16 fields, made 5,000 times from a
large stream, and as much again for the ``ParsedName``, ``Interval`` and
``LogChunk`` objects around it: a third of freezing a Build (benchmarks/README.md).

:func:`fast_constructor` makes the same object another way: a plain class with the
same slots (so the same memory layout) is filled by ordinary attribute stores, then
the object's ``__class__`` is set to the dataclass, which Python allows between
classes of identical layout. 0.8 µs for a Step.

It is checked once, when made, against the real constructor (the same fields as
slots, no ``__post_init__``, no custom ``__new__``, and an object equal to what the
constructor makes, field by field); if anything differs, the dataclass itself is
returned, so a change to the model can slow the readers down but never make a
different object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A constructor of ``cls`` taking every field, in field order, by position or name
    (no defaults); ``cls`` itself if the fast way is not known to make the same object."""
    names = _field_names(cls)
    if names is None:
        return cls
    shadow = type(f"_{cls.__name__}Slots", (), {"__slots__": names})
    parameters = ", ".join(names)
    stores = "".join(f"    made.{name} = {name}\n" for name in names)
    # Generated, as dataclasses generates __init__: a loop over the fields costs
    # more than the frozen __init__ saves.
    source = (
        f"def make({parameters}):\n"
        "    made = new(shadow)\n"
        f"{stores}"
        "    made.__class__ = cls\n"
        "    return made\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "shadow": shadow, "cls": cls}
    exec(source, namespace)  # the names are the dataclass field names: identifiers
    make: Callable[..., T] = namespace["make"]
    try:
        probe = [object() for _ in names]
        made = make(*probe)
        expected = cls(*probe)
    except (TypeError, ValueError, AttributeError):
        return cls
    if type(made) is not cls or made != expected:
        return cls
    if any(getattr(made, name) is not value for name, value in zip(names, probe, strict=True)):
        return cls
    return make


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a frozen, slotted dataclass whose constructor only stores
    them; ``None`` for any other class."""
    if not dataclasses.is_dataclass(cls):
        return None
    fields = dataclasses.fields(cls)
    names = tuple(field.name for field in fields)
    params = getattr(cls, "__dataclass_params__", None)
    if (
        params is None
        or not params.frozen
        or tuple(getattr(cls, "__slots__", ())) != names
        or any(not field.init for field in fields)
        or hasattr(cls, "__post_init__")
        or cls.__new__ is not object.__new__
        or cls.__bases__ != (object,)
    ):
        return None
    return names
