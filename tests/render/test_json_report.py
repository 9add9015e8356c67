"""``analyze --json``: the keys Docker's records add (sizes, edges, failure location)."""

from __future__ import annotations

from pathlib import Path

from profiler.analysis import analyze
from profiler.render.json_report import report_dict
from profiler.sources import read_build

MODERN = Path(__file__).resolve().parents[2] / "sample_builds"


def document(path: Path) -> dict:  # type: ignore[type-arg]
    build = read_build(path)
    return report_dict(build, analyze(build))


def test_layer_sizes_per_step_and_stage_and_the_images() -> None:
    report = document(MODERN / "parallel-stages" / "modern" / "cold.dockerbuild")
    assert report["image_size"] == 1084159
    sized = {s["name"][:11]: s["layer_size"] for s in report["steps"] if s["layer_size"]}
    assert sized == {"[base 1/4] ": 1083591, "[final 2/5]": 188, "[final 3/5]": 193,
                     "[final 4/5]": 158, "[final 5/5]": 29}  # fmt: skip
    stages = {s["name"]: s["layer_size"] for s in report["stages"]}
    assert stages["final"] == 568 and stages["backend"] is None
    assert report["record"]["edges"] == "llb"
    stream = document(MODERN / "parallel-stages" / "modern" / "cold.rawjson")
    assert stream["image_size"] is None
    assert all(s["layer_size"] is None for s in stream["steps"] + stream["stages"])


def test_the_failure_has_its_location_and_excerpt() -> None:
    failure = document(MODERN / "failing-test" / "modern" / "failed.dockerbuild")["failure"]
    assert failure["location"] == "Dockerfile:13"
    assert failure["file"] == "Dockerfile" and failure["lines"] == [[13, 13]]
    assert failure["exit_code"] == 1
    assert [(e["line"], e["marked"]) for e in failure["excerpt"]] == [
        (11, False), (12, False), (13, True), (14, False), (15, False),
    ]  # fmt: skip
    assert failure["excerpt"][2]["text"] == "RUN sh ./tests/run-tests.sh"
    legacy = document(MODERN / "failing-test" / "failed.rawjson")["failure"]  # buildx 0.13
    assert legacy["location"] is None and legacy["excerpt"] == [] and legacy["exit_code"] is None
