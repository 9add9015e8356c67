"""Every recorded stream of sample_builds/, rawjson and plain, read once per session."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from profiler.analysis import BuildAnalysis, analyze
from profiler.model import Build
from profiler.sources import read_builds

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
PLAIN_LOGS = SAMPLES / "plain-logs"


def sample_streams() -> list[Path]:
    streams = []
    for expected_file in sorted(SAMPLES.glob("*/expected.json")):
        expected = json.loads(expected_file.read_text())
        streams.extend(expected_file.parent / name for name in expected["streams"])
    streams.extend(
        sorted(p for p in PLAIN_LOGS.iterdir() if p.suffix in (".rawjson", ".plain", ".log"))
    )
    return streams


def stream_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@cache
def read(path: Path) -> tuple[Build, BuildAnalysis]:
    # A compose/bake log of several services holds a build per service: the first.
    build = read_builds(path)[0]
    return build, analyze(build)
