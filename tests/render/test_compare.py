"""``kitprof compare`` as JSON and as text: a cold build against its cached rebuild."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from profiler.analysis import analyze
from profiler.analysis.compare import compare_builds
from profiler.render.compare import comparison_dict, render_comparison
from profiler.sources import read_build

SAMPLE = Path(__file__).parent.parent.parent / "sample_builds" / "parallel-stages"
COLD, CACHED = read_build(SAMPLE / "cold.rawjson"), read_build(SAMPLE / "cached.rawjson")
ABOUT_A = {"file": "cold.rawjson", "run": None}
ABOUT_B = {"file": None, "run": {"id": 7, "git": {"commit": "0123456789abcdef"}}}


def test_the_json_totals_are_b_minus_a() -> None:
    comparison = compare_builds(COLD, CACHED, analyze(COLD), analyze(CACHED))
    document = comparison_dict(comparison, ABOUT_A, ABOUT_B)
    wall = document["wall_seconds"]
    assert wall["a"] == round(analyze(COLD).wall_seconds, 6)
    assert abs(wall["delta"] - (wall["b"] - wall["a"])) < 1e-5
    assert document["became_cached"] and not document["became_uncached"]
    assert document["a"] == ABOUT_A and document["schema"] == 1


def test_the_text_names_both_sides_and_the_steps_that_changed() -> None:
    comparison = compare_builds(COLD, CACHED, analyze(COLD), analyze(CACHED))
    console = Console(record=True, width=1000, color_system=None)  # no wrapped rows
    render_comparison(comparison, ABOUT_A, ABOUT_B, console, top=5)
    text = console.export_text()
    assert text.startswith("A: cold.rawjson   B: run 7 (0123456789)\n")
    assert "Steps that changed most" in text and "now cached" in text
    section = text.split("Steps that changed most\n")[1].split("\n\n")[0].splitlines()
    assert section[0].split()[:4] == ["step", "A", "B", "change"]
    assert len(section) == 1 + 5  # the header and the top 5
