"""The timing invariants every build kitprof reads must keep, whatever its input."""

from __future__ import annotations

from profiler.analysis import analyze
from profiler.analysis.timeline import build_origin
from profiler.model import Build

# Printed durations have 0.1 s resolution; the facts round the same way.
SECONDS = 0.05


def check_invariants(build: Build) -> None:
    """What holds for any schedule that starts every step after its inputs ended.

    Not asserted: lower bound <= critical path. The observed critical path is the
    chain that ended last, and waits are not busy time: a heavier chain that ended
    earlier bounds the build from below yet is not on it (the rawjson recording
    sample_builds/bake-two-targets/bake.rawjson has 4.24 s > 4.03 s).
    """
    analysis = analyze(build)
    wall, critical = analysis.wall_seconds, analysis.critical_path_seconds
    assert analysis.lower_bound_seconds <= wall + SECONDS, "lower bound above the wall time"
    assert critical <= wall + SECONDS, "critical path longer than the wall time"
    assert analysis.sequential_seconds >= critical - SECONDS, "sequential below critical path"
    origin = build_origin(build)
    for step in build:
        assert step.start is not None and step.start >= -SECONDS, step.name
        assert step.end is not None and step.end <= origin + wall + SECONDS, step.name
        assert step.start <= step.end + SECONDS, step.name
