"""The Build page's suggestions: best saving first, each with its evidence and diff,
and plainly what is missing when the run's Dockerfile is not known."""

from __future__ import annotations

from dash import html

from dashboard.layout.common import Child, fmt_seconds
from profiler.render.suggestions import saving_with_free_cores
from profiler.suggest import Suggestion, SuggestionReport, finder_for


def suggestions_panel(report: SuggestionReport | None, has_dockerfile: bool) -> list[Child]:
    """The suggestions, best saving first, each with its evidence and its diff."""
    if report is None:
        return [html.P("Suggestions could not be computed for this run.", className="hint")]
    children: list[Child] = []
    if not report.suggestions:
        reason = (
            "the build did not complete: timing suggestions need a complete build"
            if not report.complete
            else "no change kitprof knows would save measurable time"
        )
        children.append(html.P(f"No suggestion: {reason}.", className="hint"))
    for number, suggestion in enumerate(report.suggestions, start=1):
        children.append(_suggestion(number, suggestion))
    if not has_dockerfile:
        children.append(
            html.P(
                "No Dockerfile is known for this run, so suggestions that need one (line "
                "numbers, diffs, reordering COPY and RUN, splitting a stage) are not "
                "offered. Keep it with the run: kitprof ingest build.rawjson --dockerfile "
                "Dockerfile (kitprof run and a .dockerbuild record keep it themselves), or "
                "open the stream with its Dockerfile beside it.",
                className="hint",
            )
        )
    notes = [note for note in report.notes if report.complete or "did not complete" not in note]
    if notes:
        children.append(html.Ul([html.Li(note) for note in notes], className="hint"))
    return children


def _suggestion(number: int, suggestion: Suggestion) -> html.Div:
    parts: list[Child] = [
        html.H3(f"{number}. {suggestion.title}"),
        html.Div(
            [
                html.Span(
                    f"saves ~{fmt_seconds(suggestion.estimated_saving_seconds)} "
                    f"({suggestion.saving_ratio:.0%})",
                    className="saving",
                ),
                f" · {fmt_seconds(suggestion.baseline_wall_seconds)} → "
                f"~{fmt_seconds(suggestion.estimated_wall_seconds)}, {suggestion.scenario} · ",
                _kind(suggestion.kind),
            ]
        ),
        *_free_cores(suggestion),
        html.P(suggestion.detail),
    ]
    if suggestion.dockerfile_lines:
        lines = ", ".join(str(n) for n in suggestion.dockerfile_lines)
        parts.append(html.Div(f"Dockerfile lines {lines}", className="hint"))
    if suggestion.diff:
        parts.append(diff_block(suggestion.diff))
    if suggestion.assumptions:
        parts.append(
            html.Ul([html.Li(f"assumes {a}") for a in suggestion.assumptions], className="hint")
        )
    return html.Div(parts, className="suggestion")


def _free_cores(suggestion: Suggestion) -> list[Child]:
    both = saving_with_free_cores(suggestion)
    return [html.Div(f"CPU-bound host: {both}", className="host-cpu")] if both else []


def _kind(kind: str) -> html.Code:
    """The kind's name; hovering it tells what that kind of suggestion finds."""
    finder = finder_for(kind)
    return html.Code(kind, title=finder.summary if finder is not None else None)


def diff_block(diff: str) -> html.Pre:
    """A unified diff, its added and removed lines coloured (each line a text node)."""
    lines = []
    for line in diff.rstrip("\n").split("\n"):
        if line.startswith(("+++", "---")):
            css = "meta"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        elif line.startswith("@@"):
            css = "hunk"
        else:
            css = None
        lines.append(html.Span(line + "\n", className=css))
    return html.Pre(lines, className="diff")
