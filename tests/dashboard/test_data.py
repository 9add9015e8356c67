"""What each page shows, computed as plain data (no Dash, no browser)."""

from __future__ import annotations

import io

import pytest

from dashboard import data
from dashboard.files import load_files
from dashboard.sources import Catalog, RunFilters, UnknownRun
from profiler.analysis import analyze
from profiler.sources import read_build
from tests.dashboard.conftest import HISTORY_RUNS, SAMPLE_FILES, SAMPLES
from tests.streams import Stream

EVERY_BUILD = RunFilters(build="*")


def test_runs_view_pages_and_sparklines(catalog: Catalog) -> None:
    total = HISTORY_RUNS + len(SAMPLE_FILES)
    view = data.runs_view(catalog, EVERY_BUILD, page=1, page_size=10)
    assert (view.total, view.pages, len(view.rows)) == (total, -(-total // 10), 10)
    # A row's sparkline ends with its own wall time and goes back through older runs.
    everything = catalog.runs(RunFilters(), limit=total)
    row = view.rows[3]
    build = row.run.record.build_name
    same = [run for run in everything[3:] if run.record.build_name == build]
    expected = [run.record.wall_seconds for run in same[: data.SPARK_RUNS]]
    assert list(row.spark) == list(reversed(expected))  # its own build's runs only
    last = data.runs_view(catalog, EVERY_BUILD, page=view.pages, page_size=10)
    assert len(last.rows) == total - 10 * (view.pages - 1)
    assert len(last.rows[-1].spark) == 1
    assert [run.ref for run in last.trend] == [run.ref for run in reversed(everything)]
    # Out-of-range pages land on the nearest page.
    assert data.runs_view(catalog, EVERY_BUILD, page=999, page_size=10).page == view.pages


def test_runs_view_shows_one_build_unless_asked_for_all(catalog: Catalog) -> None:
    newest = catalog.newest_build()
    view = data.runs_view(catalog, RunFilters())
    assert view.filters.build == newest and not view.all_builds
    assert {row.run.record.build_name for row in view.rows} == {newest}
    app = data.runs_view(catalog, RunFilters(build="app"))
    assert app.total == HISTORY_RUNS
    names = [summary.name for summary in view.builds]
    assert "app" in names and "parallel-stages:final" in names and len(names) == len(set(names))
    assert next(s for s in view.builds if s.name == "app").runs == HISTORY_RUNS


def test_runs_view_with_filters(catalog: Catalog) -> None:
    view = data.runs_view(catalog, RunFilters(build="*", branch="develop"))
    assert view.total == 2
    assert view.branches == ("develop", "main")
    empty = data.runs_view(catalog, RunFilters(branch="nope"))
    assert (empty.total, empty.rows, empty.pages) == (0, (), 1)


def test_record_metrics_and_picks(catalog: Catalog) -> None:
    run = catalog.run("3")
    metrics = data.record_metrics(run)
    assert metrics.wall_seconds == run.record.wall_seconds
    assert metrics.status == "success"
    assert data.picked_compare(["5", "2"]) == ("2", "5")  # the older one (lower) is A
    assert data.picked_compare(["5"]) is None
    assert data.picked_compare(["5", "2", "1"]) is None


def _step_build() -> Stream:
    return (
        Stream()
        .step("sha256:a", "[base 1/2] FROM docker.io/library/alpine:3", 0.0, 0.5)
        .step("sha256:b", "[base 2/2] RUN make", 0.5, 3.0, inputs=["sha256:a"])
        .log("sha256:b", "".join(f"line {n}\n" for n in range(1000)), 1.0)
        .log("sha256:b", "\x1b[31mred\x1b[0m done\n", 2.0)
    )


def test_step_view_tail_of_logs_without_colour_codes() -> None:
    build = read_build(io.BytesIO(_step_build().one_line()))
    analysis = analyze(build)
    view = data.step_view(build, analysis, "sha256:b")
    assert view is not None
    assert view.log_lines == 1001
    assert view.log_shown == data.LOG_TAIL_LINES
    assert view.log.endswith("red done")
    assert "\x1b" not in view.log
    assert view.inputs == ("[base 1/2] FROM docker.io/library/alpine:3",)
    assert view.on_critical_path
    assert (view.start, view.duration, view.status) == (0.5, 2.5, "done")
    assert data.step_view(build, analysis, "sha256:nope") is None


def test_clicked_digest_reads_plotly_click_data() -> None:
    click = {"points": [{"customdata": "sha256:b", "x": 1}]}
    assert data.clicked_digest(click) == "sha256:b"
    assert data.clicked_ref({"points": [{"customdata": "f3"}]}) == "f3"
    for nothing in (None, {}, {"points": []}, {"points": [{}]}, {"points": "x"}, "x"):
        assert data.clicked_digest(nothing) is None
    assert data.clicked_digest({"points": [{"customdata": ["a", "sha256:b"]}]}) is None


def test_build_view(files_catalog: Catalog) -> None:
    index = SAMPLE_FILES.index(SAMPLES / "failing-test" / "failed.rawjson") + 1
    view = data.build_view(files_catalog, f"f{index}")
    assert view.run.record.status == "failed"
    assert view.analysis.failure is not None
    assert view.has_dockerfile
    assert not view.approximate
    plain = Catalog([load_files([SAMPLES / "plain-logs" / "many-stages.plain"])])
    assert data.build_view(plain, "f1").approximate  # read from --progress=plain output


def test_default_pair_prefers_the_same_build(catalog: Catalog, files_catalog: Catalog) -> None:
    newest = catalog.runs(RunFilters(), limit=2)
    a, b = data.default_pair(catalog, None, None)
    assert b == newest[0].ref
    build = newest[0].record.build_name
    if catalog.count(RunFilters(build=build)) == 1:
        assert a is None  # the first run of its build: nothing of its own to compare with
    else:
        assert a is not None and a != b and catalog.run(a).record.build_name == build
    # A history run: A is the previous run of its branch and labels.
    assert data.default_pair(catalog, None, "13") == ("12", "13")  # develop, arm64
    assert data.default_pair(catalog, None, "12")[0] == "11"  # 11 is main: no earlier develop
    # A file: A is the newest older file of the same folder.
    cold = f"f{SAMPLE_FILES.index(SAMPLES / 'parallel-stages' / 'cold.rawjson') + 1}"
    cached = f"f{SAMPLE_FILES.index(SAMPLES / 'parallel-stages' / 'cached.rawjson') + 1}"
    assert data.default_pair(files_catalog, None, cached) == (cold, cached)
    assert data.default_pair(catalog, "2", "3") == ("2", "3")


def test_compare_view(catalog: Catalog) -> None:
    view = data.compare_view(catalog, "1", "11")
    assert view.comparison.b.wall_seconds > view.comparison.a.wall_seconds
    slow = view.comparison.steps[0]
    assert "make slow" in slow.key and slow.delta == pytest.approx(6.0, abs=0.2)
    options = data.run_options(catalog, include=("1", "f1", "nope"))
    refs = [option.ref for option in options]
    assert "1" in refs and "f1" in refs and "nope" not in refs
    assert "success" in data.option_label(catalog.run("1"))


def test_trends_view_maps_regressions_back_to_runs(catalog: Catalog) -> None:
    view = data.trends_view(catalog, RunFilters(build="app", branch="main"))
    assert view.refs == tuple(str(n) for n in range(1, 12))
    assert [view.ref_of(result.run) for result in view.trend.regressions] == ["11"]
    assert view.stages[0] == "slow"  # longest median busy time first
    one = data.trends_view(catalog, RunFilters(build="app", branch="main"), stage="slow")
    assert one.stage == "slow" and list(one.trend.stages) == ["slow"]
    assert [one.ref_of(result.run) for result in one.trend.regressions] == ["11"]
    unknown = data.trends_view(catalog, RunFilters(build="app", branch="main"), stage="nope")
    assert unknown.stage is None
    assert len(data.trends_view(catalog, RunFilters(build="app"), last=3).refs) == 3


def test_trends_never_mix_builds(catalog: Catalog) -> None:
    view = data.trends_view(catalog, RunFilters())
    assert view.filters.build == catalog.newest_build()
    every = data.trends_view(catalog, RunFilters(build="*"))
    assert every.filters.build == catalog.newest_build()  # "*" is for the Runs list only
    app = data.trends_view(catalog, RunFilters(build="app"))
    assert {catalog.run(ref).record.build_name for ref in app.refs} == {"app"}


def test_compare_defaults_to_the_previous_run_of_the_same_build(catalog: Catalog) -> None:
    cold = f"f{SAMPLE_FILES.index(SAMPLES / 'parallel-stages' / 'cold.rawjson') + 1}"
    cached = f"f{SAMPLE_FILES.index(SAMPLES / 'parallel-stages' / 'cached.rawjson') + 1}"
    newer, older = sorted((cold, cached), key=lambda ref: catalog.run(ref).record.started_at)[::-1]
    assert data.default_pair(catalog, None, newer) == (older, newer)
    # The newest history run's predecessor is a run of "app" too, on the same branch.
    a, _ = data.default_pair(catalog, None, "14")
    assert a is not None and catalog.run(a).record.build_name == "app"
    # The first run of a build has nothing earlier of its build: A stays empty.
    bake = f"f{SAMPLE_FILES.index(SAMPLES / 'bake-two-targets' / 'bake.rawjson') + 1}"
    assert data.default_pair(catalog, None, bake) == (None, bake)


def test_build_home_view_of_the_history_build(catalog: Catalog) -> None:
    # GIVEN the history: build "app", 14 runs, the newest of them failed
    view = data.build_home_view(catalog, "app")
    # THEN its runs, oldest first, all of build app; the failure is the failed run
    assert view.total == HISTORY_RUNS and len(view.runs) == HISTORY_RUNS
    assert {run.record.build_name for run in view.runs} == {"app"}
    starts = [run.record.started_at for run in view.runs]
    assert starts == sorted(starts)
    assert view.failures == 1
    assert view.last_failure is not None and view.last_failure.record.status == "failed"
    assert view.trends.filters.build == "app"
    assert len(view.trends.trend.runs) == HISTORY_RUNS - 1  # the successful ones
    with pytest.raises(UnknownRun):
        data.build_home_view(catalog, "no-such-build")


def test_quick_build_reads_a_history_run_from_its_rows(catalog: Catalog) -> None:
    # GIVEN a history run not read yet (any size: the threshold set to 0)
    quick = data.quick_build(catalog, "3", above=0)
    assert quick is not None
    run, stages, on_path = quick
    # THEN its stored stages are the build's stages, with the analysis' critical path
    build, analysis = catalog.build("3")
    assert [(s.target, s.name, s.start, s.end, s.steps) for s in stages] == [
        (s.target, s.name, s.start, s.end, s.steps) for s in build.stages
    ]
    shares = {label: seconds for label, seconds in on_path.items() if seconds > 0}
    assert shares == pytest.approx(dict(analysis.critical_path_by_stage))
    assert run.ref == "3"
    # Once read, the page comes from the build itself; small runs and files never quick.
    assert data.quick_build(catalog, "3", above=0) is None
    assert data.quick_build(catalog, "4") is None
    assert data.quick_build(catalog, "f1", above=0) is None
