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


MODERN = SAMPLE / "modern"


def test_size_changes_are_said_only_when_both_builds_are_records_with_sizes() -> None:
    cold, cached = (read_build(MODERN / f"{n}.dockerbuild") for n in ("cold", "cached"))
    same = compare_builds(cold, cached)
    assert comparison_dict(same, ABOUT_A, ABOUT_B)["sizes"] == {
        "image": {"a": 1084159, "b": 1084159, "delta": 0},
        "steps": [],
        "stages": [],
    }
    console = Console(record=True, width=200, color_system=None)
    render_comparison(same, ABOUT_A, ABOUT_B, console, top=5)
    text = console.export_text()
    assert "Image size (compressed layers): 1.03 MiB → 1.03 MiB (±0 B)" in text
    assert "No layer changed size." in text
    # a rawjson stream on either side: nothing is said of sizes
    mixed = compare_builds(COLD, cached)
    assert comparison_dict(mixed, ABOUT_A, ABOUT_B)["sizes"] is None
    console = Console(record=True, width=200, color_system=None)
    render_comparison(mixed, ABOUT_A, ABOUT_B, console, top=5)
    assert "Image size" not in console.export_text()


def test_the_text_lists_stages_and_steps_whose_layers_changed() -> None:
    a = read_build(MODERN / "cold.dockerbuild")
    b = read_build(SAMPLE.parent / "secret-mount" / "modern" / "secret.dockerbuild")
    console = Console(record=True, width=200, color_system=None)
    render_comparison(compare_builds(a, b), ABOUT_A, ABOUT_B, console, top=3)
    text = console.export_text()
    assert "1.03 MiB → 1.03 MiB (-377 B)" in text
    lines = [line.rstrip() for line in text.splitlines()]
    stages = lines[lines.index("Stages whose layers changed size") + 1 :]
    assert stages[1].split() == ["base", "1.03", "MiB", "-", "-1.03", "MiB"]
    steps = lines[lines.index("Steps whose layers changed size") + 1 :]
    assert len(steps) == 1 + 3  # the header and the top 3
    assert steps[1].split()[-3:] == ["-", "-193", "B"]  # [final] COPY --from=backend: 193 B
