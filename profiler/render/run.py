"""``kitprof run``: the analyze report of the profiled build, where its stream and run
file were saved and which history run holds it, as JSON and as terminal text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from profiler.render.analyze import full_report, print_report

if TYPE_CHECKING:
    from profiler.capture import Profile
    from profiler.suggest import SuggestionReport


def run_report_dict(
    profile: Profile, suggestions: SuggestionReport | None, stored: int | None
) -> dict[str, Any]:
    """The analyze JSON report plus ``stream``, ``run`` and ``stored_run``; ``error``
    instead of the report when nothing could be analysed."""
    if profile.build is not None and profile.analysis is not None and suggestions is not None:
        report = full_report(profile.build, profile.analysis, suggestions)
    else:
        report = {"error": f"nothing to analyse: {profile.problem}"}
    report["stream"] = str(profile.stream_path)
    report["run"] = profile.run.to_dict()
    report["stored_run"] = stored
    return report


def render_run(
    profile: Profile,
    suggestions: SuggestionReport | None,
    stored: int | None,
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
    console.print(
        Text(f"stream: {profile.stream_path}  run info: {profile.run_info_path}", style="dim"),
        soft_wrap=True,
    )
    if stored is not None:
        console.print(Text(f"stored as run {stored} (kitprof runs)", style="dim"))
