"""The ``kitprof`` command line: thin shells over the library, one module a command.

Commands are imported when they run (see :class:`profiler.cli.app.LazyGroup`); the
console script itself is :func:`profiler.launch.main`.
"""

from __future__ import annotations

from profiler.cli.app import app, main

__all__ = ["app", "main"]
