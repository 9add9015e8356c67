"""Which runs the Store's listing queries look at: one build, branch, status, labels.

The condition is :func:`profiler.store.queries.run_conditions`'s SQL text, the one the
history queries use, bound to its values: one definition of which runs a filter picks.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import TextClause, text

from profiler.store.queries import run_conditions


def run_filters(
    branch: str | None,
    labels: Mapping[str, str] | None,
    status: str | None,
    build: str | None = None,
) -> list[TextClause]:
    """The WHERE conditions that pick the runs of one build, branch, status and labels
    (none: every run)."""
    condition, parameters = run_conditions(
        build=build,
        branch=branch,
        labels=labels,
        statuses=None if status is None else (status,),
    )
    return [text(condition).bindparams(**parameters)] if condition else []
