"""Suggestions for the terminal and as JSON: ``kitprof suggest`` and the analyze report.

JSON keys (stable; only ever added to). Each suggestion:

``kind``
    The kind of suggestion: one of :data:`profiler.suggest.FINDERS`
    (``kitprof suggest --kinds`` lists them).
``title``, ``detail``
    One line, and the explanation with the evidence.
``estimated_saving_seconds``, ``estimated_saving_percent``
    Predicted wall time saved, and its share of ``baseline_wall_seconds``.
``estimated_wall_seconds``, ``baseline_wall_seconds``
    Predicted wall time with the change, and without it, for ``scenario``.
``scenario``
    What the times are of: ``this build``, or a rebuild after a source edit.
``steps``, ``step_digests``
    The steps involved (names as the build shows them, and digests).
``dockerfile_lines``
    1-based lines of the Dockerfile the suggestion is about (empty without one).
``diff``
    A unified diff of the proposed Dockerfile change, or ``null``.
``assumptions``
    What the prediction takes for granted.
``host_cpu``
    ``null``, or, when Docker's record shows the host CPU-bound while the steps a
    parallelism change affects ran: ``saving_seconds`` and ``wall_seconds`` with the
    cores the host had free (``estimated_saving_seconds`` assumes idle cores),
    ``cores`` (what the replay shared among RUN steps), ``host_cpus``,
    ``busy_percent``, ``idle_cpus`` and ``window`` (seconds from the build's start).

The report of ``kitprof suggest --json`` wraps the list with the replay's calibration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.render.format import clip, seconds
from profiler.suggest import FINDERS, SCHEMA_VERSION, HostPricing, Suggestion, SuggestionReport
from profiler.suggest.simulate import Calibration

if TYPE_CHECKING:  # rich is imported to print, so that the JSON path does without it
    from rich.console import Console, RenderableType
    from rich.panel import Panel

DETAIL_LIMIT = 2000
"""A suggestion's explanation names steps; a 10 MB name is cut like everywhere else."""


def _round(value: float) -> float:
    return round(value, 3)


def suggestion_dict(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "kind": suggestion.kind,
        "title": suggestion.title,
        "detail": suggestion.detail,
        "estimated_saving_seconds": _round(suggestion.estimated_saving_seconds),
        "estimated_saving_percent": round(100 * suggestion.saving_ratio, 1),
        "estimated_wall_seconds": _round(suggestion.estimated_wall_seconds),
        "baseline_wall_seconds": _round(suggestion.baseline_wall_seconds),
        "scenario": suggestion.scenario,
        "steps": list(suggestion.steps),
        "step_digests": list(suggestion.digests),
        "dockerfile_lines": list(suggestion.dockerfile_lines),
        "diff": suggestion.diff,
        "assumptions": list(suggestion.assumptions),
        "host_cpu": _host_dict(suggestion.host),
    }


def _host_dict(host: HostPricing | None) -> dict[str, Any] | None:
    if host is None:
        return None
    return {
        "saving_seconds": _round(host.saving_seconds),
        "wall_seconds": _round(host.wall_seconds),
        "cores": host.cores,
        "host_cpus": host.host_cpus,
        "busy_percent": host.busy_percent,
        "idle_cpus": host.idle_cpus,
        "window": [_round(host.window[0]), _round(host.window[1])],
    }


def saving_with_free_cores(suggestion: Suggestion) -> str | None:
    """``"saves X with idle cores; Y with the cores this host had free"``, or ``None``."""
    if suggestion.host is None:
        return None
    return (
        f"saves ~{seconds(suggestion.estimated_saving_seconds)} with idle cores; "
        f"~{seconds(suggestion.host.saving_seconds)} with the cores this host had free"
    )


def suggestion_dicts(report: SuggestionReport) -> list[dict[str, Any]]:
    """The suggestions alone, best first: what the analyze report embeds."""
    return [suggestion_dict(s) for s in report.suggestions]


def calibration_dict(calibration: Calibration) -> dict[str, Any]:
    return {
        "observed_wall_seconds": _round(calibration.observed_wall_seconds),
        "replayed_wall_seconds": _round(calibration.replayed_wall_seconds),
        "error_seconds": _round(calibration.error_seconds),
        "error_ratio": round(calibration.error_ratio, 4),
        "latency_seconds": round(calibration.latency_seconds, 4),
    }


def report_dict(report: SuggestionReport) -> dict[str, Any]:
    """The whole ``kitprof suggest --json`` object."""
    return {
        "schema": SCHEMA_VERSION,
        "calibration": calibration_dict(report.calibration),
        "cores": report.options.cores,
        "max_parallelism": report.options.max_parallelism,
        "complete": report.complete,
        "notes": list(report.notes),
        "suggestions": suggestion_dicts(report),
    }


def calibration_line(calibration: Calibration) -> str:
    return (
        f"what-if replay of the recorded graph: {seconds(calibration.replayed_wall_seconds)} "
        f"for {seconds(calibration.observed_wall_seconds)} observed "
        f"(error {calibration.error_ratio:.1%}, {calibration.error_seconds:.2f}s)"
    )


def _panel(number: int, suggestion: Suggestion, diffs: bool) -> Panel:
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    parts: list[RenderableType] = []
    saving = Text.assemble(
        ("saves ~", "bold"),
        (seconds(suggestion.estimated_saving_seconds), "bold green"),
        (f" ({suggestion.saving_ratio:.0%})", "bold green"),
        f": {seconds(suggestion.baseline_wall_seconds)} → "
        f"~{seconds(suggestion.estimated_wall_seconds)}, {suggestion.scenario}",
    )
    parts.append(saving)
    both = saving_with_free_cores(suggestion)
    if both is not None:
        parts.append(Text(f"CPU-bound host: {both}", style="bold yellow"))
    parts.append(Text(clip(suggestion.detail, DETAIL_LIMIT)))
    if suggestion.dockerfile_lines:
        lines = ", ".join(str(n) for n in suggestion.dockerfile_lines)
        parts.append(Text(f"Dockerfile lines: {lines}", style="cyan"))
    for assumption in suggestion.assumptions:
        parts.append(Text(f"assumes: {assumption}", style="dim"))
    if suggestion.diff and diffs:
        from rich.syntax import Syntax  # and pygments: only when a diff is shown

        parts.append(Syntax(suggestion.diff.rstrip("\n"), "diff", theme="ansi_dark"))
    return Panel(
        Group(*parts),
        title=escape(clip(f"{number}. [{suggestion.kind}] {suggestion.title}")),
        title_align="left",
        border_style="green" if number == 1 else "blue",
    )


def render_suggestions(
    report: SuggestionReport,
    console: Console,
    *,
    top: int | None = None,
    diffs: bool = True,
) -> None:
    """The suggestions, best first, each with its saving, lines, assumptions and diff.

    ``top`` shows only the best few (the analyze report); ``diffs=False`` leaves the
    diffs out (``kitprof suggest`` shows them).
    """
    from rich.text import Text

    console.print(Text(calibration_line(report.calibration), style="dim"))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="dim"))
    if not report.suggestions:
        if report.complete:
            console.print("No suggestion: kitprof found no change that would save measurable time.")
        return
    shown = report.suggestions if top is None else report.suggestions[:top]
    for number, suggestion in enumerate(shown, start=1):
        console.print(_panel(number, suggestion, diffs))
    if len(shown) < len(report.suggestions):
        console.print(
            Text(f"{len(report.suggestions) - len(shown)} more: kitprof suggest", style="dim")
        )


def render_kinds(console: Console) -> None:
    """Every kind of suggestion kitprof looks for, one a line (kind first), with what it finds."""
    from rich.text import Text

    width = max(len(finder.kind) for finder in FINDERS)
    for finder in FINDERS:
        line = Text.assemble((finder.kind.ljust(width), "bold"), "  ", finder.summary)
        console.print(line, soft_wrap=True)
