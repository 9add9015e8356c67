"""No credential from a command line reaches the disk (the corpus is secrets.toml).

Each case is recorded for real: ``kitprof run`` runs the command, with stand-ins for
``docker`` and ``sudo`` first on PATH (they print a real recorded stream, as
``docker buildx build --progress=rawjson`` would), and stores the run in a SQLite
history. Then the same stream is ingested with an old-style run file holding the
command unredacted, as an older kitprof or a hand-written file might. Every byte
kitprof wrote is searched for each secret.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SAMPLE = HERE.parents[1] / "sample_builds" / "parallel-stages" / "cold.rawjson"
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "secrets.toml").read_text())["case"]

FAKE_DOCKER = textwrap.dedent(
    """\
    #!/bin/sh
    # Stand-in for docker: a build or bake prints the recorded stream on stderr.
    for arg in "$@"; do
        case "$arg" in
            build|bake)
                cat "$KITPROF_FAKE_STREAM" >&2
                echo "#1 case $KITPROF_FAKE_NONCE" >&2
                exit 0 ;;
        esac
    done
    exit 1
    """
)
FAKE_SUDO = textwrap.dedent(
    """\
    #!/bin/sh
    # Stand-in for sudo: options skipped, VAR=value assignments exported, then exec.
    while [ $# -gt 0 ]; do
        case "$1" in
            -*) shift ;;
            *=*) export "$1"; shift ;;
            *) break ;;
        esac
    done
    exec "$@"
    """
)


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bin")
    for name, text in (("docker", FAKE_DOCKER), ("sudo", FAKE_SUDO)):
        program = directory / name
        program.write_text(text)
        program.chmod(0o755)
    return directory


def kitprof(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def stored_bytes(folder: Path) -> bytes:
    """Every file under ``folder``, plus each stored stream blob decompressed (gzip
    would hide a secret from a plain search of the database file)."""
    parts = [path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()]
    for database in folder.rglob("*.db"):
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT data FROM run_streams").fetchall()
        parts.extend(gzip.decompress(row[0]) for row in rows)
    return b"\n".join(parts)


@dataclass(frozen=True)
class Recorded:
    written: bytes
    """Every byte kitprof wrote, stored streams decompressed."""
    printed: bytes
    """Everything kitprof printed."""
    commands: dict[str, str]
    """Case name → the command and context as the history holds them."""


@pytest.fixture(scope="module")
def recorded(bin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Every case run by ``kitprof run`` into one history, then ingested again into
    another with an unredacted run file beside each stream (one ``kitprof ingest``)."""
    root = tmp_path_factory.mktemp("secrets")
    data, legacy = root / "data", root / "legacy"
    legacy.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "KITPROF_DATA_DIR": str(data),
        "KITPROF_FAKE_STREAM": str(SAMPLE),
        "COLUMNS": "200",
    }
    env.pop("KITPROF_DB", None)
    printed: list[bytes] = []
    copies: list[str] = []
    for index, case in enumerate(CASES):
        out = data / "runs" / f"case{index}.rawjson"
        result = kitprof(
            "run",
            "--display",
            "plain",
            "--out",
            str(out),
            "--",
            *case["command"],
            env={**env, "KITPROF_FAKE_NONCE": f"nonce-{index}"},
        )
        assert result.returncode == 0, (case["name"], result.stderr.decode()[-2000:])
        printed.append(result.stdout + result.stderr)
        copy = legacy / f"case{index}.rawjson"
        copy.write_bytes(out.read_bytes())
        legacy_info = {"command": case["command"], "context": case["command"][-1]}
        (legacy / f"case{index}.rawjson.run.json").write_text(json.dumps(legacy_info))
        copies.append(str(copy))
    ingested = kitprof("ingest", "--no-ci", "--db", str(legacy / "history.db"), *copies, env=env)
    assert ingested.returncode == 0, ingested.stderr.decode()
    printed.append(ingested.stdout + ingested.stderr)
    for run_file in legacy.glob("*.run.json"):
        run_file.unlink()  # the user's own files, not kitprof's
    commands: dict[str, str] = {}
    for database in (data / "history.db", legacy / "history.db"):
        with sqlite3.connect(database) as connection:
            for source, command, context in connection.execute(
                "SELECT source, command, coalesce(context, '') FROM runs"
            ):
                name = CASES[int(Path(source).name.split(".")[0].removeprefix("case"))]["name"]
                commands[name] = commands.get(name, "") + f"{command} {context}\n"
    return Recorded(
        written=stored_bytes(data) + stored_bytes(legacy),
        printed=b"".join(printed),
        commands=commands,
    )


def test_the_search_sees_every_stored_stream(recorded: Recorded) -> None:
    for index in range(len(CASES)):
        assert recorded.written.count(f"nonce-{index}\n".encode()) >= 4  # 2 files, 2 blobs


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_no_secret_is_stored_or_printed(case: dict[str, Any], recorded: Recorded) -> None:
    for secret in case["secrets"]:
        assert secret.encode() not in recorded.written, f"{secret} stored"
        assert secret.encode() not in recorded.printed, f"{secret} printed"
    stored = recorded.commands[case["name"]]
    assert stored.count("\n") == 2  # recorded by kitprof run, and ingested
    for kept in case.get("kept", []):
        assert stored.count(kept) >= 2, (kept, stored)


def test_private_files_and_data_directory(bin_dir: Path, tmp_path: Path) -> None:
    """Run files, streams and the history are the user's alone, whatever the umask."""
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "KITPROF_DATA_DIR": str(data),
        "KITPROF_FAKE_STREAM": str(SAMPLE),
        "KITPROF_FAKE_NONCE": "modes",
    }
    env.pop("KITPROF_DB", None)
    old_umask = os.umask(0o022)
    try:
        result = kitprof("run", "--display", "quiet", "--", "docker", "build", ".", env=env)
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "runs").stat().st_mode) == 0o700
    files = [path for path in data.rglob("*") if path.is_file()]
    assert {path.suffix for path in files} >= {".rawjson", ".json", ".db"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
