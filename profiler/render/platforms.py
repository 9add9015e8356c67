"""A multi-platform build's per-platform rollup: the ``analyze`` table and its JSON.

Shown from two platforms on (a build of one platform has nothing to compare); the
JSON key ``platforms`` is there for every build, empty when no step names a platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.analysis import BuildAnalysis
from profiler.analysis.platforms import PlatformSummary
from profiler.model import Build
from profiler.render.format import clip, rounded, seconds

if TYPE_CHECKING:  # rich is imported to print, so that the JSON path does without it
    from rich.table import Table

SHARED = "(shared)"
"""How the steps of no platform (context and definition loads, the export) are shown."""


def platform_name(summary: PlatformSummary) -> str:
    return summary.platform or SHARED


def shown(analysis: BuildAnalysis) -> bool:
    """Whether a report shows the rollup: two platforms or more."""
    return sum(1 for summary in analysis.platforms if not summary.shared) >= 2


def platforms_table(build: Build, analysis: BuildAnalysis) -> Table | None:
    if not shown(analysis):
        return None
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Platforms", title_justify="left")
    columns = ("platform", "vertices", "steps", "cached", "ready", "busy", "sequential",
               "critical path", "lower bound", "via")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("platform", "via") else "right")
    for summary in analysis.platforms:
        own = not summary.shared
        borrowed = summary.borrowed(build)
        table.add_row(
            escape(clip(platform_name(summary))),
            str(summary.vertices),
            str(summary.steps),
            str(summary.cached),
            seconds(summary.end),
            seconds(summary.busy_seconds),
            seconds(summary.sequential_seconds),
            seconds(summary.critical_path_seconds) if own else "",
            seconds(summary.lower_bound_seconds) if own else "",
            escape(clip(_via(build, borrowed))) if own else "",
        )
    return table


def _via(build: Build, borrowed: tuple[str, ...]) -> str:
    """What of its critical path was not its own: ``3 shared, 1 linux/amd64``."""
    counts: dict[str, int] = {}
    for digest in borrowed:
        name = build.step(digest).parsed.platform or "shared"
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def platform_dict(build: Build, summary: PlatformSummary) -> dict[str, Any]:
    return {
        "platform": summary.platform,
        "shared": summary.shared,
        "vertices": summary.vertices,
        "steps": summary.steps,
        "cached": summary.cached,
        "start": rounded(summary.start),
        "end": rounded(summary.end),
        "span": rounded(summary.span_seconds),
        "busy": rounded(summary.busy_seconds),
        "sequential": rounded(summary.sequential_seconds),
        "critical_path": [build.step(d).name for d in summary.critical_path],
        "critical_path_digests": list(summary.critical_path),
        "critical_path_seconds": None if summary.shared else rounded(summary.critical_path_seconds),
        "lower_bound_seconds": None if summary.shared else rounded(summary.lower_bound_seconds),
        "borrowed_digests": list(summary.borrowed(build)),
    }


def platforms_json(build: Build, analysis: BuildAnalysis) -> list[dict[str, Any]]:
    return [platform_dict(build, summary) for summary in analysis.platforms]
