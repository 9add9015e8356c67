"""Figures derived from a Build, computed once per Build object and shared.

The analysis, the suggestion engine and the host-usage figures all need the same
dependency graph and critical path of a build; on a 5,000-step build each costs tens
of milliseconds. A :class:`~profiler.model.Build` is immutable, so what a pure
function derives from it alone can be kept for as long as the Build lives. The table
sits beside the Build (keyed by its identity, dropped when it is collected), not in
it: the Build's fields, equality, ``repr`` and pickles stay exactly as they were.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar, cast

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
