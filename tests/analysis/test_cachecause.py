"""The causes of one miss, asked of the two sides directly (the chains, matching and
costs around them: test_cachemiss.py)."""

from __future__ import annotations

from profiler.analysis.cachecause import CAUSE_KINDS, RunSide, causes_of, instruction_of
from profiler.dockerfile import parse_dockerfile
from tests.analysis.test_cachemiss import ALL, DOCKERFILE, build


def test_the_step_maps_to_its_line_and_a_changed_arg_default_is_a_build_arg() -> None:
    a = RunSide(build(ALL), parse_dockerfile(DOCKERFILE))
    edited = DOCKERFILE.replace("ARG MODE=fast", "ARG MODE=slow")
    b = RunSide(build(set(), mode="slow"), parse_dockerfile(edited))
    a_step = next(s for s in a.build if s.name == "[2/6] WORKDIR /src/fast")
    b_step = next(s for s in b.build if s.name == "[2/6] WORKDIR /src/slow")
    found = instruction_of(b, b_step)
    assert found is not None and (found.start_line, found.keyword) == (4, "WORKDIR")
    by_b = {step.digest: step for step in a.build}
    [cause] = causes_of(a, b, a_step, b_step, by_b, None, None)
    assert (cause.kind, cause.name, cause.old, cause.new) == ("build-arg", "MODE", "fast", "slow")
    assert cause.kind in CAUSE_KINDS
    assert instruction_of(RunSide(b.build), b_step) is None
