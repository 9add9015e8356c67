"""The per-platform table of ``analyze`` and the ``platforms`` key of ``--json``."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from profiler.analysis import analyze
from profiler.render.console import render_report
from profiler.render.json_report import report_dict
from profiler.render.platforms import SHARED, platforms_table, shown
from profiler.sources import read_build
from tests.streams import Stream, parallel_build

SAMPLE = Path(__file__).resolve().parents[2] / "sample_builds" / "multi-platform"


def text_of(build_path: Path | bytes) -> str:
    build = read_build(build_path)
    out = io.StringIO()
    render_report(build, analyze(build), Console(file=out, width=160, color_system=None))
    return out.getvalue()


def test_the_report_of_a_two_platform_build_has_a_platforms_table() -> None:
    text = text_of(SAMPLE / "cold.rawjson")
    table = text[text.index("Platforms") :]
    rows = [line for line in table.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["linux/386", "linux/amd64", SHARED]
    facts = json.loads((SAMPLE / "expected.json").read_text())["streams"]["cold.rawjson"]
    for row in rows[:2]:
        cells = [cell.strip() for cell in row.split("│")[1:-1]]
        platform, vertices, steps = cells[0], int(cells[1]), int(cells[2])
        assert (vertices, steps) == (
            facts["platforms"][platform]["vertices"],
            facts["platforms"][platform]["steps"],
        )
    # The stage rollup keeps the platforms apart.
    assert "linux/386 compile" in text and "linux/amd64 compile" in text


def test_no_platforms_table_below_two_platforms() -> None:
    assert "Platforms" not in text_of(parallel_build().one_line())
    one = Stream().step("sha256:a", "[linux/arm64 app 1/1] RUN build", 0.0, 1.0).one_line()
    build = read_build(one)
    assert not shown(analyze(build))
    assert platforms_table(build, analyze(build)) is None


def test_json_has_one_entry_per_platform_then_the_shared_steps() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    analysis = analyze(build)
    report = report_dict(build, analysis)
    entries = report["platforms"]
    assert [e["platform"] for e in entries] == ["linux/386", "linux/amd64", None]
    assert [e["shared"] for e in entries] == [False, False, True]
    names = {s.digest: s.name for s in build}
    for entry, summary in zip(entries, analysis.platforms, strict=True):
        assert entry["vertices"] == summary.vertices
        assert entry["critical_path"] == [names[d] for d in entry["critical_path_digests"]]
        assert set(entry["borrowed_digests"]) <= set(entry["critical_path_digests"])
    assert entries[-1]["critical_path_seconds"] is None
    assert entries[0]["critical_path_seconds"] > 0
    assert {s["platform"] for s in report["stages"]} == {"linux/386", "linux/amd64", None}
    json.dumps(report)  # plain JSON all the way


def test_json_platforms_is_empty_for_a_build_of_no_platform() -> None:
    build = read_build(parallel_build().one_line())
    assert report_dict(build, analyze(build))["platforms"] == []
