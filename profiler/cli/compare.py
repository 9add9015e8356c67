"""``kitprof compare``: what changed between two builds, stage by stage and step by step."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from profiler.analysis import analyze
from profiler.analysis.cachemiss import CacheMisses, RunSide, explain_cache_misses
from profiler.analysis.compare import compare_builds
from profiler.cli.app import BuildOption, app, load_builds, stdout_console
from profiler.cli.history import BranchOption, DbOption, JsonOption, open_store, print_json
from profiler.model import Build
from profiler.render.compare import comparison_dict, render_comparison
from profiler.render.runs import run_dict
from profiler.runside import git_changes, run_side
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

    For the first step of each chain that lost its cache hit, why: a changed
    command, build argument or setting (old → new), base image digest, or the files
    it copies (from the context manifests kitprof run keeps, else git between the
    runs' commits), and the time of the steps it re-ran.

    Steps are matched by bake target, stage and instruction text, not by digest.
    `latest` and `latest~N` count among runs of --branch when given.
    """
    with ExitStack() as stack:
        stores: list[Store] = []

        def store() -> Store:
            if not stores:
                stores.append(stack.enter_context(open_store(db)))
            return stores[0]

        build_a, about_a, side_a = _load(a, store, branch, build)
        build_b, about_b, side_b = _load(b, store, branch, build)
    comparison = compare_builds(build_a, build_b, analyze(build_a), analyze(build_b))
    misses = _cache_misses(side_a, side_b)
    if json:
        print_json(comparison_dict(comparison, about_a, about_b, misses))
        return
    render_comparison(comparison, about_a, about_b, stdout_console(), top, misses)


@dataclass(frozen=True)
class _Side:
    run: RunSide
    context: str | None = None
    commit: str | None = None


def _load(
    reference: str, store: Callable[[], Store], branch: str | None, build: str | None
) -> tuple[Build, dict[str, Any], _Side]:
    path = Path(reference)
    if path.is_file() or reference == "-":
        # --build picks the build of each FILE that holds several.
        builds = load_builds(reference)
        label = "standard input" if reference == "-" else reference
        chosen = builds[0] if len(builds) == 1 else select_build(builds, build, label)
        return chosen, {"file": reference, "run": None}, _Side(run_side(chosen))
    from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE

    record = store().resolve(reference, branch=branch)
    found = store().build(record.id)
    side = run_side(
        found,
        dockerfile=store().file(record.id, DOCKERFILE),
        manifest=store().file(record.id, CONTEXT_MANIFEST),
        command=record.command,
    )
    return (
        found,
        {"file": None, "run": run_dict(record)},
        _Side(side, record.context, record.git_commit),
    )


def _cache_misses(a: _Side, b: _Side) -> CacheMisses:
    changed = None
    if (a.run.manifest is None or b.run.manifest is None) and a.commit != b.commit:
        # Without manifests, git between the two commits says which files changed,
        # when the checkout is on this machine.
        changed = git_changes(b.context, a.commit, b.commit)
    return explain_cache_misses(a.run, b.run, changed)
