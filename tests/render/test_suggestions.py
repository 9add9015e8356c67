"""``kitprof suggest``: the terminal rendering, the JSON, and the command itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from profiler.cli import app
from profiler.dockerfile import read_dockerfile
from profiler.render.suggestions import render_suggestions, report_dict
from profiler.sources import read_build
from profiler.suggest import suggest

ROOT = Path(__file__).parent.parent.parent
SPLIT = ROOT / "tests" / "integration" / "builds" / "suggest-split"
STREAM = SPLIT / "recorded" / "recorded.rawjson"
FAILED = ROOT / "sample_builds" / "failing-test" / "failed.rawjson"
BUST = ROOT / "tests" / "integration" / "builds" / "suggest-cache-bust" / "recorded"


def rendered(report_args: tuple[Path, Path | None]) -> str:
    stream, dockerfile = report_args
    report = suggest(read_build(stream), read_dockerfile(dockerfile) if dockerfile else None)
    console = Console(record=True, width=100, color_system=None)
    render_suggestions(report, console)
    return console.export_text()


def test_the_terminal_shows_saving_lines_assumptions_and_diff() -> None:
    text = rendered((STREAM, SPLIT / "Dockerfile"))
    assert text.startswith("what-if replay of the recorded graph:")
    assert "1. [split-stage] Split stage tools" in text
    assert "saves ~" in text and "this build" in text
    assert "Dockerfile lines: 7, 9, 11" in text
    assert "assumes: the later installs do not use the earlier ones' files" in text
    assert "+FROM tools-base AS tools-go" in text


def test_the_analyze_report_can_show_fewer_without_diffs() -> None:
    report = suggest(
        read_build(BUST / "edited.rawjson"),
        read_dockerfile(BUST.parent / "Dockerfile"),
        previous=read_build(BUST / "cold.rawjson"),
    )
    console = Console(record=True, width=100, color_system=None)
    render_suggestions(report, console, top=1, diffs=False)
    text = console.export_text()
    assert "1. [cache-bust]" in text and "+COPY" not in text


def test_an_incomplete_build_says_why_there_is_no_suggestion() -> None:
    text = rendered((FAILED, None))
    assert "did not complete" in text
    assert "No suggestion" not in text


def test_the_report_json_wraps_the_list_with_the_calibration() -> None:
    report = suggest(read_build(STREAM), read_dockerfile(SPLIT / "Dockerfile"))
    data = report_dict(report)
    assert data["schema"] == 1
    assert set(data["calibration"]) == {
        "observed_wall_seconds", "replayed_wall_seconds", "error_seconds", "error_ratio",
        "latency_seconds",
    }  # fmt: skip
    assert data["calibration"]["error_ratio"] < 0.02
    (split,) = data["suggestions"]
    assert split["kind"] == "split-stage"
    assert split["dockerfile_lines"] == [7, 9, 11]
    assert split["diff"].startswith("--- a/Dockerfile")
    assert split["estimated_saving_percent"] > 40
    json.dumps(data)


def test_the_command_prints_json_in_process() -> None:
    result = CliRunner().invoke(
        app, ["suggest", str(STREAM), "--dockerfile", str(SPLIT / "Dockerfile"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["kind"] for s in data["suggestions"]] == ["split-stage"]
    assert data["cores"] is None


def test_the_command_options_reach_the_simulator() -> None:
    result = CliRunner().invoke(
        app, ["suggest", str(STREAM), "--cores", "1", "--max-parallelism", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["cores"], data["max_parallelism"]) == (1, 4)
    assert data["suggestions"] == []


def test_the_console_script_reports_a_missing_dockerfile() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "profiler", "suggest", str(STREAM), "-f", "/no/such/Dockerfile"],
        capture_output=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: cannot read /no/such/Dockerfile")


def test_the_command_has_help() -> None:
    result = CliRunner().invoke(app, ["suggest", "--help"])
    assert result.exit_code == 0
    assert "Suggest Dockerfile changes" in result.output
