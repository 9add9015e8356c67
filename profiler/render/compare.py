"""``kitprof compare``: the comparison of two builds as JSON and as a terminal report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.analysis.cachemiss import CacheMiss, CacheMisses, Cause
from profiler.analysis.compare import Comparison, StageChange, StepChange, Totals
from profiler.analysis.size_changes import SizeChange, SizeChanges
from profiler.render.format import (
    JSON_SCHEMA,
    change_percent,
    clip,
    percent,
    rounded,
    seconds,
    signed_seconds,
    signed_size,
    size,
)

if TYPE_CHECKING:  # rich is imported to print, so that --json does without it
    from rich.console import Console


def _totals(a: Totals, b: Totals, name: str, digits: int = 6) -> dict[str, float | None]:
    before, after = getattr(a, name), getattr(b, name)
    return {
        "a": rounded(before, digits),
        "b": rounded(after, digits),
        "delta": rounded(after - before, digits),
    }


def _step_json(change: StepChange) -> dict[str, Any]:
    a, b = change.a, change.b
    return {
        "key": change.key,
        "stage": change.stage,
        "name_a": a.name if a else None,
        "name_b": b.name if b else None,
        "duration_a": rounded(a.duration) if a else None,
        "duration_b": rounded(b.duration) if b else None,
        "delta_seconds": rounded(change.delta),
        "status_a": a.status.value if a else None,
        "status_b": b.status.value if b else None,
        "cached_a": a.status.value == "cached" if a else None,
        "cached_b": b.status.value == "cached" if b else None,
        "on_critical_path_a": a.on_critical_path if a else None,
        "on_critical_path_b": b.on_critical_path if b else None,
    }


def _stage_json(change: StageChange) -> dict[str, Any]:
    a, b = change.a, change.b
    return {
        "stage": change.stage,
        "change": "added" if a is None else "removed" if b is None else "both",
        "busy_a": rounded(a.busy) if a else None,
        "busy_b": rounded(b.busy) if b else None,
        "delta_seconds": rounded(change.delta),
        "sequential_a": rounded(a.sequential) if a else None,
        "sequential_b": rounded(b.sequential) if b else None,
        "critical_path_seconds_a": rounded(a.critical_path_seconds) if a else None,
        "critical_path_seconds_b": rounded(b.critical_path_seconds) if b else None,
        "steps_a": a.steps if a else None,
        "steps_b": b.steps if b else None,
        "cached_a": a.cached if a else None,
        "cached_b": b.cached if b else None,
    }


def _cause_json(cause: Cause) -> dict[str, Any]:
    return {
        "kind": cause.kind,
        "summary": cause.summary,
        "name": cause.name,
        "old": cause.old,
        "new": cause.new,
        "files": [change.as_json() for change in cause.files],
        "files_from": cause.files_from,
    }


def _miss_json(miss: CacheMiss) -> dict[str, Any]:
    return {
        "key": miss.key,
        "stage": miss.stage,
        "step_a": miss.name_a,
        "step_b": miss.name_b,
        "line": miss.line,
        "instruction": miss.instruction,
        "causes": [_cause_json(cause) for cause in miss.causes],
        "cost_seconds": rounded(miss.cost_seconds),
        "reruns": [{"step": r.name, "seconds": rounded(r.seconds)} for r in miss.reruns],
    }


def cache_misses_dict(misses: CacheMisses) -> dict[str, Any]:
    return {
        "misses": [_miss_json(miss) for miss in misses.misses],
        "total_seconds": rounded(misses.total_seconds),
        "files_from": misses.files_from,
    }


def comparison_dict(
    comparison: Comparison,
    about_a: dict[str, Any],
    about_b: dict[str, Any],
    misses: CacheMisses | None = None,
) -> dict[str, Any]:
    c = comparison
    return {
        "schema": JSON_SCHEMA,
        "a": about_a,
        "b": about_b,
        "wall_seconds": _totals(c.a, c.b, "wall_seconds"),
        "critical_path_seconds": _totals(c.a, c.b, "critical_path_seconds"),
        "sequential_seconds": _totals(c.a, c.b, "sequential_seconds"),
        "lower_bound_seconds": _totals(c.a, c.b, "lower_bound_seconds"),
        "cache_hit_ratio": _totals(c.a, c.b, "cache_hit_ratio", 4),
        "stages": [_stage_json(change) for change in c.stages],
        "steps": [_step_json(change) for change in c.steps],
        "added": [_step_json(change) for change in c.added],
        "removed": [_step_json(change) for change in c.removed],
        "became_uncached": [_step_json(change) for change in c.became_uncached],
        "uncached_cost_seconds": rounded(c.uncached_cost_seconds),
        "became_cached": [_step_json(change) for change in c.became_cached],
        "critical_path": {
            "moved": c.critical_path_moved,
            "a": list(c.critical_path_a),
            "b": list(c.critical_path_b),
            "joined": list(c.critical_path_joined),
            "left": list(c.critical_path_left),
        },
        # Layer sizes (bytes, compressed): null unless both builds are Docker records with sizes.
        "sizes": _sizes_json(c.sizes) if c.sizes is not None else None,
        "cache_misses": cache_misses_dict(misses) if misses is not None else None,
    }


def _size_json(change: SizeChange) -> dict[str, Any]:
    return {"key": change.key, "stage": change.stage, "a": change.a, "b": change.b,
            "delta": change.delta}  # fmt: skip


def _sizes_json(sizes: SizeChanges) -> dict[str, Any]:
    return {
        "image": {"a": sizes.image_a, "b": sizes.image_b, "delta": sizes.image_delta},
        "steps": [_size_json(change) for change in sizes.steps],
        "stages": [_size_json(change) for change in sizes.stages],
    }


def _describe(about: dict[str, Any]) -> str:
    if about["run"] is None:
        return str(about["file"])
    run = about["run"]
    commit = (run["git"]["commit"] or "")[:10]
    return f"run {run['id']}" + (f" ({commit})" if commit else "")


def render_comparison(
    comparison: Comparison,
    about_a: dict[str, Any],
    about_b: dict[str, Any],
    console: Console,
    top: int,
    misses: CacheMisses | None = None,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    c = comparison
    console.print(
        f"A: {escape(_describe(about_a))}   B: {escape(_describe(about_b))}", highlight=False
    )
    totals = Table(box=None, pad_edge=False)
    for header in ("", "A", "B", "change"):
        totals.add_column(header, justify="right" if header else "left")
    for label, name in (
        ("wall", "wall_seconds"),
        ("critical path", "critical_path_seconds"),
        ("sequential", "sequential_seconds"),
        ("lower bound", "lower_bound_seconds"),
    ):
        before, after = getattr(c.a, name), getattr(c.b, name)
        totals.add_row(label, seconds(before), seconds(after), _delta_text(after - before, before))
    totals.add_row(
        "cached",
        percent(c.a.cache_hit_ratio),
        percent(c.b.cache_hit_ratio),
        f"{(c.b.cache_hit_ratio - c.a.cache_hit_ratio) * 100:+.0f} pts",
    )
    console.print(totals)

    console.print("\n[bold]Stages[/] (busy time)")
    stages = Table(box=None, pad_edge=False)
    for header in ("stage", "A", "B", "change"):
        stages.add_column(header, justify="left" if header == "stage" else "right")
    for stage in c.stages:
        before = stage.a.busy if stage.a else None
        after = stage.b.busy if stage.b else None
        stages.add_row(
            escape(clip(stage.stage)),
            seconds(before) if stage.a else "(none)",
            seconds(after) if stage.b else "(none)",
            _delta_text(stage.delta, before),
        )
    console.print(stages)

    changed = [change for change in c.steps if abs(change.delta) >= 0.0005][:top]
    if changed:
        console.print("\n[bold]Steps that changed most[/]")
        table = Table(box=None, pad_edge=False)
        for header in ("step", "A", "B", "change", ""):
            table.add_column(header, justify="left" if header in ("step", "") else "right")
        for change in changed:
            note = (
                "[red]no longer cached[/]"
                if change.became_uncached
                else "[green]now cached[/]"
                if change.became_cached
                else ""
            )
            table.add_row(
                escape(clip(change.key)),
                seconds(change.a.duration if change.a else None),
                seconds(change.b.duration if change.b else None),
                _delta_text(change.delta, change.a.duration if change.a else None),
                note,
            )
        console.print(table)

    if c.became_uncached:
        console.print(
            f"\n[bold red]{len(c.became_uncached)} step(s) no longer cached[/], "
            f"costing {seconds(c.uncached_cost_seconds)}"
        )
    if misses is not None and misses.misses:
        render_cache_misses(misses, console)
    for title, changes in (("Only in B", c.added), ("Only in A", c.removed)):
        if changes:
            console.print(f"\n[bold]{title}[/]")
            for change in changes:
                side = change.b or change.a
                assert side is not None
                console.print(
                    f"  {escape(clip(change.key))}  {seconds(side.duration)}", highlight=False
                )

    if c.critical_path_moved:
        console.print("\n[bold yellow]The critical path moved[/]")
        for key in c.critical_path_left:
            console.print(f"  - {escape(clip(key))}", highlight=False)
        for key in c.critical_path_joined:
            console.print(f"  + {escape(clip(key))}", highlight=False)
    elif c.critical_path_a and c.critical_path_b:
        console.print("\nThe critical path runs through the same steps.")
    else:
        console.print(f"\n{c.critical_path_summary[0].upper()}{c.critical_path_summary[1:]}.")
    if c.sizes is not None:
        _render_sizes(c.sizes, console, top)


def _render_sizes(sizes: SizeChanges, console: Console, top: int) -> None:
    """Image size, then the stages and steps whose layers changed size."""
    from rich.markup import escape
    from rich.table import Table

    delta = sizes.image_delta
    console.print(
        f"\n[bold]Image size[/] (compressed layers): {size(sizes.image_a)} → "
        f"{size(sizes.image_b)}" + (f" ({_size_delta_text(delta)})" if delta is not None else ""),
        highlight=False,
    )
    if not sizes.steps and not sizes.stages:
        console.print("No layer changed size.")
        return
    for title, changes in (("Stages", sizes.stages), ("Steps", sizes.steps[:top])):
        if not changes:
            continue
        table = Table(title=f"{title} whose layers changed size", title_justify="left",
                      box=None, pad_edge=False)  # fmt: skip
        for header in ("stage" if title == "Stages" else "step", "A", "B", "change"):
            table.add_column(header, justify="right" if header in ("A", "B", "change") else "left")
        for change in changes:
            table.add_row(escape(clip(change.key)), size(change.a), size(change.b),
                          _size_delta_text(change.delta))  # fmt: skip
        console.print(table)


def _size_delta_text(delta: int) -> str:
    style = "red" if delta > 0 else "green" if delta < 0 else ""
    text = signed_size(delta)
    return f"[{style}]{text}[/]" if style else text


def _delta_text(delta: float, before: float | None) -> str:
    text = signed_seconds(delta)
    if before and before > 0 and abs(delta) >= 0.0005:
        text += f" ({change_percent(delta / before)})"
    style = "red" if delta > 0.0005 else "green" if delta < -0.0005 else ""
    return f"[{style}]{text}[/]" if style else text


MAX_FILES = 10


def cause_lines(cause: Cause) -> list[str]:
    """A cause as plain lines: what happened, old → new, the changed files."""
    lines = [cause.summary]
    if cause.old is not None or cause.new is not None:
        name = f"{cause.name}: " if cause.name and cause.kind == "build-arg" else ""
        lines.append(
            f"{name}{cause.old if cause.old is not None else '(unset)'} → "
            f"{cause.new if cause.new is not None else '(unset)'}"
        )
    for change in cause.files[:MAX_FILES]:
        lines.append(f"{change.change}: {change.path}")
    if len(cause.files) > MAX_FILES:
        lines.append(f"… and {len(cause.files) - MAX_FILES} more file(s)")
    return lines


def render_cache_misses(misses: CacheMisses, console: Console) -> None:
    from rich.markup import escape

    console.print("\n[bold]Why the cache missed[/]")
    for miss in misses.misses:
        where = f"line {miss.line}: " if miss.line is not None else ""
        console.print(
            f"  {escape(where + clip(miss.name_b))}  [red]cost {seconds(miss.cost_seconds)}[/] "
            f"({len(miss.reruns)} step(s) re-ran)",
            highlight=False,
        )
        for cause in miss.causes:
            first, *rest = cause_lines(cause)
            console.print(f"    [bold]{cause.kind}[/]: {escape(first)}", highlight=False)
            for line in rest:
                console.print(f"      {escape(line)}", highlight=False)
