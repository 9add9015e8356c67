"""``kitprof run``'s report of a session of several targets (the recorded ``docker
compose build`` of three services), as JSON and as text."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from profiler.analysis import analyze
from profiler.capture import Profile
from profiler.environment import HostInfo, RunInfo
from profiler.names import StepKind
from profiler.render.run import render_run, run_report_dict, target_dicts
from profiler.sources import read_build
from profiler.sources.targets import split_by_target
from profiler.suggest import suggest

STREAM = (
    Path(__file__).resolve().parents[2]
    / "sample_builds"
    / "compose-services"
    / "modern"
    / "compose.rawjson"
)


def profile(record: Path | None = None) -> Profile:
    build = read_build(STREAM)
    info = RunInfo(
        id="r1",
        command=["docker", "compose", "build"],
        tool="docker compose build",
        cwd="/src/shop",
        context="/src/shop",
        stream=str(STREAM),
        started_at="2026-12-02T13:12:43+00:00",
        host=HostInfo("h", "Linux", "6.1", "x86_64", 2, 2, None),
        exit_code=0,
    )
    return Profile(
        run=info,
        stream_path=STREAM,
        run_info_path=STREAM.with_suffix(".run.json"),
        build=build,
        analysis=analyze(build),
        builds=tuple(split_by_target(build)),
        record_path=record,
    )


def test_each_service_is_a_target_with_its_own_figures() -> None:
    targets = target_dicts(profile())
    assert [t["name"] for t in targets] == ["api", "web", "worker"]
    for target, build in zip(targets, profile().builds, strict=True):
        steps = [s for s in build if s.kind is StepKind.STEP and s.parsed.instruction != "FROM"]
        assert target["steps"] == len(steps)
        assert target["cached_steps"] == sum(s.cached for s in steps)
        assert target["wall_seconds"] == analyze(build).wall_seconds
        assert target["failed_step"] is None
    # api: base's WORKDIR, COPY and RUN, its own COPY and RUN (api.txt's Dockerfile)
    assert targets[0]["steps"] == 5


def test_the_json_report_lists_targets_runs_and_the_record() -> None:
    run = profile(record=STREAM.with_suffix(".dockerbuild"))
    assert run.build is not None
    report = run_report_dict(run, suggest(run.build), [7, 8, 9])
    assert report["stored_run"] == 7 and report["stored_runs"] == [7, 8, 9]
    assert report["record"] == str(STREAM.with_suffix(".dockerbuild"))
    assert [t["name"] for t in report["targets"]] == ["api", "web", "worker"]
    single = run_report_dict(profile(), None, [])
    assert single["stored_run"] is None and single["stored_runs"] == []
    assert single["record"] is None


def test_the_text_report_has_a_targets_table_and_says_where_the_runs_are() -> None:
    run = profile(record=STREAM.with_suffix(".dockerbuild"))
    assert run.build is not None
    console = Console(record=True, width=200, color_system=None)
    errors = Console(record=True, width=200, color_system=None)
    render_run(run, suggest(run.build), [7, 8, 9], console, errors)
    text = console.export_text()
    assert "Targets (a run each in the history)" in text
    rows = [line.split() for line in text.splitlines() if line.startswith("│ ")]
    assert [row[1] for row in rows if row[1] in ("api", "web", "worker")][-3:] == [
        "api",
        "web",
        "worker",
    ]
    assert "record: " + str(STREAM.with_suffix(".dockerbuild")) in text
    assert text.rstrip().endswith("stored as runs 7, 8, 9, one per target (kitprof runs)")
    assert errors.export_text() == ""
