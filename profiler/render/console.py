"""The terminal report of ``kitprof analyze``: what a person reads first."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from profiler.analysis import (
    BuildAnalysis,
    FailureSummary,
    path_start,
    stage_label,
    step_stage_label,
)
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind
from profiler.render.format import TOP_ROWS, clip, left_out, seconds, size
from profiler.render.platforms import platforms_table

STATUS_STYLE = {
    StepStatus.DONE: "green",
    StepStatus.CACHED: "cyan",
    StepStatus.FAILED: "bold red",
    StepStatus.CANCELLED: "yellow",
    StepStatus.UNFINISHED: "magenta",
}


def summary_line(build: Build, analysis: BuildAnalysis) -> str:
    """One line with the headline numbers (also used by ``kitprof run``)."""
    cache = analysis.cache
    status = "failed" if analysis.failure and analysis.failure.step else "done"
    if build.truncated or any(s.status is StepStatus.UNFINISHED for s in build):
        status = "incomplete"
    elif analysis.failure and not analysis.failure.step and analysis.failure.cancelled:
        status = "cancelled"
    if build.untrusted_times:
        status = f"{status}, times not trusted"
    return (
        f"{status}: {seconds(analysis.wall_seconds)} wall, "
        f"{seconds(analysis.sequential_seconds)} sequential "
        f"(parallelism {analysis.parallelism:.2f}x), "
        f"critical path {seconds(analysis.critical_path_seconds)}, "
        f"lower bound {seconds(analysis.lower_bound_seconds)}, "
        f"cached {cache.cached} of {cache.steps} cacheable steps ({cache.hit_ratio:.0%})"
    )


def _status_text(step: Step) -> Text:
    return Text(step.status.value, style=STATUS_STYLE[step.status])


def _top(count: int, top: int | None) -> int:
    """How many of ``count`` rows a table shows (``top=None``: all)."""
    return count if top is None else min(count, top)


def _critical_path_table(build: Build, analysis: BuildAnalysis, top: int | None) -> Table:
    path = [build.step(digest) for digest in analysis.critical_path]
    shown = _top(len(path), top)
    title = "Critical path"
    if shown < len(path):
        # The longest steps of the chain, still in the order the chain runs.
        longest = sorted(range(len(path)), key=lambda i: -path[i].duration)[:shown]
        path = [path[i] for i in sorted(longest)]
        title = f"Critical path (its {shown} longest steps of {len(analysis.critical_path)})"
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("start", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("stage")
    table.add_column("step", overflow="fold")
    table.add_column("status")
    sizes = analysis.sizes
    if sizes is not None:
        table.add_column("layer", justify="right")
    for step in path:
        table.add_row(
            seconds(path_start(step)),
            seconds(step.duration),
            escape(clip(step_stage_label(step))),
            escape(clip(step.parsed.text or step.name)),
            _status_text(step),
            *_size_cell(analysis, step.digest),
        )
    _caption(table, len(analysis.critical_path) - shown, "steps on the critical path")
    return table


def _size_cell(analysis: BuildAnalysis, digest: str) -> list[str]:
    """The step's layer size as a cell, when the build knows sizes at all."""
    if analysis.sizes is None:
        return []
    known = analysis.sizes.steps.get(digest)
    return [size(known) if known is not None else ""]


def _caption(table: Table, hidden: int, what: str) -> None:
    if hidden > 0:
        table.caption = left_out(hidden, what)
        table.caption_justify = "left"


def _slowest_table(build: Build, analysis: BuildAnalysis, top: int | None) -> Table:
    on_path = set(analysis.critical_path)
    shown = _top(len(build), top)
    title = "Steps, slowest first" if top is None else f"Slowest steps (top {shown})"
    table = Table(title=title, title_justify="left")
    table.add_column("duration", justify="right")
    table.add_column("stage")
    table.add_column("step", overflow="fold")
    table.add_column("critical", justify="center")
    if analysis.sizes is not None:
        table.add_column("layer", justify="right")
    slowest = sorted(build, key=lambda s: s.duration, reverse=True)[:shown]
    for step in slowest:
        table.add_row(
            seconds(step.duration),
            escape(clip(step_stage_label(step))),
            escape(clip(step.parsed.text or step.name)),
            "*" if step.digest in on_path else "",
            *_size_cell(analysis, step.digest),
        )
    return table


def _stages_table(build: Build, analysis: BuildAnalysis, top: int | None) -> Table:
    stages = list(build.stages)
    shown = _top(len(stages), top)
    title = "Stages"
    if shown < len(stages):
        # The busiest stages, in the build's order.
        busiest = sorted(range(len(stages)), key=lambda i: -stages[i].busy)[:shown]
        stages = [stages[i] for i in sorted(busiest)]
        title = f"Stages (the {shown} busiest of {len(build.stages)})"
    table = Table(title=title, title_justify="left")
    columns = ["stage", "start", "end", "busy", "steps", "cached", "on critical path"]
    sizes = analysis.sizes
    if sizes is not None:
        columns.append("layers")
    for column in columns:
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in stages:
        known = sizes.stage(stage.target, stage.name, stage.platform) if sizes is not None else None
        label = stage_label(stage.target, stage.name, stage.platform)
        share = analysis.critical_path_by_stage.get(label, 0.0)
        total = analysis.critical_path_seconds
        table.add_row(
            escape(clip(label)),
            seconds(stage.start),
            seconds(stage.end),
            seconds(stage.busy),
            str(stage.steps),
            str(stage.cached),
            f"{seconds(share)} ({share / total:.0%})" if total and share else "",
            *([size(known) if known is not None else ""] if sizes is not None else []),
        )
    _caption(table, len(build.stages) - shown, "stages")
    return table


def _failure_panel(analysis: BuildAnalysis, top: int | None) -> Panel | None:
    failure = analysis.failure
    if failure is None:
        return None
    lines: list[RenderableType] = []
    if failure.step is not None:
        lines.append(Text.assemble(("failed: ", "bold red"), clip(failure.step.name)))
        if failure.error:
            lines.append(Text(f"error: {clip(failure.error)}"))
    lines.extend(_location_lines(failure))
    if failure.step is not None and failure.log_tail:
        lines.append(Text("last log lines:", style="bold"))
        lines.extend(Text(f"  {clip(line)}", style="dim") for line in failure.log_tail)
    if failure.cancelled:
        lines.append(
            Text(
                f"cancelled: {len(failure.cancelled)} steps, "
                f"{seconds(failure.cancelled_seconds)} of work thrown away"
            )
        )
        shown = _top(len(failure.cancelled), top)
        lines.extend(
            Text(f"  {clip(step.name)}", style="yellow") for step in failure.cancelled[:shown]
        )
        if shown < len(failure.cancelled):
            lines.append(Text(f"  {left_out(len(failure.cancelled) - shown, 'cancelled steps')}"))
    lines.extend(Text(clip(message), style="red") for message in failure.messages)
    return Panel(Group(*lines), title="Failure", title_align="left", border_style="red")


def _location_lines(failure: FailureSummary) -> list[RenderableType]:
    """``at Dockerfile:13`` and the excerpt buildx prints, the failed lines marked."""
    location = failure.location
    if location is None:
        return []
    lines: list[RenderableType] = [Text(f"at {location.label()}", style="bold")]
    excerpt = location.excerpt()
    width = len(str(excerpt[-1][0])) if excerpt else 0
    for number, text, marked in excerpt:
        lines.append(
            Text(
                f"  {number:>{width}} | {'>>>' if marked else '   '} {clip(text)}",
                style="bold red" if marked else "dim",
            )
        )
    return lines


def render_report(
    build: Build, analysis: BuildAnalysis, console: Console, top: int | None = TOP_ROWS
) -> None:
    """The report: headline, the failure (first: it is what a failed build's reader
    came for), then the tables, each cut to its ``top`` rows (``None``: every row)
    with a line saying how many were left out."""
    console.print(Text(summary_line(build, analysis), style="bold"))
    internal = sum(1 for step in build if step.kind is not StepKind.STEP)
    console.print(
        f"{len(build) - internal} steps (+{internal} internal/export), "
        f"peak concurrency {max((n for _, n in analysis.concurrency), default=0)}, "
        f"{seconds(analysis.overhead_seconds)} above the lower bound "
        "(scheduling, contention, idle)"
    )
    if analysis.sizes is not None and analysis.sizes.image is not None:
        console.print(
            f"image {size(analysis.sizes.image)} (compressed layers, from the build record)"
        )
    if build.truncated:
        console.print(Text("the stream was cut off: this is a partial build", style="bold magenta"))
    panel = _failure_panel(analysis, top)
    if panel is not None:
        console.print(panel)
    console.print(_critical_path_table(build, analysis, top))
    console.print(_slowest_table(build, analysis, top))
    console.print(_stages_table(build, analysis, top))
    if (platforms := platforms_table(build, analysis)) is not None:
        console.print(platforms)
    for note in build.all_notes:
        console.print(Text(f"note: {clip(note)}", style="dim"))
