"""A build summary in GitHub-flavoured Markdown, for a CI job summary.

Append it to ``$GITHUB_STEP_SUMMARY`` (GitHub Actions) or post it as a merge request
note (GitLab): the headline numbers, the critical path, the slowest steps, the
suggestions and a Mermaid ``gantt`` of the stages (GitHub and GitLab render it).

Names come from Dockerfiles and build logs: in text and tables every character
that Markdown or HTML would interpret is written as an HTML entity, so a step
called ``<img src=x onerror=alert(1)>`` or ``a | b`` shows as that text. Mermaid
task names keep only letters, digits and ``-_./`` (others become ``_``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis, analyze, path_start, stage_label, step_stage_label
from profiler.model import Build, StepStatus
from profiler.render.console import summary_line
from profiler.render.format import seconds

if TYPE_CHECKING:
    from profiler.suggest import SuggestionReport

SLOWEST_STEPS = 5
MAX_TEXT = 80
MAX_CRITICAL_ROWS = 30

# What GitHub and GitLab interpret inside a line: emphasis, code, links, HTML, table
# cells, strikethrough, entities and $math$.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&$]")
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _./-]")


def md(text: object, limit: int | None = MAX_TEXT) -> str:
    """Text safe in Markdown and in a table cell: specials as entities, one line."""
    value = " ".join(str(text).split())
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", value)


def mermaid_name(text: str) -> str:
    cleaned = _MERMAID_UNSAFE.sub("_", text.strip("()")).strip() or "_"
    return cleaned[:60]


def mermaid_gantt(build: Build, analysis: BuildAnalysis) -> str:
    """The stages as a Mermaid gantt: one bar per stage, ``crit`` on the critical path.

    Times are milliseconds from the build's start (``dateFormat x``); a stage that
    took no time gets 1 ms so that it shows. Fully cached stages are ``done``.
    """
    lines = [
        "```mermaid",
        "gantt",
        "    title Stages (critical path in red)",
        "    dateFormat x",
        "    axisFormat %M:%S",
    ]
    sections: dict[str | None, list[str]] = {}
    for number, stage in enumerate(build.stages):
        if stage.start is None:
            continue
        start = round(stage.start * 1000)
        end = max(round((stage.end if stage.end is not None else stage.start) * 1000), start + 1)
        label = stage_label(stage.target, stage.name, stage.platform)
        tags = []
        if analysis.critical_path_by_stage.get(label, 0.0) > 0:
            tags.append("crit")
        if stage.steps and stage.cached == stage.steps:
            tags.append("done")
        tags.append(f"s{number}")
        task = f"    {mermaid_name(stage.name)} :{', '.join(tags)}, {start}, {end}"
        sections.setdefault(stage.target, []).append(task)
    for target, tasks in sections.items():
        lines.append(f"    section {mermaid_name(target or 'build')}")
        lines.extend(tasks)
    lines.append("```")
    return "\n".join(lines)


def markdown_summary(
    build: Build,
    analysis: BuildAnalysis | None = None,
    suggestions: SuggestionReport | None = None,
    *,
    title: str | None = None,
) -> str:
    analysis = analysis or analyze(build)
    out: list[str] = [f"## {md(title or 'kitprof build report', None)}", ""]
    out.append(f"**{md(summary_line(build, analysis), None)}**")
    out.append("")
    if build.approximate:
        out.append(
            "> [!NOTE]\n> Approximate: reconstructed from `--progress=plain` output; "
            "start times and dependencies are inferred."
        )
        out.append("")
    if build.truncated:
        out.append("> [!WARNING]\n> The stream was cut off: this is a partial build.")
        out.append("")
    failure = analysis.failure
    if failure is not None and failure.step is not None:
        out.append(
            f"> [!CAUTION]\n> Failed: {md(failure.step.name)}: {md(failure.error or '', 200)}"
        )
        out.append("")
    cache = analysis.cache
    out += [
        "| wall | critical path | lower bound | sequential | parallelism | cached |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {seconds(analysis.wall_seconds)} | {seconds(analysis.critical_path_seconds)} "
        f"| {seconds(analysis.lower_bound_seconds)} | {seconds(analysis.sequential_seconds)} "
        f"| {analysis.parallelism:.2f}x | {cache.cached}/{cache.steps} ({cache.hit_ratio:.0%}) |",
        "",
        "### Critical path",
        "",
        "| start | duration | stage | step |",
        "|---:|---:|---|---|",
    ]
    path = [build.step(d) for d in analysis.critical_path]
    shown = [s for s in path if s.duration > 0 or s.status is StepStatus.FAILED]
    for step in shown[:MAX_CRITICAL_ROWS]:
        out.append(
            f"| {seconds(path_start(step))} | {seconds(step.duration)} "
            f"| {md(step_stage_label(step))} | {md(step.parsed.text or step.name)} |"
        )
    hidden = len(path) - min(len(shown), MAX_CRITICAL_ROWS)
    if hidden:
        out.append(f"\n{hidden} more steps on the path took no measurable time.")
    out += ["", f"### Slowest steps (top {SLOWEST_STEPS})", ""]
    out += ["| duration | stage | step | critical |", "|---:|---|---|:---:|"]
    on_path = set(analysis.critical_path)
    for step in sorted(build, key=lambda s: s.duration, reverse=True)[:SLOWEST_STEPS]:
        out.append(
            f"| {seconds(step.duration)} | {md(step_stage_label(step))} "
            f"| {md(step.parsed.text or step.name)} | {'yes' if step.digest in on_path else ''} |"
        )
    out += ["", "### Suggestions", ""]
    out += _suggestions(suggestions)
    out += ["", "### Stages", "", mermaid_gantt(build, analysis), ""]
    if build.all_notes:
        out += ["<details><summary>Notes</summary>", ""]
        out += [f"- {md(note, None)}" for note in build.all_notes]
        out += ["", "</details>", ""]
    return "\n".join(out)


def _suggestions(report: SuggestionReport | None) -> list[str]:
    if report is None:
        return ["Suggestions were not computed."]
    if not report.suggestions:
        why = "" if report.complete else " (the build did not complete)"
        return [f"No suggestion saves enough time{why}."]
    lines = []
    for number, suggestion in enumerate(report.suggestions, start=1):
        where = (
            f" (Dockerfile lines {', '.join(map(str, suggestion.dockerfile_lines))})"
            if suggestion.dockerfile_lines
            else ""
        )
        lines.append(
            f"{number}. **{md(suggestion.title, None)}**: saves "
            f"~{seconds(suggestion.estimated_saving_seconds)} of "
            f"{seconds(suggestion.baseline_wall_seconds)} ({md(suggestion.scenario, None)})"
            f"{where}"
        )
        if suggestion.diff:
            lines += ["", "   <details><summary>diff</summary>", ""]
            fence = "````" if "```" in suggestion.diff else "```"
            lines.append(f"   {fence}diff")
            lines += [f"   {line}" for line in suggestion.diff.splitlines()]
            lines += [f"   {fence}", "", "   </details>", ""]
    return lines
