"""The ``analyze`` text report's parts that Docker's records add: the failed line with
its excerpt, and layer sizes (a column only when the build knows them)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from profiler.analysis import analyze
from profiler.model import Build
from profiler.render.console import render_report
from profiler.sources import read_build

MODERN = Path(__file__).resolve().parents[2] / "sample_builds"


def report(build: Build) -> list[str]:
    console = Console(record=True, width=400, color_system=None)
    render_report(build, analyze(build), console)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_the_failure_box_shows_the_dockerfile_line_and_excerpt() -> None:
    lines = report(read_build(MODERN / "failing-test" / "modern" / "failed.dockerbuild"))
    at = next(i for i, line in enumerate(lines) if "at Dockerfile:13" in line)
    assert "failed: [test 2/2] RUN sh ./tests/run-tests.sh" in lines[at - 2]
    excerpt = [line.strip("│ ").rstrip() for line in lines[at + 1 : at + 6]]
    assert excerpt == [
        "11 |     FROM deps AS test",
        "12 |     COPY tests/ ./tests/",
        "13 | >>> RUN sh ./tests/run-tests.sh",
        "14 |",
        "15 |     FROM deps AS build",
    ]
    # the rawjson stream of the same build: the excerpt buildx printed after it
    stream = report(read_build(MODERN / "failing-test" / "modern" / "failed.rawjson"))
    at = stream.index(next(line for line in stream if "at Dockerfile:13" in line))
    assert [line.strip("│ ").rstrip() for line in stream[at + 1 : at + 6]] == excerpt
    legacy = report(read_build(MODERN / "failing-test" / "failed.rawjson"))  # buildx 0.13
    assert not any("at Dockerfile:" in line for line in legacy)


def test_layer_sizes_are_a_column_only_when_known() -> None:
    lines = report(read_build(MODERN / "parallel-stages" / "modern" / "cold.dockerbuild"))
    assert "image 1.03 MiB (compressed layers, from the build record)" in lines
    header = next(line for line in lines if line.startswith("┃ stage") and "busy" in line)
    assert header.split("┃")[-2].strip() == "layers"
    final = next(line for line in lines if line.startswith("│ final "))
    assert final.split("│")[-2].strip() == "568 B"
    backend = next(line for line in lines if line.startswith("│ backend "))
    assert backend.split("│")[-2].strip() == ""
    stream = report(read_build(MODERN / "parallel-stages" / "modern" / "cold.rawjson"))
    assert not any("layer" in line for line in stream if line.startswith("┃"))
