"""``kitprof check``: the CI gate. Exit 3 when a build is slower than its history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from profiler.analysis import analyze
from profiler.analysis.trends import (
    DEFAULT_BASELINE_RUNS,
    DEFAULT_NOISE_SIGMAS,
    RunMetrics,
    check_regression,
    run_metrics,
)
from profiler.ci import detect_ci
from profiler.cli.app import BuildOption, app, stdout_console
from profiler.cli.history import (
    BranchOption,
    DbOption,
    JsonOption,
    LabelOption,
    open_store,
    parse_fraction,
    parse_labels,
    print_json,
)
from profiler.render.check import check_dict, render_check
from profiler.render.runs import run_dict

if TYPE_CHECKING:
    from profiler.store import Store

REGRESSION_EXIT_CODE = 3


@app.command(name="check")
def check_command(
    run: Annotated[
        str,
        typer.Argument(
            metavar="RUN|FILE",
            help="A stored run (id, latest, latest~N), a rawjson stream or a plain log.",
        ),
    ],
    max_regression: Annotated[
        str,
        typer.Option(
            "--max-regression",
            metavar="PERCENT",
            help="Allowed slowdown over the baseline median: 20%, 0.2 or 20.",
        ),
    ] = "20%",
    baseline: Annotated[
        int,
        typer.Option("--baseline", metavar="N", min=1, help="Comparable runs in the baseline."),
    ] = DEFAULT_BASELINE_RUNS,
    noise_sigmas: Annotated[
        float,
        typer.Option(
            "--noise",
            metavar="SIGMAS",
            min=0.0,
            help="Also require the slowdown to exceed this many robust deviations (MAD).",
        ),
    ] = DEFAULT_NOISE_SIGMAS,
    branch: BranchOption = None,
    label: LabelOption = None,
    build: BuildOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Fail (exit 3) when RUN's wall time exceeds the median of the last N comparable
    runs by more than the allowed slowdown, and name the stages responsible.

    Comparable runs: successful, older than RUN, of the same build as RUN (--build
    picks a build of a FILE that holds several, or makes `latest` the newest run of
    the build of that name), on the same git branch (RUN's
    own, or --branch) and carrying every --label given. The limit is the median plus the
    larger of the allowed slowdown and --noise robust standard deviations
    (1.4826 × MAD), so noisy histories do not raise false alarms. With fewer than 3
    comparable runs nothing is judged (exit 0).

    Exit codes: 0 within the limit (or not enough history), 3 regression,
    1 bad input, 2 usage.
    """
    labels = parse_labels(label)
    threshold = parse_fraction(max_regression, "'--max-regression'")
    with open_store(db) as store:
        metrics, about, compare_branch, compare_build = _subject(store, run, branch, build)
        history = store.history(
            build=compare_build,
            branch=compare_branch,
            labels=labels,
            before=store.run(metrics.run_id) if metrics.run_id is not None else None,
            limit=baseline,
        )
        url = store.url
    result = check_regression(
        metrics,
        history,
        max_regression=threshold,
        baseline_runs=baseline,
        noise_sigmas=noise_sigmas,
    )
    exit_code = REGRESSION_EXIT_CODE if result.regression else 0
    if json:
        print_json(check_dict(result, about, url, compare_branch, labels, exit_code, compare_build))
    else:
        render_check(result, compare_branch, stdout_console(), build=compare_build)
    if exit_code:
        raise typer.Exit(exit_code)


def _subject(
    store: Store, reference: str, branch: str | None, choice: str | None = None
) -> tuple[RunMetrics, dict[str, Any], str | None, str | None]:
    """The run to judge, how to describe it, and the branch and build of its
    comparable runs (always the run's own build: a median never mixes builds).
    ``choice`` (--build) picks one build of a FILE that holds several, or makes
    ``latest`` the newest run of the build of that name."""
    from profiler.identity import build_identity
    from profiler.sources import build_position, read_builds, read_input, select_build
    from profiler.store import run_status
    from profiler.store.derive import run_key

    path = Path(reference)
    if path.is_file():
        raw = read_input(path)
        builds = read_builds(raw)
        parsed = select_build(builds, choice, reference)
        # Stored as its own run when the log holds several: found by its number.
        index = None
        if len(builds) > 1 and choice is not None:
            index = build_position(builds, choice, reference) + 1
        stored = store.find(run_key(raw, index))
        if stored is None:
            analysis = analyze(parsed)
            ci = detect_ci()
            own_branch = branch or (ci.branch if ci else None)
            metrics = run_metrics(
                parsed,
                analysis,
                status=run_status(parsed, analysis),
                git_branch=own_branch,
                git_commit=ci.commit if ci else None,
            )
            own_build = build_identity(parsed, ci_job=ci.job if ci else None, source=reference)
            return metrics, {"file": reference, "run": None}, own_branch, own_build
        record = stored
    else:
        record = store.resolve(reference, build=choice, branch=branch)
    return (
        store.metrics(record.id),
        {"file": reference if path.is_file() else None, "run": run_dict(record)},
        branch or record.git_branch,
        record.build_name,
    )
