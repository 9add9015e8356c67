"""Golden test: the whole ``analyze --json`` report of every sample, byte for byte.

It guards performance work on the analysis, the suggestion engine and the JSON
report: the same bytes for every recorded sample (the suggestion golden test's cases
without its near-zero thresholds, which it covers), and for generated builds of many
stages with a Dockerfile written back from their step names, where every finder
speaks up. ``report_golden.json`` beside this module holds each report's SHA-256, as
written by this module from the code as it was; when a change of output is intended,
regenerate it (and look at what changed):

    python -m tests.render.test_report_golden --regenerate
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path

import orjson
import pytest

from benchmarks.generate_stream import generate
from profiler.analysis import analyze
from profiler.dockerfile import Dockerfile, parse_dockerfile, recorded_dockerfile
from profiler.model import Build
from profiler.render.analyze import numbered_report
from profiler.sources import read_build
from profiler.suggest import SuggestOptions, suggest
from tests.goldens import regenerate_command, write_golden
from tests.suggest.test_golden import Case, cases

GOLDEN = Path(__file__).with_name("report_golden.json")

_EVERY_FINDER = SuggestOptions(
    min_saving_seconds=0.001, min_saving_ratio=0.0, long_step_seconds=0.05, long_step_ratio=0.0
)


def written_back(build: Build) -> Dockerfile:
    """A Dockerfile of the build's stages, from its steps' names (``[stage i/n] …``)."""
    stages: dict[str, dict[int, str]] = {}
    for step in build:
        parsed = step.parsed
        if parsed.stage is None or parsed.index is None or parsed.instruction is None:
            continue
        stages.setdefault(parsed.stage, {})[parsed.index] = parsed.text
    lines = []
    for stage, steps in stages.items():
        # A stage sharing another's FROM vertex has no step 1 of its own.
        base = steps.get(1, "FROM docker.io/library/debian:bookworm").split("@")[0]
        lines.append(f"{base} AS {stage}")
        lines.extend(text for index, text in sorted(steps.items()) if index != 1)
        lines.append("")
    return parse_dockerfile("\n".join(lines))


def _report(
    build: Build,
    dockerfile: Dockerfile | None,
    previous: Build | None = None,
    options: SuggestOptions | None = None,
) -> bytes:
    found = suggest(build, dockerfile, previous=previous, options=options)
    return orjson.dumps(numbered_report(build, analyze(build), found, 1))


def sample_report(case: Case) -> bytes:
    build = case.build()
    dockerfile = case.parsed_dockerfile() or recorded_dockerfile(build)
    return _report(build, dockerfile, previous=case.previous_build(), options=case.options())


def generated_report(steps: int, seed: int) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "generated.rawjson"
        generate(path, steps=steps, megabytes=1, steps_per_stage=25, seed=seed)
        build = read_build(path)
    return _report(build, written_back(build), options=_EVERY_FINDER)


GENERATED = {f"generated seed {seed}, {steps} steps": (steps, seed) for steps, seed in ((2000, 5),)}


@functools.cache
def sample_cases() -> dict[str, Case]:
    return {case.name: case for case in cases() if not case.sensitive}


def report_cases() -> list[str]:
    return [*sample_cases(), *GENERATED]


def report_bytes(name: str) -> bytes:
    if name in GENERATED:
        return generated_report(*GENERATED[name])
    return sample_report(sample_cases()[name])


def digest(name: str) -> str:
    return hashlib.sha256(report_bytes(name)).hexdigest()


def golden() -> dict[str, str]:
    data: dict[str, str] = orjson.loads(GOLDEN.read_bytes())
    return data


def test_the_golden_file_covers_every_case() -> None:
    assert sorted(golden()) == sorted(report_cases())


@pytest.mark.parametrize("name", report_cases())
def test_the_report_is_the_golden_one(name: str) -> None:
    assert digest(name) == golden()[name]


def test_the_generated_build_exercises_the_finders() -> None:
    report = orjson.loads(report_bytes(next(iter(GENERATED))))
    kinds = {s["kind"] for s in report["suggestions"]}
    assert {"cache-bust", "serialized-join", "split-stage"} <= kinds
    assert all(s["dockerfile_lines"] for s in report["suggestions"] if s["kind"] == "cache-bust")


def regenerate() -> None:
    write_golden(GOLDEN, {name: digest(name) for name in report_cases()})


if __name__ == "__main__":
    regenerate_command(__doc__, regenerate)
