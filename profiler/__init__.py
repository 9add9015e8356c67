"""kitprof: a build timing profiler for Docker BuildKit.

The public library API: read a ``--progress=rawjson`` stream into a :class:`Build`,
then analyse it with :func:`analyze`; or run a build under kitprof with
:func:`profile_build` (buildx arguments) or :func:`run_build` (any build command).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis, analyze
from profiler.errors import InputError, KitprofError, StreamError
from profiler.merge import BuildRecorder
from profiler.model import Build, Stage, Step, StepStatus
from profiler.names import StepKind
from profiler.sources import read_build, read_builds

if TYPE_CHECKING:
    from profiler.capture import Profile, profile_build, run_build

_CAPTURE_API = frozenset({"Profile", "profile_build", "run_build"})


def __getattr__(name: str) -> object:
    # The capture API brings rich and process handling: imported on first use only.
    if name in _CAPTURE_API:
        from profiler import capture

        return getattr(capture, name)
    raise AttributeError(f"module 'profiler' has no attribute {name!r}")


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
    "analyze",
    "profile_build",
    "read_build",
    "read_builds",
    "run_build",
]
