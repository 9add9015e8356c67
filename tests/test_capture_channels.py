"""Which pipe carries the stream: ``docker compose build`` writes it to stdout, buildx to
stderr. Real child processes write to real pipes; no Docker needed (the real compose
build is in tests/integration/test_compose.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from profiler.capture import run_build
from profiler.capture.channels import Channel, Kind, Router, TextLines
from profiler.capture.display import QuietDisplay

SAMPLES = Path(__file__).resolve().parents[1] / "sample_builds"
BAKE = SAMPLES / "bake-two-targets" / "modern" / "bake.rawjson"

WRITER = textwrap.dedent(
    """
    import os, sys, time
    # argv: a list of FD:SOURCE, SOURCE a file (@path) or text; written in this order.
    for item in sys.argv[1:]:
        fd, _, source = item.partition(":")
        data = open(source[1:], "rb").read() if source.startswith("@") else source.encode()
        for start in range(0, len(data), 4096):
            os.write(int(fd), data[start:start + 4096])
        time.sleep(0.05)
    sys.exit(int(os.environ.get("WRITER_EXIT", "0")))
    """
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("KITPROF_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def writer(tmp_path: Path) -> list[str]:
    program = tmp_path / "writer.py"
    program.write_text(WRITER)
    return [sys.executable, str(program)]


def test_a_stream_on_stdout_is_saved_and_stderr_is_shown_as_text(
    writer: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "compose.rawjson"
    profile = run_build(
        [*writer, "2:WARN[0000] a compose warning\n", f"1:@{BAKE}", "2: sample-api  Built\n"],
        out=out,
        display=QuietDisplay(),
        collect_docker=False,
    )
    assert out.read_bytes() == BAKE.read_bytes()
    captured = capfd.readouterr()
    assert captured.out == ""  # nothing of the stream dumped onto the terminal
    assert "WARN[0000] a compose warning" in captured.err
    assert " sample-api  Built" in captured.err
    assert profile.build is not None and profile.exit_code == 0
    assert [b.name for b in profile.builds] == ["api", "web"]
    assert profile.run.capture is not None
    assert profile.run.capture.stream_bytes == BAKE.stat().st_size


def test_a_stream_on_stderr_leaves_stdout_byte_for_byte_to_the_command(
    writer: list[str], tmp_path: Path
) -> None:
    payload = tmp_path / "image.tar"
    payload.write_bytes(bytes(range(256)) * 64)  # what `-o -` would write
    stream = SAMPLES / "parallel-stages" / "modern" / "cold.rawjson"
    received = tmp_path / "stdout.bin"
    with open(received, "wb") as sink:
        profile = run_build(
            [*writer, f"2:@{stream}", f"1:@{payload}"],
            out=tmp_path / "b.rawjson",
            display=QuietDisplay(),
            stdout=sink.fileno(),
            collect_docker=False,
        )
    assert received.read_bytes() == payload.read_bytes()
    assert (tmp_path / "b.rawjson").read_bytes() == stream.read_bytes()
    assert profile.build is not None and len(profile.builds) == 1


def test_text_before_the_stream_on_stderr_stays_with_the_stream(
    writer: list[str], tmp_path: Path
) -> None:
    stream = SAMPLES / "failing-test" / "modern" / "failed.rawjson"
    out = tmp_path / "b.rawjson"
    profile = run_build(
        [*writer, "2:+ docker buildx build .\n", f"2:@{stream}"],
        out=out,
        display=QuietDisplay(),
        collect_docker=False,
    )
    assert out.read_bytes() == b"+ docker buildx build .\n" + stream.read_bytes()
    assert profile.build is not None
    assert any(s.status.value == "failed" for s in profile.build.steps)


def test_json_on_stdout_after_the_stream_began_on_stderr_is_the_command_s_own(
    writer: list[str], tmp_path: Path
) -> None:
    stream = SAMPLES / "parallel-stages" / "modern" / "cached.rawjson"
    received = tmp_path / "stdout.json"
    with open(received, "wb") as sink:
        run_build(
            [*writer, f"2:@{stream}", '1:{"image": "sha256:abc"}\n'],
            out=tmp_path / "b.rawjson",
            display=QuietDisplay(),
            stdout=sink.fileno(),
            collect_docker=False,
        )
    assert received.read_bytes() == b'{"image": "sha256:abc"}\n'
    assert (tmp_path / "b.rawjson").read_bytes() == stream.read_bytes()


def test_the_cli_keeps_a_run_per_target_and_the_exit_code(
    writer: list[str], tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "history.db"
    result = subprocess.run(
        [
            sys.executable, "-m", "profiler", "run", "--json", "--db", f"sqlite:///{db}", "--",
            *writer, f"1:@{BAKE}", "2:target web: failed to solve: boom\n",
        ],
        env={**os.environ, "WRITER_EXIT": "17"},
        capture_output=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 17, result.stderr
    report = json.loads(result.stdout)  # the report alone on stdout, no stream
    assert [t["name"] for t in report["targets"]] == ["api", "web"]
    assert len(report["stored_runs"]) == 2
    assert "target web: failed to solve: boom" in result.stderr.decode()
    runs = subprocess.run(
        [sys.executable, "-m", "profiler", "runs", "--json", "--db", f"sqlite:///{db}"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    stored = json.loads(runs.stdout)["runs"]
    assert sorted(r["labels"]["build"] for r in stored) == ["api", "web"]
    assert sorted(r["id"] for r in stored) == sorted(report["stored_runs"])


# -- the router alone --------------------------------------------------------------------


def router(tmp_path: Path) -> tuple[Router, io.BytesIO, Path, int]:
    sink = io.BytesIO()
    passed = tmp_path / "passed"
    fd = os.open(passed, os.O_WRONLY | os.O_CREAT)
    return Router(sink, fd), sink, passed, fd


def drain(route: Router) -> list[tuple[Kind, bytes] | None]:
    items = []
    while not route.items.empty():
        items.append(route.items.get_nowait())
    return items


def test_stderr_text_waits_for_the_decision_then_follows_it(tmp_path: Path) -> None:
    route, sink, passed, fd = router(tmp_path)
    route.take(Channel.STDERR, b"WARN compose\n")
    assert route.stream is None and drain(route) == []
    route.take(Channel.STDOUT, b'\n{"vertexes": []}\n')
    assert route.stream is Channel.STDOUT
    assert drain(route) == [(Kind.TEXT, b"WARN compose\n"), (Kind.STREAM, b'\n{"vertexes": []}\n')]
    route.closed(Channel.STDOUT)
    route.closed(Channel.STDERR)
    assert drain(route) == [None]
    os.close(fd)
    assert sink.getvalue() == b'\n{"vertexes": []}\n' and passed.read_bytes() == b""


def test_a_command_with_text_only_keeps_it_as_its_stream(tmp_path: Path) -> None:
    route, sink, _, fd = router(tmp_path)
    route.take(Channel.STDERR, b"ERROR: no builder\n")
    route.closed(Channel.STDOUT)
    route.closed(Channel.STDERR)
    os.close(fd)
    assert route.stream is Channel.STDERR
    assert sink.getvalue() == b"ERROR: no builder\n"
    assert drain(route) == [(Kind.STREAM, b"ERROR: no builder\n"), None]


def test_stdout_text_first_makes_stderr_the_stream(tmp_path: Path) -> None:
    route, sink, passed, fd = router(tmp_path)
    route.take(Channel.STDERR, b"+ make image\n")
    route.take(Channel.STDOUT, b"building...\n")
    route.take(Channel.STDOUT, b'{"not": "the stream"}\n')
    os.close(fd)
    assert route.stream is Channel.STDERR
    assert sink.getvalue() == b"+ make image\n"
    assert passed.read_bytes() == b'building...\n{"not": "the stream"}\n'


def test_text_lines_wait_for_their_end() -> None:
    lines = TextLines()
    assert lines.feed(b"one\r\ntw") == ["one"]
    assert lines.feed(b"o\nthree") == ["two"]
    assert lines.close() == ["three"]
    assert lines.close() == []
