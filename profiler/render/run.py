"""``kitprof run``: the analyze report of the profiled build, where its stream and run
file were saved and which history runs hold it, as JSON and as terminal text.

A build command that builds several targets in one session (``docker compose build``
of several services, a bake) is reported as the session, followed by one line per
target: the history keeps a run per target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from profiler.analysis import analyze
from profiler.render.analyze import full_report, print_report
from profiler.render.format import rounded, seconds

if TYPE_CHECKING:
    from profiler.capture import Profile
    from profiler.model import Build
    from profiler.suggest import SuggestionReport


def target_dicts(profile: Profile) -> list[dict[str, Any]]:
    """One entry per target of a session of several (compose services); empty for one."""
    if len(profile.builds) < 2:
        return []
    return [_target(build) for build in profile.builds]


def _target(build: Build) -> dict[str, Any]:
    analysis = analyze(build)
    steps = [s for s in build.steps if s.parsed.instruction not in (None, "FROM")]
    failure = analysis.failure
    return {
        "name": build.name,
        "wall_seconds": rounded(analysis.wall_seconds),
        "critical_path_seconds": rounded(analysis.critical_path_seconds),
        "steps": len(steps),
        "cached_steps": sum(1 for step in steps if step.cached),
        "failed_step": failure.step.name if failure and failure.step else None,
    }


def run_report_dict(
    profile: Profile, suggestions: SuggestionReport | None, stored: Sequence[int]
) -> dict[str, Any]:
    """The analyze JSON report plus ``stream``, ``record``, ``run``, ``targets``,
    ``stored_runs`` (a run per target) and ``stored_run`` (the first); ``error``
    instead of the report when nothing could be analysed."""
    if profile.build is not None and profile.analysis is not None and suggestions is not None:
        report = full_report(profile.build, profile.analysis, suggestions)
    else:
        report = {"error": f"nothing to analyse: {profile.problem}"}
    report["stream"] = str(profile.stream_path)
    report["record"] = str(profile.record_path) if profile.record_path else None
    report["run"] = profile.run.to_dict()
    report["targets"] = target_dicts(profile)
    report["stored_run"] = stored[0] if stored else None
    report["stored_runs"] = list(stored)
    return report


def render_run(
    profile: Profile,
    suggestions: SuggestionReport | None,
    stored: Sequence[int],
    console: Console,
    errors: Console,
) -> None:
    """The report on ``console``; that there is nothing to analyse on ``errors``."""
    if profile.build is not None and profile.analysis is not None and suggestions is not None:
        print_report(profile.build, profile.analysis, suggestions, console)
    else:
        errors.print(
            Text.assemble(("kitprof: ", "bold yellow"), f"nothing to analyse: {profile.problem}"),
            soft_wrap=True,
            highlight=False,
        )
    targets = target_dicts(profile)
    if targets:
        table = Table(title="Targets (a run each in the history)", title_justify="left")
        for column in ("target", "wall", "critical path", "steps", "cached", "failed step"):
            table.add_column(
                column, justify="left" if column in ("target", "failed step") else "right"
            )
        for target in targets:
            table.add_row(
                target["name"] or "?",
                seconds(target["wall_seconds"]),
                seconds(target["critical_path_seconds"]),
                str(target["steps"]),
                str(target["cached_steps"]),
                target["failed_step"] or "",
            )
        console.print(table)
    where = f"stream: {profile.stream_path}  run info: {profile.run_info_path}"
    if profile.record_path is not None:
        where += f"  record: {profile.record_path}"
    console.print(Text(where, style="dim"), soft_wrap=True)
    if len(stored) == 1:
        console.print(Text(f"stored as run {stored[0]} (kitprof runs)", style="dim"))
    elif stored:
        ids = ", ".join(str(run_id) for run_id in stored)
        console.print(Text(f"stored as runs {ids}, one per target (kitprof runs)", style="dim"))
