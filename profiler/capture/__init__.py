"""Capture: run a build command under kitprof, keep its stream, show live progress.

- :mod:`~profiler.capture.command`: recognise the build tool, select rawjson, redact;
- :mod:`~profiler.capture.runner`: run it, save the stream as it arrives, parse live;
- :mod:`~profiler.capture.display`: the live terminal view, plain lines for logs;
- :mod:`~profiler.capture.profile`: the whole run (:func:`run_build`, behind
  ``kitprof run``) and :func:`profile_build`, the Python API over buildx;
- :mod:`~profiler.capture.paths`: where runs are kept.
"""

from __future__ import annotations

from profiler.capture.command import BuildCommand, ProgressModeError, Tool, prepare_command
from profiler.capture.display import DisplayMode, make_display
from profiler.capture.profile import (
    OutputError,
    OutputExistsError,
    Profile,
    profile_build,
    read_run_info,
    run_build,
)
from profiler.capture.runner import CommandNotExecutableError, CommandNotFoundError

__all__ = [
    "BuildCommand",
    "CommandNotExecutableError",
    "CommandNotFoundError",
    "DisplayMode",
    "OutputError",
    "OutputExistsError",
    "Profile",
    "ProgressModeError",
    "Tool",
    "make_display",
    "prepare_command",
    "profile_build",
    "read_run_info",
    "run_build",
]
