"""Golden test: every sample build's suggestions, exactly as they were when recorded.

It guards refactoring of the suggestion engine: the same suggestions, savings, lines
and diffs on every recorded sample (rawjson, plain logs, Docker's build records; with
and without their Dockerfile, against a previous run, with contended cores).
``golden.json`` beside this module was written by this module from the code as it
was; when a change of behaviour is intended, regenerate it and review the diff of the
JSON file:

    python -m tests.suggest.test_golden --regenerate
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.generate_stream import generate
from profiler.dockerfile import Dockerfile, parse_dockerfile, read_dockerfile
from profiler.model import Build
from profiler.sources import read_build, read_builds
from profiler.suggest import SuggestionReport, SuggestOptions, suggest
from tests.goldens import regenerate_command, write_golden
from tests.streams import Stream
from tests.suggest.test_suggest import slow_context_stream

ROOT = Path(__file__).parent.parent.parent
SAMPLES = ROOT / "sample_builds"
CASES = ROOT / "tests" / "integration" / "builds"
GOLDEN = Path(__file__).with_name("golden.json")

# Where a stream's Dockerfile is, for the streams that do not sit beside it.
_ELSEWHERE = {
    "one-line-layout/cold.rawjson": "parallel-stages",
    "one-line-layout/failed.rawjson": "failing-test",
    "plain-logs/bake.plain": "bake-two-targets",
    "plain-logs/cancelled": "cancelled",
    "plain-logs/failing-test": "failing-test",
    "plain-logs/many-stages": "many-stages",
    "plain-logs/parallel-stages": "parallel-stages",
}


@dataclass(frozen=True)
class Case:
    name: str
    stream: Path | Callable[[], Build]
    dockerfile: Path | str | None = None
    """The Dockerfile's path, or its text."""
    previous: Path | None = None
    cores: int | None = None
    sensitive: bool = False
    build_index: int = 0
    """Which build of the input (a log may hold several)."""
    """Thresholds near zero: every finder speaks up, so every branch is exercised."""

    def build(self) -> Build:
        if not isinstance(self.stream, Path):
            return self.stream()
        # As the CLI reads it: a plain log's stages learn their FROM from the Dockerfile.
        dockerfile = self.dockerfile if isinstance(self.dockerfile, Path) else None
        return read_builds(self.stream, dockerfile=dockerfile)[self.build_index]

    def parsed_dockerfile(self) -> Dockerfile | None:
        if isinstance(self.dockerfile, Path):
            return read_dockerfile(self.dockerfile)
        if isinstance(self.dockerfile, str):
            return parse_dockerfile(self.dockerfile)
        return None

    def previous_build(self) -> Build | None:
        return read_build(self.previous) if self.previous is not None else None

    def options(self) -> SuggestOptions:
        if not self.sensitive:
            return SuggestOptions(cores=self.cores)
        return SuggestOptions(
            cores=self.cores,
            min_saving_seconds=0.001,
            min_saving_ratio=0.0,
            long_step_seconds=0.05,
            long_step_ratio=0.0,
        )

    def report(self) -> SuggestionReport:
        return suggest(
            self.build(),
            self.parsed_dockerfile(),
            previous=self.previous_build(),
            options=self.options(),
        )


def _dockerfile_of(stream: Path) -> Path | None:
    # Beside the stream, or in its sample's folder (modern/ recordings sit below it).
    for folder in (stream.parent, stream.parent.parent):
        if (folder / "Dockerfile").is_file() and folder != SAMPLES:
            return folder / "Dockerfile"
    relative = stream.relative_to(SAMPLES).as_posix()
    for prefix, folder in _ELSEWHERE.items():
        if relative.startswith(prefix):
            return SAMPLES / folder / "Dockerfile"
    return None


def cases() -> list[Case]:
    streams = sorted(
        p
        for p in SAMPLES.glob("**/*")
        if p.name.endswith((".rawjson", ".rawjson.gz", ".plain", ".log", ".dockerbuild", ".zip"))
    )
    found: list[Case] = []
    for stream in streams:
        count = len(read_builds(stream))
        for index in range(count):
            name = stream.relative_to(SAMPLES).as_posix()
            name += f" [build {index + 1} of {count}]" if count > 1 else ""
            found.append(Case(name, stream, build_index=index))
            dockerfile = _dockerfile_of(stream)
            if dockerfile is not None:
                found.append(Case(f"{name} + Dockerfile", stream, dockerfile, build_index=index))
            with_it = " + Dockerfile" if dockerfile is not None else ""
            found.append(
                Case(
                    f"{name}{with_it}, sensitive",
                    stream,
                    dockerfile,
                    sensitive=True,
                    build_index=index,
                )
            )
    for case in sorted(p for p in CASES.glob("suggest-*") if (p / "recorded").is_dir()):
        for stream in sorted((case / "recorded").glob("*.rawjson")):
            name = stream.relative_to(CASES).as_posix()
            found.append(Case(name, stream))
            found.append(Case(f"{name} + Dockerfile", stream, case / "Dockerfile"))
            found.append(
                Case(f"{name} + Dockerfile, 2 cores", stream, case / "Dockerfile", cores=2)
            )
            found.append(
                Case(f"{name} + Dockerfile, sensitive", stream, case / "Dockerfile", sensitive=True)
            )
    bust = CASES / "suggest-cache-bust"
    found.append(
        Case(
            "suggest-cache-bust/recorded/edited.rawjson + Dockerfile, previous cold",
            bust / "recorded" / "edited.rawjson",
            bust / "Dockerfile",
            previous=bust / "recorded" / "cold.rawjson",
        )
    )
    parallel = SAMPLES / "parallel-stages"
    found.append(
        Case(
            "parallel-stages/cached.rawjson + Dockerfile, previous cold",
            parallel / "cached.rawjson",
            parallel / "Dockerfile",
            previous=parallel / "cold.rawjson",
        )
    )
    for name, make, text in _SYNTHETIC:
        found.append(Case(name, make))
        found.append(Case(f"{name} + Dockerfile", make, text))
        found.append(Case(f"{name} + Dockerfile, sensitive", make, text, sensitive=True))
    for seed, steps in ((1, 200), (3, 400)):
        name = f"generated seed {seed}, {steps} steps"
        found.append(Case(name, _generated(seed, steps)))
        found.append(Case(f"{name}, sensitive", _generated(seed, steps), sensitive=True))
    return found


# Small exact builds for the kinds the recorded samples are too small to show: a slow
# base image, a slow build context, a stage the target does not use, a late join.
_MIXED_DOCKERFILE = """\
FROM python:3.12 AS docs
RUN make docs

FROM alpine AS slow
RUN make slow

FROM python:3.12 AS final
COPY --from=slow /out /out
RUN apk add --no-cache ca-certificates
COPY . .
RUN make
"""


def _mixed() -> Build:
    stream = (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("meta-py", "[internal] load metadata for docker.io/library/python:3.12", 0.1, 3.1)
        .step("meta-alp", "[internal] load metadata for docker.io/library/alpine:latest", 0.1, 0.3)
        .step("ctx", "[internal] load build context", 0.1, 4.0)
        .step("from-py", "[final 1/5] FROM docker.io/library/python:3.12", 3.1, 3.2)
        .step("docs", "[docs 2/2] RUN make docs", 3.2, 9.2, inputs=["from-py"])
        .step("from-alp", "[slow 1/2] FROM docker.io/library/alpine:latest", 0.3, 0.4)
        .step("slow", "[slow 2/2] RUN make slow", 0.4, 5.4, inputs=["from-alp"])
        .step("copy", "[final 2/5] COPY --from=slow /out /out", 5.4, 5.5,
              inputs=["from-py", "slow"])
        .step("apk", "[final 3/5] RUN apk add --no-cache ca-certificates", 5.5, 7.5,
              inputs=["copy"])
        .step("src", "[final 4/5] COPY . .", 7.5, 7.7, inputs=["apk", "ctx"])
        .step("make", "[final 5/5] RUN make", 7.7, 8.7, inputs=["src"])
        .step("export", "exporting to image", 9.2, 9.3)
    )  # fmt: skip
    return read_build(io.BytesIO(stream.one_line()))


def _context_only() -> Build:
    return read_build(io.BytesIO(slow_context_stream().one_line()))


_SYNTHETIC: tuple[tuple[str, Callable[[], Build], str], ...] = (
    ("synthetic: mixed", _mixed, _MIXED_DOCKERFILE),
    ("synthetic: context", _context_only, "FROM alpine\nCOPY . .\n"),
)


def _generated(seed: int, steps: int) -> Callable[[], Build]:
    """The benchmark's generator: deterministic, many stages, warm and cold ones."""

    def make() -> Build:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "generated.rawjson"
            generate(path, steps=steps, megabytes=0.5, steps_per_stage=10, seed=seed)
            return read_build(path)

    return make


def outcome(report: SuggestionReport) -> dict[str, Any]:
    return {
        "complete": report.complete,
        "notes": list(report.notes),
        "calibration": {
            "observed": report.calibration.observed_wall_seconds,
            "replayed": report.calibration.replayed_wall_seconds,
            "latency": report.calibration.latency_seconds,
        },
        "suggestions": [
            {
                "kind": s.kind,
                "title": s.title,
                "detail": s.detail,
                "saving": s.estimated_saving_seconds,
                "wall": s.estimated_wall_seconds,
                "baseline": s.baseline_wall_seconds,
                "scenario": s.scenario,
                "steps": list(s.steps),
                "digests": list(s.digests),
                "dockerfile_lines": list(s.dockerfile_lines),
                "diff": s.diff,
                "assumptions": list(s.assumptions),
            }
            for s in report.suggestions
        ],
    }


def golden() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(GOLDEN.read_bytes())
    return data


def test_the_golden_file_covers_every_case() -> None:
    assert sorted(golden()) == sorted(c.name for c in cases())


def test_the_golden_file_holds_every_kind_of_suggestion() -> None:
    kinds = {s["kind"] for entry in golden().values() for s in entry["suggestions"]}
    assert kinds == {
        "split-stage", "cache-bust", "serialized-join", "unneeded-stage", "slow-base",
        "build-context",
    }  # fmt: skip


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_suggestions_are_the_golden_ones(case: Case) -> None:
    assert outcome(case.report()) == golden()[case.name]


def regenerate() -> None:
    write_golden(GOLDEN, {case.name: outcome(case.report()) for case in cases()})


if __name__ == "__main__":
    regenerate_command(__doc__, regenerate)
