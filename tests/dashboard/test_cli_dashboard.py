"""``kitprof dashboard``: what it serves, where it listens, how it fails."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from typer.testing import CliRunner

from profiler.cli import app
from profiler.cli.dashboard import AUTH_ENV_VAR, is_loopback
from tests.dashboard.conftest import ROOT, SAMPLES

ONE = SAMPLES / "parallel-stages" / "cold.rawjson"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Dash.run replaced: the arguments it was called with, instead of a server."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(Dash, "run", lambda self, **kwargs: calls.append(kwargs))
    monkeypatch.delenv("KITPROF_DB", raising=False)
    monkeypatch.delenv(AUTH_ENV_VAR, raising=False)
    return calls


def test_the_auth_variable_is_the_apps() -> None:
    from dashboard.app import AUTH_ENV_VAR as APP_AUTH_ENV_VAR

    assert AUTH_ENV_VAR == APP_AUTH_ENV_VAR


def test_loopback_by_default(served: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["dashboard", str(ONE)])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "127.0.0.1", "port": 8050, "debug": False}]
    assert "Warning" not in result.output
    assert "http://127.0.0.1:8050/" in result.output


def test_another_host_warns(served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["dashboard", str(ONE), "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "0.0.0.0"
    assert "Warning" in result.output and AUTH_ENV_VAR in result.output
    monkeypatch.setenv(AUTH_ENV_VAR, "team:pw")
    result = CliRunner().invoke(app, ["dashboard", str(ONE), "--host", "0.0.0.0"])
    assert "Warning" in result.output and AUTH_ENV_VAR not in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_help_names_the_options() -> None:
    result = CliRunner().invoke(app, ["dashboard", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for option in ("--db", "--host", "--port", AUTH_ENV_VAR, "gunicorn"):
        assert option in result.output


def kitprof(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KITPROF_DB": "", **(env or {})},
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_a_bad_file_is_an_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rawjson"
    bad.write_text("this is not a build\n")
    done = kitprof("dashboard", str(bad))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ")
    assert "bad.rawjson" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_auth_setting_is_an_error_line() -> None:
    done = kitprof("dashboard", str(ONE), env={AUTH_ENV_VAR: "nopassword"})
    assert done.returncode == 1
    assert AUTH_ENV_VAR in done.stderr and "Traceback" not in done.stderr


def test_the_console_script_serves_the_files() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "profiler", "dashboard", str(ONE), "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "KITPROF_DB": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200
                    assert b"kitprof" in page.read()
                break
            except OSError:
                assert process.poll() is None, "the dashboard exited"
                assert time.monotonic() < deadline, "the dashboard did not answer"
                time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in stderr.decode()
