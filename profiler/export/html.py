"""One self-contained HTML report of a build, for a CI artifact.

plotly.js is inlined once (about 4.7 MB), so the file opens offline, from a zip, with
no server; the figures are those of :mod:`profiler.figures`. Every name in the page
comes from a Dockerfile or a build log, so all of it is escaped: a step called
``<img src=x onerror=alert(1)>`` shows as that text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import plotly.io as pio

from profiler.analysis import BuildAnalysis, analyze, path_start, stage_label, step_stage_label
from profiler.figures import concurrency_figure, gantt_figure, stage_figure, time_budget_figure
from profiler.figures_host import add_host_strip, host_usage_note
from profiler.model import Build
from profiler.render.console import summary_line
from profiler.render.format import seconds
from profiler.render.suggestions import saving_with_free_cores

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from profiler.suggest import SuggestionReport

SLOWEST_STEPS = 10
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #1b1b1b; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
.summary { font-weight: 600; }
.banner { padding: .6em 1em; border-radius: 4px; margin: 1em 0; }
.approximate { background: #fff4d6; border: 1px solid #f2a541; }
.failure { background: #fde8e8; border: 1px solid #e45756; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .85em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; }
.suggestion { border-left: 4px solid #54a24b; padding: .2em 1em; margin: 1em 0; }
.notes { color: #555; font-size: .85em; }
footer { color: #777; font-size: .8em; margin-top: 3em; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """A table of already escaped cells; ``numeric`` columns align right."""

    def cell(tag: str, index: int, content: str) -> str:
        css = ' class="num"' if index in numeric else ""
        return f"<{tag}{css}>{content}</{tag}>"

    head = "".join(cell("th", i, _e(h)) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure_html(figure: go.Figure, include_plotlyjs: bool) -> str:
    return str(
        pio.to_html(
            figure,
            include_plotlyjs=include_plotlyjs,
            full_html=False,
            config=PLOTLY_CONFIG,
            default_width="100%",
        )
    )


def _headline(build: Build, analysis: BuildAnalysis) -> str:
    cache = analysis.cache
    rows = [
        ("wall time", seconds(analysis.wall_seconds)),
        ("critical path", seconds(analysis.critical_path_seconds)),
        ("lower bound (unlimited parallelism)", seconds(analysis.lower_bound_seconds)),
        ("sequential (sum of steps)", seconds(analysis.sequential_seconds)),
        ("parallelism", f"{analysis.parallelism:.2f}x"),
        ("cached", f"{cache.cached} of {cache.steps} cacheable steps ({cache.hit_ratio:.0%})"),
        ("all steps", str(len(build))),
    ]
    if build.started_at is not None:
        rows.insert(0, ("started", build.started_at.isoformat(timespec="seconds")))
    return _table(("", ""), [(_e(k), _e(v)) for k, v in rows], {1})


def _critical_path(build: Build, analysis: BuildAnalysis) -> str:
    rows = []
    for digest in analysis.critical_path:
        step = build.step(digest)
        rows.append(
            (
                _e(seconds(path_start(step))),
                _e(seconds(step.duration)),
                _e(step_stage_label(step)),
                f"<code>{_e(step.parsed.text or step.name)}</code>",
                _e(step.status.value),
            )
        )
    return _table(("start", "duration", "stage", "step", "status"), rows, {0, 1})


def _stages(build: Build, analysis: BuildAnalysis) -> str:
    rows = []
    for stage in build.stages:
        label = stage_label(stage.target, stage.name, stage.platform)
        share = analysis.critical_path_by_stage.get(label, 0.0)
        rows.append(
            (
                _e(label),
                _e(seconds(stage.start)),
                _e(seconds(stage.end)),
                _e(seconds(stage.busy)),
                _e(stage.steps),
                _e(stage.cached),
                _e(seconds(share)) if share else "",
            )
        )
    headers = ("stage", "start", "end", "busy", "steps", "cached", "on critical path")
    return _table(headers, rows, {1, 2, 3, 4, 5, 6})


def _slowest(build: Build, analysis: BuildAnalysis) -> str:
    on_path = set(analysis.critical_path)
    slowest = sorted(build, key=lambda s: s.duration, reverse=True)[:SLOWEST_STEPS]
    rows = [
        (
            _e(seconds(step.duration)),
            _e(step_stage_label(step)),
            f"<code>{_e(step.parsed.text or step.name)}</code>",
            "yes" if step.digest in on_path else "",
        )
        for step in slowest
    ]
    return _table(("duration", "stage", "step", "critical"), rows, {0})


def _suggestions(report: SuggestionReport | None) -> str:
    if report is None:
        return "<p>Suggestions were not computed for this report.</p>"
    parts = []
    if not report.suggestions:
        reason = "" if report.complete else " (the build did not complete)"
        parts.append(f"<p>No suggestion saves enough time{_e(reason)}.</p>")
    for number, suggestion in enumerate(report.suggestions, start=1):
        lines = (
            f" (Dockerfile lines {_e(', '.join(map(str, suggestion.dockerfile_lines)))})"
            if suggestion.dockerfile_lines
            else ""
        )
        parts.append(
            '<div class="suggestion">'
            f"<h3>{number}. {_e(suggestion.title)}</h3>"
            f"<p><b>saves ~{_e(seconds(suggestion.estimated_saving_seconds))}</b> of "
            f"{_e(seconds(suggestion.baseline_wall_seconds))} ({_e(suggestion.scenario)}); "
            f"kind <code>{_e(suggestion.kind)}</code>{lines}</p>"
            + (
                f'<p class="host-cpu"><b>CPU-bound host:</b> {_e(both)}</p>'
                if (both := saving_with_free_cores(suggestion))
                else ""
            )
            + f"<p>{_e(suggestion.detail)}</p>"
            + (f"<pre>{_e(suggestion.diff)}</pre>" if suggestion.diff else "")
            + (
                "<ul>" + "".join(f"<li>{_e(a)}</li>" for a in suggestion.assumptions) + "</ul>"
                if suggestion.assumptions
                else ""
            )
            + "</div>"
        )
    if report.notes:
        parts.append(
            '<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>"
        )
    return "".join(parts)


def _failure(analysis: BuildAnalysis) -> str:
    failure = analysis.failure
    if failure is None:
        return ""
    parts = ['<div class="banner failure">']
    if failure.step is not None:
        parts.append(f"<p><b>failed:</b> <code>{_e(failure.step.name)}</code></p>")
        if failure.error:
            parts.append(f"<p>{_e(failure.error)}</p>")
        if failure.log_tail:
            parts.append(f"<pre>{_e(chr(10).join(failure.log_tail))}</pre>")
    if failure.cancelled:
        parts.append(
            f"<p>cancelled: {len(failure.cancelled)} steps, "
            f"{_e(seconds(failure.cancelled_seconds))} of work thrown away</p>"
        )
    parts.extend(f"<p>{_e(message)}</p>" for message in failure.messages)
    parts.append("</div>")
    return "".join(parts)


def html_report(
    build: Build,
    analysis: BuildAnalysis | None = None,
    suggestions: SuggestionReport | None = None,
    *,
    title: str | None = None,
) -> str:
    """The whole report as one HTML document (no external resources)."""
    analysis = analysis or analyze(build)
    title = title or "kitprof build report"
    banners = []
    if build.approximate:
        banners.append(
            '<div class="banner approximate"><b>Approximate:</b> reconstructed from '
            "<code>--progress=plain</code> output; start times and dependencies are "
            "inferred (see the notes at the end).</div>"
        )
    if build.truncated:
        banners.append(
            '<div class="banner failure">The stream was cut off: this is a partial build.</div>'
        )
    timeline = gantt_figure(build, analysis)
    # Host usage (a record's CPU and memory samples) as a strip under the timeline.
    add_host_strip(timeline, build)
    no_usage = host_usage_note(build)
    figures = [
        ("Timeline", timeline),
        ("Stages", stage_figure(build, analysis)),
        ("Concurrency", concurrency_figure(analysis.concurrency)),
        ("Time budget", time_budget_figure(analysis)),
    ]
    figure_html = [
        f"<h2>{_e(heading)}</h2>" + _figure_html(figure, include_plotlyjs=index == 0)
        for index, (heading, figure) in enumerate(figures)
    ]
    notes = (
        '<h2>Notes</h2><ul class="notes">'
        + "".join(f"<li>{_e(note)}</li>" for note in build.all_notes)
        + "</ul>"
        if build.all_notes
        else ""
    )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="summary">{_e(summary_line(build, analysis))}</p>'
        + "".join(banners)
        + _failure(analysis)
        + _headline(build, analysis)
        + figure_html[0]
        + (f'<p class="notes host-usage-note">{_e(no_usage)}</p>' if no_usage else "")
        + "<h2>Critical path</h2>"
        + _critical_path(build, analysis)
        + "<h2>Suggestions</h2>"
        + _suggestions(suggestions)
        + "<h2>Stage rollup</h2>"
        + _stages(build, analysis)
        + f"<h2>Slowest steps (top {SLOWEST_STEPS})</h2>"
        + _slowest(build, analysis)
        + "".join(figure_html[1:])
        + notes
        + f"<footer>Generated by kitprof at {_e(generated)}.</footer>"
        + "</body></html>\n"
    )
