"""Which runs a history query looks at: one build, branch, status, labels."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, exists

from profiler.store.schema import run_labels, runs


def run_filters(
    branch: str | None,
    labels: Mapping[str, str] | None,
    status: str | None,
    build: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions that pick the runs of one build, branch, status and labels."""
    conditions: list[ColumnElement[bool]] = []
    if build is not None:
        conditions.append(runs.c.build_name == build)
    if branch is not None:
        conditions.append(runs.c.git_branch == branch)
    if status is not None:
        conditions.append(runs.c.status == status)
    for key, value in (labels or {}).items():
        conditions.append(
            exists().where(
                run_labels.c.run_id == runs.c.id,
                run_labels.c.key == key,
                run_labels.c.value == value,
            )
        )
    return conditions
