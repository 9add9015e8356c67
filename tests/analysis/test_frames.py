from __future__ import annotations

import pytest

from profiler.analysis import analyze
from profiler.analysis.frames import steps_frame
from profiler.sources import read_build
from tests.streams import parallel_build


def test_steps_frame_has_one_row_per_vertex_with_the_critical_path() -> None:
    build = read_build(parallel_build().indented())
    steps = steps_frame(build)
    assert len(steps) == len(build.steps)
    assert steps.set_index("digest").loc["sha256:slow", "on_critical_path"]
    assert not steps.set_index("digest").loc["sha256:fast", "on_critical_path"]
    assert steps["duration"].sum() == pytest.approx(6.4)
    # The analysis given is the one used.
    assert steps_frame(build, analyze(build)).equals(steps)
