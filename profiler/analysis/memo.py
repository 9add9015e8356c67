"""Figures derived from a Build, computed once per Build object and shared; and the
collector paused while they are computed.

The analysis, the suggestion engine and the host-usage figures all need the same
dependency graph and critical path of a build; on a 5,000-step build each costs tens
of milliseconds. A :class:`~profiler.model.Build` is immutable, so what a pure
function derives from it alone can be kept for as long as the Build lives. The table
sits beside the Build (keyed by its identity, dropped when it is collected), not in
it: the Build's fields, equality, ``repr`` and pickles stay exactly as they were.
"""

from __future__ import annotations

import functools
import gc
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from profiler.model import Build

T = TypeVar("T")

_tables: dict[int, dict[str, object]] = {}


def derived(build: Build, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, the first time ``key`` is asked of this Build; the same object after.

    The caller must not change what it is given: every later caller shares it.
    """
    table = _tables.get(id(build))
    if table is None:
        table = _tables[id(build)] = {}
        # id() is only unique while the Build lives: forget its table with it.
        weakref.finalize(build, _tables.pop, id(build), None)
    if key not in table:
        table[key] = compute()
    return cast(T, table[key])


F = TypeVar("F", bound=Callable[..., object])


def without_cycle_collection(function: F) -> F:
    """Run ``function`` with Python's cyclic garbage collector paused.

    The analysis and the suggestion pass make tens of thousands of short-lived,
    acyclic objects (tuples, dicts, tasks); each 700 of them set off a collection
    that, now and then, walks every object of the Build too: ~15% of their time on
    a 5,000-step build. Reference counting frees the objects as usual meanwhile; a
    cycle made during the call waits for the next collection. Nested calls and a
    collector someone else paused are left as they are.
    """

    @functools.wraps(function)
    def paused(*args: object, **kwargs: object) -> object:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return cast(F, paused)
