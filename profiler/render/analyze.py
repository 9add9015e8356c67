"""The whole ``kitprof analyze`` report (also printed by ``kitprof run``): the build's
report followed by its suggestions, as JSON and as terminal text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.analysis import BuildAnalysis
from profiler.model import Build
from profiler.render.format import TOP_ROWS
from profiler.render.json_report import report_dict
from profiler.render.suggestions import render_suggestions, suggestion_dicts
from profiler.sources import build_heading
from profiler.suggest import SuggestionReport

if TYPE_CHECKING:  # rich is imported to print, so that --json does without it
    from rich.console import Console

# The analyze report shows the best few; `kitprof suggest` shows all, with diffs.
TOP_SUGGESTIONS = 3


def full_report(
    build: Build, analysis: BuildAnalysis, suggestions: SuggestionReport
) -> dict[str, Any]:
    """The JSON report of a build: the analysis plus the suggestions (all of them)."""
    return {**report_dict(build, analysis), "suggestions": suggestion_dicts(suggestions)}


def numbered_report(
    build: Build, analysis: BuildAnalysis, suggestions: SuggestionReport, index: int
) -> dict[str, Any]:
    """One line of ``analyze --json``: the report of the ``index``-th build (from 1) of
    an input, and that build's name."""
    return {
        **full_report(build, analysis, suggestions),
        "build_index": index,
        "build_name": build.name,
    }


def print_build_heading(build: Build, index: int, count: int, console: Console) -> None:
    """The rule above each build's report when an input holds several."""
    from rich.rule import Rule

    console.print(Rule(build_heading(build, index, count), style="bold"))


def print_report(
    build: Build,
    analysis: BuildAnalysis,
    suggestions: SuggestionReport,
    console: Console,
    top: int | None = TOP_ROWS,
) -> None:
    """``top``: rows of each long table (``None``: all of them)."""
    from rich.rule import Rule

    from profiler.render.console import render_report

    render_report(build, analysis, console, top)
    console.print(Rule("Suggestions", align="left", style="dim"))
    render_suggestions(suggestions, console, top=TOP_SUGGESTIONS, diffs=False)
