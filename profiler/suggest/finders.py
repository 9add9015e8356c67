"""Every kind of suggestion kitprof makes, in the order they are searched.

The engine, ``kitprof suggest --kinds``, the dashboard and the README read this list:
a new kind is a new module with a ``FINDER`` and one line here.
"""

from __future__ import annotations

from profiler.suggest import (
    build_context,
    cache_bust,
    serialized_join,
    slow_base,
    split_stage,
    unneeded_stage,
)
from profiler.suggest.context import Finder

FINDERS: tuple[Finder, ...] = (
    split_stage.FINDER,
    cache_bust.FINDER,
    serialized_join.FINDER,
    unneeded_stage.FINDER,
    slow_base.FINDER,
    build_context.FINDER,
)


def finder_for(kind: str) -> Finder | None:
    """The finder of a kind, by its name (``None``: no such kind)."""
    return next((f for f in FINDERS if f.kind == kind), None)
