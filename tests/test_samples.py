"""Every recorded sample build, checked against the facts its Dockerfile implies.

The facts live beside each stream in ``sample_builds/*/expected.json`` (documented in
``sample_builds/README.md``); they were written from the Dockerfiles and checked
against the raw streams by a separate, standard-library checker. Here kitprof's own
reading of the same streams must agree with them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from profiler.analysis import BuildAnalysis, analyze
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind
from profiler.render.console import render_report
from profiler.render.json_report import report_dict
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parent.parent / "sample_builds"


def sample_streams() -> list[tuple[Path, dict[str, Any]]]:
    cases = []
    for expected_file in sorted(SAMPLES.glob("*/expected.json")):
        expected = json.loads(expected_file.read_text())
        for stream, facts in expected["streams"].items():
            cases.append((expected_file.parent / stream, facts))
    return cases


CASES = sample_streams()


@pytest.fixture(scope="module")
def analysed() -> dict[Path, tuple[Build, BuildAnalysis]]:
    results = {}
    for path, _ in CASES:
        build = read_build(path)
        results[path] = (build, analyze(build))
    return results


def steps_named(build: Build, fragment: str) -> list[Step]:
    found = [step for step in build if any(fragment in name for name in step.names)]
    assert found, f"no vertex named like {fragment!r}"
    return found


def dockerfile_steps(build: Build) -> list[Step]:
    """Steps as expected.json counts them: Dockerfile steps other than FROM."""
    return [s for s in build if s.kind is StepKind.STEP and s.parsed.instruction != "FROM"]


def overlaps(build: Build, stage_a: str, stage_b: str) -> bool:
    def executed(stage: str) -> list[tuple[float, float]]:
        return [
            (s.start, s.end)
            for s in build
            if s.stage == stage and s.start is not None and s.end is not None and s.duration > 0
        ]

    return any(a0 < b1 and b0 < a1 for a0, a1 in executed(stage_a) for b0, b1 in executed(stage_b))


def critical_stages(build: Build, analysis: BuildAnalysis) -> list[str]:
    """Stages along the critical path, FROM steps left out (their stage name varies)."""
    stages: list[str] = []
    for digest in analysis.critical_path:
        step = build.step(digest)
        if step.kind is not StepKind.STEP or step.parsed.instruction == "FROM":
            continue
        if not stages or stages[-1] != step.stage_key:
            stages.append(step.stage_key)
    return stages


Check = Callable[[Build, BuildAnalysis, Any], None]


def _stages(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    assert {s.stage for s in build if s.kind is StepKind.STEP} == set(expected)


def _parallel(build: Build, analysis: BuildAnalysis, expected: list[str]) -> None:
    for index, first in enumerate(expected):
        for second in expected[index + 1 :]:
            assert overlaps(build, first, second), (first, second)
    # Parallel stages make the build cheaper than running its steps one by one.
    assert analysis.wall_seconds < analysis.sequential_seconds


def _critical_stage(build: Build, analysis: BuildAnalysis, expected: str) -> None:
    assert expected in critical_stages(build, analysis)


def _longest(build: Build, _: BuildAnalysis, expected: str) -> None:
    assert expected in max(build, key=lambda s: s.duration).name


def _failed_step(build: Build, analysis: BuildAnalysis, expected: str) -> None:
    assert analysis.failure is not None and analysis.failure.step is not None
    assert expected in analysis.failure.step.name
    # The failing step is where the critical path of a failed build ends.
    assert analysis.critical_path[-1] == analysis.failure.step.digest


def _failed_error(_: Build, analysis: BuildAnalysis, expected: str) -> None:
    assert analysis.failure is not None and analysis.failure.error is not None
    assert expected in analysis.failure.error


def _cancelled(build: Build, analysis: BuildAnalysis, expected: list[str]) -> None:
    assert analysis.failure is not None
    cancelled = {step.digest for step in analysis.failure.cancelled}
    for fragment in expected:
        for step in steps_named(build, fragment):
            assert step.status is StepStatus.CANCELLED and step.digest in cancelled


def _unfinished(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    for fragment in expected:
        for step in steps_named(build, fragment):
            # Never completed: skipped by a failed build (cancelled) or cut off (unfinished).
            assert step.status in (StepStatus.CANCELLED, StepStatus.UNFINISHED)
            assert not any(interval.end is not None for interval in step.intervals)


def _started_unfinished(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    for fragment in expected:
        for step in steps_named(build, fragment):
            assert step.status is StepStatus.UNFINISHED and step.start is not None
            # It ran until the stream's last word.
            assert step.end == build.stream_end


def _step_min(build: Build, _: BuildAnalysis, expected: dict[str, float]) -> None:
    for fragment, seconds in expected.items():
        assert all(step.duration >= seconds for step in steps_named(build, fragment)), fragment


def _logs(build: Build, _: BuildAnalysis, expected: dict[str, str]) -> None:
    for fragment, text in expected.items():
        assert any(text in "\n".join(s.log_lines()) for s in steps_named(build, fragment))


def _stderr_logs(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    for fragment in expected:
        assert any(c.stream == 2 for s in steps_named(build, fragment) for c in s.logs)


def _names_per_vertex(build: Build, _: BuildAnalysis, expected: dict[str, int]) -> None:
    for fragment, count in expected.items():
        assert max(len(step.names) for step in steps_named(build, fragment)) == count


def _names(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    for fragment in expected:
        steps_named(build, fragment)


def _unnamed(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    stages = {s.stage for s in build if s.kind is StepKind.STEP}
    assert set(expected) <= stages
    assert all(re.fullmatch(r"stage-\d+", name) for name in expected)


def _not_built(build: Build, _: BuildAnalysis, expected: list[str]) -> None:
    assert not {s.stage for s in build} & set(expected)


def _no_error_line(build: Build, analysis: BuildAnalysis, expected: bool) -> None:
    errors = [m for m in build.messages if m.startswith("ERROR")]
    assert (not errors) == expected


def _exit_code(build: Build, analysis: BuildAnalysis, expected: int) -> None:
    if expected == 0:
        assert analysis.failure is None
        assert all(s.status in (StepStatus.DONE, StepStatus.CACHED) for s in build)
    elif expected in (1, 130):
        # 130: buildx 0.2x exits 128 + SIGINT when interrupted, after the stream has
        # said what was cancelled (buildx 0.13 exited 1).
        assert analysis.failure is not None
    else:  # killed: the stream just stops, with steps still running
        assert any(s.status is StepStatus.UNFINISHED for s in build)


def _inputs_across_platforms(build: Build, analysis: BuildAnalysis, value: dict[str, str]) -> None:
    for fragment, wanted in value.items():
        for step in steps_named(build, fragment):
            used = [i for i in build.inputs_of(step) if i.name.startswith(wanted)]
            assert used and all(i.parsed.platform != step.parsed.platform for i in used)


def _platform_critical_steps(build: Build, analysis: BuildAnalysis, value: dict[str, str]) -> None:
    paths = {p.platform: [build.step(d).name for d in p.critical_path] for p in analysis.platforms}
    for platform, fragment in value.items():
        assert any(name.startswith(fragment) for name in paths[platform]), (platform, fragment)


CHECKS: dict[str, Check] = {
    "truncated": lambda b, a, v: _equal(b.truncated, v),
    "no_error_line": _no_error_line,
    "error_line_contains": lambda b, a, v: _equal(any(v in m for m in b.messages), True),
    "exit_code": _exit_code,
    "stages": _stages,
    "unnamed_stages": _unnamed,
    "stages_not_built": _not_built,
    "targets": lambda b, a, v: _equal({s.target for s in b if s.target}, set(v)),
    "target": lambda b, a, v: _equal(v in {s.stage for s in b}, True),
    "parallel_stages": _parallel,
    "critical_stage": _critical_stage,
    "critical_path_stages": lambda b, a, v: _equal(critical_stages(b, a), v),
    "longest_step_contains": _longest,
    "step_count": lambda b, a, v: _equal((len(dockerfile_steps(b)), a.cache.steps), (v, v)),
    "cached_step_count": lambda b, a, v: _equal(a.cache.cached, v),
    "all_steps_cached": lambda b, a, v: _equal(a.cache.hit_ratio == 1.0, v),
    "cached_steps_contain": lambda b, a, v: _equal(
        {s.status for f in v for s in steps_named(b, f)}, {StepStatus.CACHED}
    ),
    "failed_step_count": lambda b, a, v: _equal(sum(s.status is StepStatus.FAILED for s in b), v),
    "failed_step_contains": _failed_step,
    "failed_error_contains": _failed_error,
    "cancelled_steps_contain": _cancelled,
    "unfinished_steps_contain": _unfinished,
    "started_unfinished_steps_contain": _started_unfinished,
    "step_min_seconds": _step_min,
    "wall_seconds_min": lambda b, a, v: _equal(a.wall_seconds >= v, True),
    "wall_seconds_max": lambda b, a, v: _equal(a.wall_seconds <= v, True),
    "log_contains": _logs,
    "stderr_log_steps_contain": _stderr_logs,
    "names_per_vertex": _names_per_vertex,
    "names_contain": _names,
    "platforms": lambda b, a, v: _equal(
        {p.platform: {"vertices": p.vertices, "steps": p.steps, "cached": p.cached}
         for p in a.platforms if not p.shared},
        v,
    ),
    "shared_names": lambda b, a, v: _equal(
        sorted(s.name for s in b if s.parsed.platform is None), sorted(v)
    ),
    "inputs_across_platforms": _inputs_across_platforms,
    "last_platform": lambda b, a, v: _equal(
        max((p for p in a.platforms if not p.shared), key=lambda p: p.end or 0.0).platform, v
    ),
    "platform_critical_steps": _platform_critical_steps,
}  # fmt: skip


# Facts about the raw bytes, which the standard-library checker verifies; kitprof
# only has to read such streams, which every case here does.
RAW_STREAM_FACTS = {
    "layout", "timestamp_offsets_include", "zero_timestamps_present", "secret_id",
    "secret_value",
}  # fmt: skip


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


@pytest.mark.parametrize(
    ("path", "facts"), CASES, ids=[f"{p.parent.name}/{p.name}" for p, _ in CASES]
)
def test_sample_facts(
    path: Path, facts: dict[str, Any], analysed: dict[Path, tuple[Build, BuildAnalysis]]
) -> None:
    build, analysis = analysed[path]
    unknown = set(facts) - set(CHECKS) - RAW_STREAM_FACTS
    assert not unknown, f"expected.json keys this test does not know: {unknown}"
    for key, value in facts.items():
        if key in CHECKS:
            try:
                CHECKS[key](build, analysis, value)
            except AssertionError as error:
                raise AssertionError(f"{key}={value!r}: {error}") from error


def test_there_are_samples_of_every_required_shape() -> None:
    names = {path.parent.name for path, _ in CASES}
    assert names >= {
        "parallel-stages", "failing-test", "cancelled", "monorepo-target",
        "bake-two-targets", "secret-mount", "many-stages", "one-line-layout", "multi-platform",
    }  # fmt: skip


@pytest.mark.parametrize("name", ["cold.rawjson", "failed.rawjson"])
def test_one_line_layout_reads_exactly_like_the_indented_original(name: str) -> None:
    expected = json.loads((SAMPLES / "one-line-layout" / "expected.json").read_text())
    original = SAMPLES / expected["reencoded_from"][name]
    one_line = read_build(SAMPLES / "one-line-layout" / name)
    indented = read_build(original)
    assert report_dict(one_line, analyze(one_line)) == report_dict(indented, analyze(indented))


def test_gzip_copy_reads_exactly_like_the_original() -> None:
    plain = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    zipped = read_build(SAMPLES / "parallel-stages" / "cold.rawjson.gz")
    assert plain.steps == zipped.steps


def test_secret_value_appears_in_nothing_kitprof_prints() -> None:
    from io import StringIO

    from rich.console import Console

    expected = json.loads((SAMPLES / "secret-mount" / "expected.json").read_text())
    for stream, facts in expected["streams"].items():
        secret = facts["secret_value"]
        build = read_build(SAMPLES / "secret-mount" / stream)
        analysis = analyze(build)
        text = StringIO()
        render_report(build, analysis, Console(file=text, width=200))
        assert secret not in text.getvalue()
        assert secret not in json.dumps(report_dict(build, analysis))
        assert all(secret not in "\n".join(step.log_lines()) for step in build)
