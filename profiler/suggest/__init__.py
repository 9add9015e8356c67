"""Suggestions that pay: what to change in the Dockerfile, and how much wall time it saves.

Every suggestion is priced by the what-if simulator (:mod:`profiler.suggest.simulate`):
the build's graph (:mod:`~profiler.suggest.taskgraph`) is changed the way the
suggestion changes the Dockerfile and replayed. Each kind is a finder module with a
``FINDER``, listed in :data:`~profiler.suggest.finders.FINDERS`; the finders share
one :class:`~profiler.suggest.context.SuggestContext` per build, and write their
Dockerfile changes with :mod:`~profiler.suggest.rewrite`. Only suggestions whose
saving is worth reading about (:attr:`SuggestOptions.min_saving_seconds` and
``min_saving_ratio``) are kept (:func:`~profiler.suggest.engine.suggest`).

A suggestion points at Dockerfile lines when the Dockerfile is given (steps are
mapped by stage name and step index, see :mod:`profiler.dockerfile`), and carries a
unified diff where kitprof can write the change. A change that adds parallelism is
priced a second time with the cores the host had free when Docker's record shows the
host CPU-bound while its steps ran (:class:`HostPricing`).
"""

from profiler.suggest.context import Finder
from profiler.suggest.engine import suggest
from profiler.suggest.finders import FINDERS, finder_for
from profiler.suggest.suggestion import (
    SCHEMA_VERSION,
    HostPricing,
    Suggestion,
    SuggestionReport,
    SuggestOptions,
)

__all__ = [
    "FINDERS",
    "SCHEMA_VERSION",
    "Finder",
    "HostPricing",
    "SuggestOptions",
    "Suggestion",
    "SuggestionReport",
    "finder_for",
    "suggest",
]
