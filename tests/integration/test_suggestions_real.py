"""kitprof's suggestions, proven on real rebuilds: apply its rewrite, build, measure.

The cases and the driver are ``benchmarks/suggestions.py`` (which reports the same
figures as a table); here each case must land within the goal: the predicted wall
time within 15% (or 0.5 s) of the measured one. Builds are made cold with a random
nonce in their context, since other sessions share the daemon's cache.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks import suggestions as bench
from tests.integration.conftest import Toolchain

pytestmark = pytest.mark.docker


@pytest.fixture
def docker(docker_daemon: Toolchain) -> Iterator[bench.Docker]:
    with tempfile.TemporaryDirectory(prefix="kitprof-suggest-") as tmp:
        runner = bench.Docker(Path(tmp))
        try:
            yield runner
        finally:
            runner.cleanup()


Case = Callable[[bench.Docker, Path], list[bench.Prediction]]


ATTEMPTS = 3


def run_case(case: Case, docker: bench.Docker) -> list[bench.Prediction]:
    """Run a case until one attempt is not noisy; its predictions must meet the goal.

    The daemon and its 2 cores are shared with other sessions: under load a
    ``sleep 1`` step has taken 2 s, even 12 s, and the prediction inherits the
    recorded build's durations. An attempt where a step both builds ran changed by
    more than the goal's 0.5 s (``Prediction.noisy``) cannot judge the prediction,
    so it is retried; a miss in a quiet attempt fails the test.
    """
    for attempt in range(1, ATTEMPTS + 1):
        results = case(docker, docker.workdir / f"attempt-{attempt}")
        print(f"\nattempt {attempt}:\n" + bench.table(results))
        if not any(r.noisy for r in results):
            for result in results:
                assert result.within_goal, result
            return results
    pytest.skip(f"the machine was too loaded in all {ATTEMPTS} attempts to judge the predictions")


def test_splitting_a_stage_of_installs_saves_what_kitprof_predicted(docker: bench.Docker) -> None:
    # GIVEN a cold build of one stage with three independent installs in a row
    # WHEN kitprof's split-stage rewrite is applied and built cold
    results = run_case(bench.case_split, docker)
    # THEN the measured wall time is the predicted one, within the goal
    (split,) = results
    assert split.measured_wall < 0.7 * split.recorded_wall


def test_copying_manifests_first_saves_what_kitprof_predicted(docker: bench.Docker) -> None:
    # GIVEN COPY . . before the install, and a rebuild after a source edit
    # WHEN kitprof's cache-bust rewrite is applied, primed, and rebuilt after an edit
    results = run_case(bench.case_cache_bust, docker)
    # THEN both predictions (from the real rebuild, and simulated from the cold
    # build) are the measured wall time, within the goal
    for result in results:
        assert result.measured_wall < 0.5 * result.recorded_wall
