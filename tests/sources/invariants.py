"""The timing invariants every build kitprof reads must keep, whatever its input."""

from __future__ import annotations

from profiler.analysis import analyze
from profiler.analysis.timeline import build_origin
from profiler.model import Build

# Printed durations have 0.1 s resolution; the facts round the same way.
SECONDS = 0.05


def check_invariants(build: Build) -> None:
    """What holds for any schedule that starts every step after its inputs ended.

    Lower bound <= critical path is asserted for builds read with BuildKit's own
    clock (rawjson, build records): inputs finishing within the clock's resolution
    are a tie won by the heavier chain (``observed_critical_path``). A plain log's
    reconstructed timeline can still place a light chain clearly after a heavier one
    it did not wait for (3 of the corpus's 81 builds, by up to 0.7 s), so there the
    observed path may weigh less than the bound: not asserted.
    """
    analysis = analyze(build)
    wall, critical = analysis.wall_seconds, analysis.critical_path_seconds
    assert analysis.lower_bound_seconds <= wall + SECONDS, "lower bound above the wall time"
    assert critical <= wall + SECONDS, "critical path longer than the wall time"
    assert analysis.sequential_seconds >= critical - SECONDS, "sequential below critical path"
    if not build.approximate:
        assert analysis.lower_bound_seconds <= critical + SECONDS, "lower bound above path"
    origin = build_origin(build)
    for step in build:
        assert step.start is not None and step.start >= -SECONDS, step.name
        assert step.end is not None and step.end <= origin + wall + SECONDS, step.name
        assert step.start <= step.end + SECONDS, step.name
