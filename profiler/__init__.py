"""kitprof: a build timing profiler for Docker BuildKit.

The public library API: read a ``--progress=rawjson`` stream into a :class:`Build`,
then analyse it with :func:`analyze`.
"""

from __future__ import annotations

from profiler.analysis import BuildAnalysis, analyze
from profiler.errors import InputError, KitprofError, StreamError
from profiler.merge import BuildRecorder
from profiler.model import Build, Stage, Step, StepStatus
from profiler.names import StepKind
from profiler.reader import read_build

__all__ = [
    "Build",
    "BuildAnalysis",
    "BuildRecorder",
    "InputError",
    "KitprofError",
    "Stage",
    "Step",
    "StepKind",
    "StepStatus",
    "StreamError",
    "analyze",
    "read_build",
]
