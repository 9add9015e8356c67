"""``kitprof run`` and ``run_build`` with a fake build command (no Docker needed).

The fake build is a small Python program that writes a prepared rawjson stream to
its stderr, in chunks, the way ``docker buildx build --progress=rawjson`` does, and
can wait for an interrupt. Real builds are in tests/integration/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from profiler.capture import (
    CommandNotFoundError,
    OutputExistsError,
    ProgressModeError,
    read_run_info,
    run_build,
)
from profiler.capture import runner as runner_module
from profiler.capture.display import PlainDisplay, QuietDisplay
from profiler.environment import CaptureStats, GitInfo, HostInfo, RunInfo, collect_git
from profiler.model import StepStatus
from profiler.runfile import run_info_path
from tests.streams import Stream, parallel_build

FAKE_BUILD = textwrap.dedent(
    """
    import os, signal, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a and a[0] != "-")
    if os.environ.get("BUILDKIT_PROGRESS") != "rawjson":
        sys.stderr.write("ERROR: BUILDKIT_PROGRESS is not rawjson\\n")
        sys.exit(3)
    if "stdout" in args:
        sys.stdout.write(args["stdout"] + "\\n")
        sys.stdout.flush()
    if "ignore_sigint" in args:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        def cancel(signum, frame):
            with open(args["on_sigint"], "rb") as tail:
                os.write(2, tail.read())
            os._exit(int(args.get("sigint_exit", "1")))
        signal.signal(signal.SIGINT, cancel)
    data = open(args["stream"], "rb").read()
    chunk = int(args.get("chunk", "4096"))
    delay = float(args.get("delay", "0"))
    for start in range(0, len(data), chunk):
        os.write(2, data[start:start + chunk])
        if delay:
            time.sleep(delay)
    if "ready" in args:
        with open(args["ready"], "w") as ready:
            ready.write(str(os.getpid()))
        time.sleep(float(args.get("wait", "30")))
    sys.exit(int(args.get("exit", "0")))
    """
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("KITPROF_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def fake(tmp_path: Path) -> list[str]:
    program = tmp_path / "fake_build.py"
    program.write_text(FAKE_BUILD)
    return [sys.executable, str(program)]


def write_stream(tmp_path: Path, stream: Stream, name: str = "stream.rawjson") -> Path:
    path = tmp_path / name
    path.write_bytes(stream.indented())
    return path


def cancelled_tail() -> Stream:
    """What buildx sends when a build is cancelled: running steps end with the error."""
    return (
        Stream()
        .vertex(
            "sha256:slow",
            "[slow 1/1] RUN make slow",
            inputs=["sha256:base"],
            started=1.4,
            completed=2.0,
            error="context canceled",
        )
        .text("ERROR: failed to solve: Canceled: context canceled")
    )


def running_head() -> Stream:
    """A build interrupted mid-way: base done, slow still running."""
    return (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:base", "[base 1/1] RUN apk add make", 0.4, 1.4)
        .vertex("sha256:slow", "[slow 1/1] RUN make slow", inputs=["sha256:base"])
        .vertex("sha256:slow", "[slow 1/1] RUN make slow", inputs=["sha256:base"], started=1.4)
    )


def kitprof(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        timeout=timeout,
        check=False,
    )


# -- the library: run_build ------------------------------------------------------------


def test_saves_the_stream_byte_for_byte_and_analyses_it(
    fake: list[str], tmp_path: Path, data_dir: Path
) -> None:
    source = write_stream(tmp_path, parallel_build().text("WARNING: something odd"))
    profile = run_build([*fake, f"stream={source}", "chunk=100"], display=QuietDisplay())
    assert profile.exit_code == 0
    assert profile.stream_path.parent == data_dir / "runs"
    assert profile.stream_path.name.endswith(".rawjson")
    assert profile.stream_path.read_bytes() == source.read_bytes()
    assert profile.build is not None and profile.analysis is not None
    assert profile.analysis.wall_seconds == pytest.approx(5.5)
    assert profile.build.messages == ("WARNING: something odd",)
    assert profile.run.capture is not None
    assert profile.run.capture.stream_bytes == source.stat().st_size
    assert profile.run.capture.cpu_seconds > 0


def test_run_info_is_written_next_to_the_stream(fake: list[str], tmp_path: Path) -> None:
    source = write_stream(tmp_path, parallel_build())
    out = tmp_path / "out" / "build.rawjson"
    profile = run_build(
        [*fake, f"stream={source}", "exit=0", "--build-arg", "NPM_TOKEN=abc123"],
        out=out,
        collect_docker=False,
    )
    assert profile.run_info_path == tmp_path / "out" / "build.run.json"
    info = read_run_info(profile.run_info_path)
    assert info.exit_code == 0
    assert info.tool == "other"
    assert info.stream == str(out)
    assert "NPM_TOKEN=<redacted>" in info.command
    assert b"abc123" not in profile.run_info_path.read_bytes()
    assert info.host.cpu_count == os.cpu_count()
    assert info.wall_seconds is not None and info.wall_seconds > 0


def test_exit_code_of_the_build_is_kept(fake: list[str], tmp_path: Path) -> None:
    source = write_stream(tmp_path, parallel_build())
    profile = run_build([*fake, f"stream={source}", "exit=7"], collect_docker=False)
    assert profile.exit_code == 7
    assert not profile.ok


def test_a_command_that_prints_no_events_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = run_build(
        [sys.executable, "-c", "import sys; sys.stderr.write('ERROR: no builder\\n')"],
        collect_docker=False,
    )
    assert profile.build is None and profile.analysis is None
    assert profile.problem is not None and "ERROR: no builder" in profile.problem
    assert profile.exit_code == 0
    assert "ERROR: no builder" in capsys.readouterr().err  # passed through as it came


def test_text_lines_pass_through_to_stderr_as_they_come(
    fake: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_stream(tmp_path, parallel_build().text("ERROR: failed to solve: boom"))
    run_build([*fake, f"stream={source}"], display=QuietDisplay(), collect_docker=False)
    assert "ERROR: failed to solve: boom" in capsys.readouterr().err


def test_plain_display_prints_a_line_per_step_start_and_finish(
    fake: list[str], tmp_path: Path
) -> None:
    source = write_stream(tmp_path, parallel_build())
    out = tmp_path / "progress.txt"
    with out.open("w") as handle:
        run_build([*fake, f"stream={source}"], display=PlainDisplay(handle), collect_docker=False)
    lines = out.read_text().splitlines()
    assert any("start" in line and "RUN make slow" in line for line in lines)
    done = [line for line in lines if "done" in line and "RUN make slow" in line]
    assert len(done) == 1 and done[0].endswith("3.0s")
    assert any(line.startswith("kitprof: saving the stream to ") for line in lines)


def test_another_progress_mode_is_refused_before_anything_runs(data_dir: Path) -> None:
    with pytest.raises(ProgressModeError):
        run_build(["docker", "buildx", "build", "--progress=tty", "."], collect_docker=False)
    assert not data_dir.exists()


def test_command_not_found_is_127_and_leaves_nothing(data_dir: Path) -> None:
    with pytest.raises(CommandNotFoundError) as raised:
        run_build(["kitprof-no-such-build-tool", "build", "."], collect_docker=False)
    assert raised.value.exit_code == 127
    assert not list((data_dir / "runs").glob("*"))


def test_an_existing_out_file_is_not_overwritten(fake: list[str], tmp_path: Path) -> None:
    source = write_stream(tmp_path, parallel_build())
    out = tmp_path / "kept.rawjson"
    out.write_bytes(b"precious")
    with pytest.raises(OutputExistsError):
        run_build([*fake, f"stream={source}"], out=out, collect_docker=False)
    assert out.read_bytes() == b"precious"
    run_build([*fake, f"stream={source}"], out=out, force=True, collect_docker=False)
    assert out.read_bytes() == source.read_bytes()


def test_a_large_fast_stream_is_saved_and_parsed_in_full(fake: list[str], tmp_path: Path) -> None:
    stream = Stream().step("sha256:big", "[a 1/1] RUN yes", 0.0, 10.0)
    for index in range(4000):
        stream.log("sha256:big", f"line {index} " + "x" * 2000 + "\n", at=index / 400)
    source = write_stream(tmp_path, stream)
    profile = run_build([*fake, f"stream={source}", "chunk=65536"], collect_docker=False)
    assert profile.stream_path.read_bytes() == source.read_bytes()
    assert profile.build is not None
    assert len(profile.build.step("sha256:big").logs) == 4000


def test_a_process_left_behind_does_not_hold_kitprof(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "LINGER_SECONDS", 0.3)
    source = write_stream(tmp_path, parallel_build())
    script = f"cat {source} >&2; sleep 3 & exit 0"
    started = time.monotonic()
    profile = run_build(["sh", "-c", script], collect_docker=False)
    assert time.monotonic() - started < 10
    assert profile.build is not None
    assert any("kept the stream open" in note for note in profile.build.notes)


# -- the CLI ---------------------------------------------------------------------------


def test_cli_prints_the_report_and_exits_with_the_build_code(
    fake: list[str], tmp_path: Path, data_dir: Path
) -> None:
    source = write_stream(tmp_path, parallel_build())
    result = kitprof("run", "--", *fake, f"stream={source}", "exit=3", "stdout=built ok")
    assert result.returncode == 3, result.stderr
    stdout = result.stdout.decode()
    assert "built ok" in stdout  # the build's own stdout still reaches the user
    assert "Critical path" in stdout
    assert "done: 5.50s wall" in stdout
    saved = next((data_dir / "runs").glob("*.rawjson"))
    assert f"stream: {saved}" in stdout
    assert saved.read_bytes() == source.read_bytes()
    # Not a terminal: plain progress lines on stderr, never a redraw.
    stderr = result.stderr.decode()
    assert "start" in stderr and "RUN make slow" in stderr
    assert "\x1b[" not in stderr


def test_cli_options_after_the_command_belong_to_the_command(
    fake: list[str], tmp_path: Path
) -> None:
    source = write_stream(tmp_path, parallel_build())
    # No "--": --json after the command's first word is the command's, not kitprof's.
    result = kitprof("run", *fake, f"stream={source}", "--json=x")
    assert result.returncode == 0, result.stderr
    assert "Critical path" in result.stdout.decode()


def test_cli_json_puts_only_the_report_on_stdout(fake: list[str], tmp_path: Path) -> None:
    source = write_stream(tmp_path, parallel_build())
    out = tmp_path / "b.rawjson"
    result = kitprof(
        "run", "--json", "--out", str(out), "--", *fake, f"stream={source}", "stdout=noise"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stream"] == str(out)
    assert report["run"]["exit_code"] == 0
    assert report["run"]["stream"] == str(out)
    assert report["wall_seconds"] == pytest.approx(5.5)
    assert "noise" in result.stderr.decode()


def test_cli_refuses_another_progress_mode(tmp_path: Path, data_dir: Path) -> None:
    result = kitprof("run", "--", "docker", "buildx", "build", "--progress=plain", ".")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "kitprof needs --progress=rawjson" in stderr
    assert "drop --progress or use --progress=rawjson" in stderr
    assert "Traceback" not in stderr
    assert not data_dir.exists() or not list(data_dir.rglob("*.rawjson"))


def test_cli_command_not_found_is_127_with_one_line() -> None:
    result = kitprof("run", "--", "kitprof-no-such-build-tool", "build", ".")
    assert result.returncode == 127
    lines = result.stderr.decode().strip().splitlines()
    assert lines == ["Error: command not found: kitprof-no-such-build-tool"]


def test_cli_without_a_command_is_a_usage_error() -> None:
    assert kitprof("run").returncode == 2


def test_cli_existing_out_is_a_usage_error(fake: list[str], tmp_path: Path) -> None:
    out = tmp_path / "x.rawjson"
    out.write_text("keep")
    result = kitprof("run", "--out", str(out), "--", *fake, "stream=/dev/null")
    assert result.returncode == 2
    assert "--force" in result.stderr.decode()
    assert out.read_text() == "keep"


# -- interrupts: a real subprocess, because signals go to the main thread ---------------


@pytest.fixture
def interruptible(fake: list[str], tmp_path: Path) -> Iterator[tuple[list[str], Path, Path]]:
    head = write_stream(tmp_path, running_head(), "head.rawjson")
    tail = write_stream(tmp_path, cancelled_tail(), "tail.rawjson")
    ready = tmp_path / "ready"
    out = tmp_path / "interrupted.rawjson"
    argv = [
        "run",
        "--out",
        str(out),
        "--",
        *fake,
        f"stream={head}",
        f"on_sigint={tail}",
        f"ready={ready}",
    ]
    yield argv, ready, out


def start_kitprof(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "profiler", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120"},
    )


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_ctrl_c_is_forwarded_and_the_partial_build_analysed(
    interruptible: tuple[list[str], Path, Path], tmp_path: Path
) -> None:
    argv, ready, out = interruptible
    process = start_kitprof(argv)
    wait_for(ready)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert b"SIGINT forwarded to the build" in stderr
    text = stdout.decode()
    assert "Failure" in text and "cancelled: 1 steps" in text
    saved = out.read_bytes()
    assert (
        saved == (tmp_path / "head.rawjson").read_bytes() + (tmp_path / "tail.rawjson").read_bytes()
    )
    info = read_run_info(run_info_path(out))
    assert info.interrupted and info.exit_code == 1


def test_second_ctrl_c_kills_a_build_that_ignores_the_first(
    fake: list[str], tmp_path: Path
) -> None:
    head = write_stream(tmp_path, running_head(), "head.rawjson")
    ready = tmp_path / "ready"
    out = tmp_path / "killed.rawjson"
    process = start_kitprof(
        [
            "run",
            "--out",
            str(out),
            "--",
            *fake,
            f"stream={head}",
            "ignore_sigint=1",
            f"ready={ready}",
        ]
    )
    wait_for(ready)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None  # the build ignored it; kitprof waits for the build
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert b"killed the build" in stderr
    assert read_run_info(run_info_path(out)).exit_code == 137  # the build's: SIGKILL
    assert "incomplete" in stdout.decode()  # the step never finished
    assert out.read_bytes() == head.read_bytes()


def test_a_killed_kitprof_leaves_every_byte_received(fake: list[str], tmp_path: Path) -> None:
    head = write_stream(tmp_path, running_head(), "head.rawjson")
    ready = tmp_path / "ready"
    out = tmp_path / "partial.rawjson"
    process = start_kitprof(
        ["run", "--out", str(out), "--", *fake, f"stream={head}", f"ready={ready}"]
    )
    wait_for(ready)
    build_pid = int(ready.read_text())
    try:
        deadline = time.monotonic() + 10
        while out.stat().st_size < head.stat().st_size and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
        process.wait(timeout=10)
        assert out.read_bytes() == head.read_bytes()
        info = read_run_info(run_info_path(out))  # written before the build started
        assert info.exit_code is None
    finally:
        # The orphaned build holds the pipes open; end it, as SIGPIPE would.
        os.killpg(build_pid, signal.SIGKILL)
        process.communicate(timeout=10)


# -- run metadata ----------------------------------------------------------------------


def test_run_info_round_trips_and_ignores_unknown_keys() -> None:
    info = RunInfo(
        id="20260301T120000Z-abcdef",
        command=["docker", "build", "."],
        tool="docker build",
        cwd="/src",
        context="/src",
        stream="/data/runs/x.rawjson",
        started_at="2026-03-01T12:00:00+00:00",
        host=HostInfo("h", "Linux", "6", "x86_64", 8, 4, 1 << 30),
        git=GitInfo("0" * 40, "main", False),
        exit_code=0,
        capture=CaptureStats(stream_bytes=10, chunks=1),
    )
    data = info.to_dict()
    assert RunInfo.from_dict(data) == info
    data["added_later"] = {"x": 1}
    data["host"]["gpu"] = "none"
    assert RunInfo.from_dict(data) == info
    assert json.loads(json.dumps(data))["git"]["branch"] == "main"


def test_git_info_of_a_checkout(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "feature")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    info = collect_git(tmp_path)
    assert info is not None
    assert info.branch == "feature" and len(info.commit) == 40 and info.dirty is False
    (tmp_path / "Dockerfile").write_text("FROM scratch\nRUN x\n")
    dirty = collect_git(tmp_path)
    assert dirty is not None and dirty.dirty is True
    assert collect_git(tmp_path / "..") is None or tmp_path.parent.joinpath(".git").exists()


def test_status_names_match_the_model() -> None:
    # The live tracker reports the same statuses the analysis does.
    assert {s.value for s in StepStatus} >= {"done", "cached", "failed", "cancelled"}
