"""The self-contained HTML report: offline, escaped, with every section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from profiler.export.html import html_report
from tests.export.evil import IMG, SCRIPT, evil_build, evil_suggestions
from tests.export.samples import PLAIN_LOGS, SAMPLES, read

EXTERNAL = re.compile(
    r"<script[^>]*\bsrc\s*=|<link[^>]*\bhref\s*=\s*[\"']?https?:|<iframe|@import|"
    r"url\(\s*[\"']?https?:",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def cold_report() -> str:
    build, analysis = read(SAMPLES / "parallel-stages" / "cold.rawjson")
    return html_report(build, analysis)


def test_the_report_is_self_contained(cold_report: str) -> None:
    assert cold_report.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(cold_report)
    # plotly.js itself is inline, once, and every figure is drawn by it
    assert cold_report.count("Plotly.newPlot") == 4
    assert len(re.findall(r"plotly\.js v\d", cold_report)) == 1


def test_the_report_has_every_section(cold_report: str) -> None:
    for heading in ("Timeline", "Critical path", "Suggestions", "Stage rollup", "Slowest steps"):
        assert f"<h2>{heading}" in cold_report
    # the gantt's labels, in plotly's JSON (which escapes "<", ">" and "/")
    assert "[backend 2\\u002f3]" in cold_report
    assert "RUN for i in 1 2 3 4 5 6 7 8" in cold_report  # the critical path table


def test_names_are_text_never_markup(tmp_path: Path) -> None:
    # GIVEN a build whose step names and logs hold HTML, and a suggestion that does too
    build = evil_build(tmp_path)
    page = html_report(build, suggestions=evil_suggestions(build))
    # THEN none of it reaches the page as markup
    assert IMG not in page
    assert SCRIPT not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "alert(2)" in page  # as escaped text
    assert page.count("<script") == page.count("</script>")


def test_a_failed_build_shows_its_failure() -> None:
    build, analysis = read(SAMPLES / "failing-test" / "failed.rawjson")
    page = html_report(build, analysis)
    assert 'class="banner failure"' in page and "test_checkout FAILED" in page


def test_a_plain_log_report_says_it_is_approximate() -> None:
    build, analysis = read(PLAIN_LOGS / "failing-test.gha.log")
    page = html_report(build, analysis)
    assert "<b>Approximate:</b>" in page
    assert "approximate: read from --progress=plain output" in page


def test_a_record_has_its_host_usage_under_the_timeline_and_both_prices() -> None:
    # GIVEN the CPU-bound record (cpu-bound/modern/cold.dockerbuild) and its suggestions
    from profiler.dockerfile import recorded_dockerfile
    from profiler.sources import read_build
    from profiler.suggest import suggest

    build = read_build(SAMPLES / "cpu-bound" / "modern" / "cold.dockerbuild")
    report = suggest(build, recorded_dockerfile(build))
    # WHEN it is exported
    page = html_report(build, suggestions=report)
    # THEN the timeline figure carries the strip, its legend with units, and no note
    timeline = page.split("<h2>Critical path")[0]
    assert "Host usage, " in timeline and "CPU busy (% of 2 cores)" in timeline
    assert "host-usage-note" not in page
    # AND the split suggestion shows both figures
    assert "CPU-bound host:" in page and "with idle cores" in page


def test_a_stream_says_in_one_line_that_it_has_no_host_usage(cold_report: str) -> None:
    notes = re.findall(r'<p class="notes host-usage-note">([^<]*)</p>', cold_report)
    assert len(notes) == 1 and "No host usage" in notes[0]
    assert "Host usage, " not in cold_report
