"""Hostile inputs and environments (the cases are data: cases.toml).

Each case runs the real console entry point in a subprocess and must end with its
documented exit code, one ``Error: …`` line (or, for a closed pipe, nothing), no
traceback, nothing stored, and within its memory and time bounds. Peak memory is the
command's own ``ru_maxrss``, measured by ``peak_rss.py`` (not counting the test's own
memory). ``pytest -s`` prints the figures README's reliability table shows.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SAMPLE = HERE.parents[1] / "sample_builds" / "parallel-stages" / "cold.rawjson"
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "cases.toml").read_text())["case"]
DEFAULT_MAX_MIB = 250
DEFAULT_MAX_SECONDS = 30
MEMBER = 64 * 1024 * 1024


def _repeated_gzip(path: Path, head: bytes, block: bytes, total: int) -> None:
    """A gzip file of ``head`` then ``block`` repeated to ``total`` bytes, made from
    one compressed member written again and again (gzip allows concatenated members):
    gigabytes of stream in a few MB and a fraction of a second."""
    member = gzip.compress(block, compresslevel=9, mtime=0)
    with path.open("wb") as out:
        out.write(gzip.compress(head, mtime=0))
        for _ in range(total // len(block)):
            out.write(member)


def _zeros_bomb(path: Path) -> None:
    _repeated_gzip(path, b"", bytes(MEMBER), 5 * 1024**3)


def _lines_bomb(path: Path) -> None:
    head = {
        "vertexes": [
            {
                "digest": "sha256:x",
                "name": "[a 1/1] RUN make",
                "started": "2026-03-01T12:00:00Z",
                "completed": "2026-03-01T12:00:05Z",
            }
        ]
    }
    log = {
        "logs": [
            {
                "vertex": "sha256:x",
                "stream": 1,
                "data": base64.b64encode(b"compiling module 42 of 9000\n").decode(),
                "timestamp": "2026-03-01T12:00:01Z",
            }
        ]
    }
    line = json.dumps(log).encode() + b"\n"
    _repeated_gzip(
        path, json.dumps(head).encode() + b"\n", line * (MEMBER // len(line)), 1200 * 1024**2
    )


def _two_steps(path: Path, started: object, completed: object) -> None:
    events = [
        {
            "vertexes": [
                {
                    "digest": "sha256:a",
                    "name": "[a 1/2] FROM x",
                    "started": started,
                    "completed": completed,
                }
            ]
        },
        {
            "vertexes": [
                {
                    "digest": "sha256:b",
                    "name": "[a 2/2] RUN y",
                    "inputs": ["sha256:a"],
                    "started": started,
                }
            ]
        },
    ]
    path.write_text("".join(json.dumps(event) + "\n" for event in events))


def _long_name(path: Path) -> None:
    name = "[a 2/2] RUN echo " + "x" * 10_000_000
    events = [
        {
            "vertexes": [
                {
                    "digest": "sha256:a",
                    "name": "[a 1/2] FROM x",
                    "started": "2026-03-01T12:00:00Z",
                    "completed": "2026-03-01T12:00:01Z",
                }
            ]
        },
        {
            "vertexes": [
                {
                    "digest": "sha256:b",
                    "name": name,
                    "inputs": ["sha256:a"],
                    "started": "2026-03-01T12:00:01Z",
                    "completed": "2026-03-01T12:00:03Z",
                }
            ]
        },
    ]
    path.write_text("".join(json.dumps(event) + "\n" for event in events))


def _zip_bomb(path: Path) -> None:
    """A log archive whose one member is 1 GiB of zeros (1 MB compressed)."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("job/1_build.txt", "w", force_zip64=True) as member,
    ):
        for _ in range(16):
            member.write(bytes(MEMBER))


def _zip_of_lines(path: Path, lines: Path) -> None:
    """A log archive whose member is the gunzipped lines bomb, streamed in."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("job/1_build.txt", "w", force_zip64=True) as member,
        gzip.open(lines) as source,
    ):
        for _ in range(4):  # 256 MiB of it
            member.write(source.read(MEMBER))


INPUTS: dict[str, Callable[[Path], object]] = {
    "zeros_bomb": _zeros_bomb,
    "lines_bomb": _lines_bomb,
    "random": lambda path: path.write_bytes(os.urandom(4 * 1024 * 1024)),
    "empty": lambda path: path.write_bytes(b""),
    "bad_gzip": lambda path: path.write_bytes(b"\x1f\x8b\x08\x00garbage"),
    "directory": lambda path: path.mkdir(),
    "missing": lambda path: None,
    "numeric_times": lambda path: _two_steps(path, 1700000000, 1700000005),
    "absurd_times": lambda path: _two_steps(path, "0002-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
    "long_name": _long_name,
    "zip_bomb": _zip_bomb,
    "zip_of_lines": lambda path: _zip_of_lines(path, path.with_name("lines_bomb")),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("hostile-inputs")
    made = {"sample": str(SAMPLE)}
    for name, make in INPUTS.items():
        path = folder / name
        make(path)
        made[name] = str(path)
    return made


def _preexec(closed: list[int]) -> Callable[[], None]:
    def close() -> None:
        for descriptor in closed:
            os.close(descriptor)

    return close


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_hostile_case(case: dict[str, Any], inputs: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    values = {**inputs, "db": str(db)}
    args = [re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], arg) for arg in case["args"]]
    env = {**os.environ, "COLUMNS": "120", **case.get("env", {})}
    env.pop("KITPROF_DB", None) if "KITPROF_DB" not in case.get("env", {}) else None
    closed = [
        descriptor
        for descriptor, key in ((0, "stdin"), (1, "stdout"), (2, "stderr"))
        if case.get(key) == "closed"
    ]
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    read_end = None
    with out_path.open("wb") as out, err_path.open("wb") as err:
        stdout: Any = out
        if case.get("stdout") == "full":
            stdout = open("/dev/full", "wb")  # noqa: SIM115
        elif case.get("stdout") == "head":
            read_end, stdout = os.pipe()
        started = time.monotonic()
        rss = tmp_path / "rss"
        process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "peak_rss.py"),
                str(rss),
                sys.executable,
                "-m",
                "profiler",
                *args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            env=env,
            preexec_fn=_preexec(closed) if closed else None,
        )
        if read_end is not None:
            os.close(read_end)  # the reader goes away before anything is written
            os.close(stdout)
        elif stdout is not out:
            stdout.close()
        process.wait()
        seconds = time.monotonic() - started
    mib = int(rss.read_text()) / 1024
    printed, errors = out_path.read_bytes(), err_path.read_text(errors="replace")
    print(f"\n| {case['name']} | {process.returncode} | {mib:.0f} MiB | {seconds:.1f} s |")

    assert process.returncode == case["exit"], errors
    assert "Traceback" not in errors
    lines = [line for line in errors.splitlines() if line.strip()]
    message = case.get("message")
    if message:
        assert len(lines) == 1 and lines[0].startswith("Error: "), errors
        assert re.search(message, lines[0]), lines[0]
    elif message == "" or case.get("stderr") == "closed":
        assert lines == [], errors
    if "secret" in case:
        assert case["secret"] not in errors and case["secret"].encode() not in printed
    if "stdout_max_bytes" in case:
        assert 0 < len(printed) <= case["stdout_max_bytes"]
    if db.exists():
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    assert mib <= case.get("max_mib", DEFAULT_MAX_MIB)
    assert seconds <= case.get("max_seconds", DEFAULT_MAX_SECONDS)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_unreadable_file_is_bad_input_not_usage(tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    stream.write_bytes(SAMPLE.read_bytes())
    stream.chmod(0)
    result = subprocess.run(
        [sys.executable, "-m", "profiler", "ingest", "--db", str(tmp_path / "h.db"), str(stream)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [f"Error: cannot read {stream}: Permission denied"]
