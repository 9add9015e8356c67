"""``kitprof compare``: what changed between two builds, stage by stage and step by step."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from profiler.analysis import analyze
from profiler.analysis.compare import compare_builds
from profiler.cli.app import BuildOption, app, load_builds, stdout_console
from profiler.cli.history import BranchOption, DbOption, JsonOption, open_store, print_json
from profiler.model import Build
from profiler.render.compare import comparison_dict, render_comparison
from profiler.render.runs import run_dict
from profiler.sources import select_build

if TYPE_CHECKING:
    from profiler.store import Store

RunArgument = Annotated[
    str,
    typer.Argument(
        metavar="RUN|FILE",
        help="A stored run (id, latest, latest~N), a rawjson stream or a plain log.",
    ),
]


@app.command(name="compare")
def compare_command(
    a: RunArgument,
    b: RunArgument,
    branch: BranchOption = None,
    top: Annotated[
        int, typer.Option("--top", min=1, help="Steps to show in the terminal report.")
    ] = 15,
    build: BuildOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Compare build A (before) with build B (after): time per stage and per step,
    steps no longer cached and what that cost, steps only in A or only in B, and
    whether the critical path moved.

    Steps are matched by bake target, stage and instruction text, not by digest.
    `latest` and `latest~N` count among runs of --branch when given.
    """
    with ExitStack() as stack:
        stores: list[Store] = []

        def store() -> Store:
            if not stores:
                stores.append(stack.enter_context(open_store(db)))
            return stores[0]

        build_a, about_a = _load(a, store, branch, build)
        build_b, about_b = _load(b, store, branch, build)
    comparison = compare_builds(build_a, build_b, analyze(build_a), analyze(build_b))
    if json:
        print_json(comparison_dict(comparison, about_a, about_b))
        return
    render_comparison(comparison, about_a, about_b, stdout_console(), top)


def _load(
    reference: str, store: Callable[[], Store], branch: str | None, build: str | None
) -> tuple[Build, dict[str, Any]]:
    path = Path(reference)
    if path.is_file() or reference == "-":
        # --build picks the build of each FILE that holds several.
        builds = load_builds(reference)
        label = "standard input" if reference == "-" else reference
        chosen = builds[0] if len(builds) == 1 else select_build(builds, build, label)
        return chosen, {"file": reference, "run": None}
    record = store().resolve(reference, branch=branch)
    return store().build(record.id), {"file": None, "run": run_dict(record)}
