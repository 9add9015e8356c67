"""The CLI as users run it: the console script in a subprocess, exit codes, stderr."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from profiler.render.console import TOP_ROWS
from tests.render.test_console import STAGES, chain_stream
from tests.streams import Stream, parallel_build

REPORT_KEYS = {
    "wall_seconds", "sequential_seconds", "parallelism", "critical_path",
    "critical_path_seconds", "lower_bound_seconds", "steps", "stages", "cache", "failure",
    "messages", "truncated", "suggestions",
}  # fmt: skip
STEP_KEYS = {
    "name", "names", "digest", "kind", "target", "stage", "start", "end", "duration",
    "cached", "status", "on_critical_path",
}  # fmt: skip


def kitprof(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
        check=False,
    )


@pytest.fixture
def stream_file(tmp_path: Path) -> Path:
    path = tmp_path / "build.rawjson"
    path.write_bytes(parallel_build().text("WARNING: something odd").indented())
    return path


def test_json_report_has_the_documented_keys(stream_file: Path) -> None:
    result = kitprof("analyze", str(stream_file), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report.keys() >= REPORT_KEYS
    assert all(step.keys() >= STEP_KEYS for step in report["steps"])
    assert report["critical_path"][-3:] == [
        "[slow 1/1] RUN make slow",
        "[final 2/2] COPY --from=slow /out /out",
        "exporting to image",
    ]
    assert report["wall_seconds"] == pytest.approx(5.5)
    assert report["messages"] == ["WARNING: something odd"]
    assert report["truncated"] is False
    on_path = {s["name"] for s in report["steps"] if s["on_critical_path"]}
    assert on_path == set(report["critical_path"])


def test_stdin_and_gzip_give_the_same_report(stream_file: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "build.rawjson.gz"
    zipped.write_bytes(gzip.compress(stream_file.read_bytes()))
    from_file = json.loads(kitprof("analyze", str(stream_file), "--json").stdout)
    from_stdin = json.loads(
        kitprof("analyze", "-", "--json", stdin=stream_file.read_bytes()).stdout
    )
    from_gzip = json.loads(kitprof("analyze", str(zipped), "--json").stdout)
    assert from_file == from_stdin == from_gzip


def test_terminal_report_names_the_critical_path(stream_file: Path) -> None:
    result = kitprof("analyze", str(stream_file))
    assert result.returncode == 0
    out = result.stdout.decode()
    assert out.splitlines()[0].startswith("done: 5.50s wall, 6.40s sequential")
    assert "RUN make slow" in out
    assert "Critical path" in out and "Stages" in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"", "empty input"),
        (b"\x00\x01\x02\xff garbage \x00\n\xfe", "not a BuildKit build log"),
        (b'{"hello": "world"}\n', "no BuildKit SolveStatus"),
        (b'{\n  "vertexes": [\n    {\n      "digest": "sha', "ends inside its first event"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(stdin: bytes, message: str) -> None:
    result = kitprof("analyze", "-", stdin=stdin)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.startswith("Error: ") and message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert result.stdout == b""


def test_missing_file_exit_1(tmp_path: Path) -> None:
    result = kitprof("analyze", str(tmp_path / "missing.rawjson"))
    assert result.returncode == 1
    assert b"cannot read" in result.stderr


def test_a_failed_step_whose_log_is_not_base64_still_reports(tmp_path: Path) -> None:
    stream = Stream().step("a", "[s 1/1] RUN make", 0.0, 1.0, error="exit code: 2")
    stream.events.append({"logs": [{"vertex": "a", "stream": 2, "data": "not base64!"}]})
    path = tmp_path / "build.rawjson"
    path.write_bytes(stream.indented())
    result = kitprof("analyze", "--json", str(path))
    assert result.returncode == 0, result.stderr
    assert "not base64!" in json.loads(result.stdout)["failure"]["log_tail"][-1]


def test_analyze_shows_the_best_suggestions_and_lists_them_all_in_json() -> None:
    case = Path(__file__).parent / "integration" / "builds" / "suggest-split"
    stream, dockerfile = str(case / "recorded" / "recorded.rawjson"), str(case / "Dockerfile")
    text = kitprof("analyze", stream, "--dockerfile", dockerfile)
    assert text.returncode == 0, text.stderr
    assert b"[split-stage]" in text.stdout and b"what-if replay" in text.stdout
    report = json.loads(kitprof("analyze", "--json", stream, "-f", dockerfile).stdout)
    split = next(s for s in report["suggestions"] if s["kind"] == "split-stage")
    assert split["dockerfile_lines"] == [7, 9, 11]
    assert 0 < split["estimated_saving_seconds"] < report["wall_seconds"]


def test_a_plain_log_with_its_dockerfile_comes_closer_to_the_rawjson() -> None:
    samples = Path(__file__).parent.parent / "sample_builds"
    plain = str(samples / "plain-logs" / "many-stages.plain")
    dockerfile = str(samples / "many-stages" / "Dockerfile")

    def wall(*args: str) -> float:
        result = kitprof("analyze", "--json", *args)
        assert result.returncode == 0, result.stderr
        return float(json.loads(result.stdout)["wall_seconds"])

    exact = wall(str(samples / "plain-logs" / "many-stages.rawjson"))
    assert abs(wall(plain, "-f", dockerfile) - exact) < abs(wall(plain) - exact)


def test_analyze_shows_the_top_rows_unless_asked_for_all(tmp_path: Path) -> None:
    path = tmp_path / "chain.rawjson"
    path.write_bytes(chain_stream().one_line())
    default, top3, every = (
        kitprof("analyze", str(path), *extra).stdout.decode()
        for extra in ((), ("--top", "3"), ("--all",))
    )
    assert f"{STAGES - TOP_ROWS} more stages not shown (--all shows every one)" in default
    assert f"{STAGES - 3} more stages not shown" in top3
    assert "not shown" not in every
    assert len(top3.splitlines()) < len(default.splitlines()) < len(every.splitlines())
    # --json is not cut: every stage and every step of the critical path.
    report = json.loads(kitprof("analyze", str(path), "--json").stdout)
    assert len(report["stages"]) == STAGES
    assert len(report["critical_path"]) == 2 * STAGES


def test_usage_error_exit_2() -> None:
    assert kitprof("analyze").returncode == 2
    assert kitprof("analyze", "--bogus", "x").returncode == 2


def test_help_for_every_command() -> None:
    result = kitprof("--help")
    assert result.returncode == 0
    assert b"analyze" in result.stdout
    analyze_help = kitprof("analyze", "--help")
    assert b"--json" in analyze_help.stdout and b"rawjson" in analyze_help.stdout


def test_version() -> None:
    result = kitprof("--version")
    assert result.returncode == 0 and result.stdout.startswith(b"kitprof ")


def test_analyze_ends_without_freeing_and_prints_what_it_prints_in_process() -> None:
    # The process ends with os._exit once the reports are flushed (profiler.cli.app.
    # exit_without_freeing): every build's line is out, and the exit status is 0.
    from typer.testing import CliRunner

    from profiler.cli import app

    bake = str(Path(__file__).parent.parent / "sample_builds" / "plain-logs" / "bake.plain")
    result = kitprof("analyze", "--json", bake)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    in_process = CliRunner().invoke(app, ["analyze", "--json", bake])
    assert in_process.exit_code == 0
    assert result.stdout == in_process.stdout_bytes
    assert [json.loads(line)["build_index"] for line in result.stdout.splitlines()] == [1, 2]


def test_analyze_under_a_profiler_exits_as_usual_so_the_profile_is_written(
    stream_file: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "analyze.prof"
    command = ["-m", "profiler", "analyze", "--json", str(stream_file)]
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), *command],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["wall_seconds"] == pytest.approx(5.5)
    assert profile.stat().st_size > 0
