"""kitprof: a build timing profiler for Docker BuildKit.

The public library API: read a ``--progress=rawjson`` stream into a :class:`Build`,
then analyse it with :func:`analyze`; or run a build under kitprof with
:func:`profile_build` (buildx arguments) or :func:`run_build` (any build command).

Names are imported on first use, so that ``import profiler`` (and every ``kitprof``
command) pays only for what it touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from profiler.lazy import lazy_attributes

__version__ = "0.1.0"
"""The package version (pyproject.toml reads it from here)."""

if TYPE_CHECKING:
    from profiler.analysis import BuildAnalysis, analyze
    from profiler.capture import Profile, profile_build, run_build
    from profiler.errors import InputError, KitprofError, StreamError
    from profiler.merge import BuildRecorder
    from profiler.model import Build, Stage, Step, StepStatus
    from profiler.names import StepKind
    from profiler.sources import read_build, read_builds

_HOMES = {
    "Build": "profiler.model",
    "BuildAnalysis": "profiler.analysis",
    "BuildRecorder": "profiler.merge",
    "InputError": "profiler.errors",
    "KitprofError": "profiler.errors",
    "Profile": "profiler.capture",
    "Stage": "profiler.model",
    "Step": "profiler.model",
    "StepKind": "profiler.names",
    "StepStatus": "profiler.model",
    "StreamError": "profiler.errors",
    "analyze": "profiler.analysis",
    "profile_build": "profiler.capture",
    "read_build": "profiler.sources",
    "read_builds": "profiler.sources",
    "run_build": "profiler.capture",
}


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, globals())


__all__ = [
    "Build",
    "BuildAnalysis",
    "BuildRecorder",
    "InputError",
    "KitprofError",
    "Profile",
    "Stage",
    "Step",
    "StepKind",
    "StepStatus",
    "StreamError",
    "__version__",
    "analyze",
    "profile_build",
    "read_build",
    "read_builds",
    "run_build",
]
