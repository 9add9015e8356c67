"""The ``kitprof`` command line: thin shells over the library, one module a command."""

from __future__ import annotations

from profiler.cli import (
    analyze,  # noqa: F401  (registers the command)
    check,  # noqa: F401  (registers the command)
    compare,  # noqa: F401  (registers the command)
    dashboard,  # noqa: F401  (registers the command)
    export,  # noqa: F401  (registers the command)
    ingest,  # noqa: F401  (registers the command)
    reanalyze,  # noqa: F401  (registers the command)
    run,  # noqa: F401  (registers the command)
    runs,  # noqa: F401  (registers the command)
    suggest,  # noqa: F401  (registers the command)
    trends,  # noqa: F401  (registers the command)
)
from profiler.cli.app import app, main

__all__ = ["app", "main"]
