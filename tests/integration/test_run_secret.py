"""A build with a secret mount: the secret's value is nowhere kitprof writes or prints."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from profiler import read_build
from tests.integration.conftest import BUILDS, Kitprof

pytestmark = pytest.mark.docker


def test_secret_values_appear_nowhere_kitprof_saved_or_printed(
    kitprof: Kitprof, nonce: str, tmp_path: Path
) -> None:
    secret = f"kitprof-secret-{uuid.uuid4().hex}".encode()
    secret_file = tmp_path / "token.txt"
    secret_file.write_bytes(secret)
    # A secret-looking build arg (unused by the Dockerfile) must not be recorded either.
    build_arg_secret = f"kitprof-build-arg-{uuid.uuid4().hex}".encode()
    argv = [
        "docker",
        "buildx",
        "build",
        "--network=none",
        "--secret",
        f"id=token,src={secret_file}",
        "--build-arg",
        f"NONCE={nonce}",
        "--build-arg",
        f"API_TOKEN={build_arg_secret.decode()}",
        "--tag",
        kitprof.tag("secret"),
        ".",
    ]
    plain = kitprof.run("--", *argv, cwd=BUILDS / "secret")
    assert plain.returncode == 0, plain.stderr.decode()
    as_json = kitprof.run("--json", "--", *argv, cwd=BUILDS / "secret")
    assert as_json.returncode == 0, as_json.stderr.decode()

    saved = sorted((kitprof.data_dir / "runs").iterdir())
    # two streams, two run.json; and no Docker record (buildx >= 0.23 exports one): it
    # holds the API_TOKEN build arg's value, which kitprof cannot redact in it
    assert len(saved) == 4, saved
    outputs = {
        "stdout": plain.stdout,
        "stderr": plain.stderr,
        "json stdout": as_json.stdout,
        "json stderr": as_json.stderr,
        **{path.name: path.read_bytes() for path in saved},
    }
    for where, data in outputs.items():
        assert secret not in data, f"the secret leaked into {where}"
        assert build_arg_secret not in data, f"the build-arg secret leaked into {where}"
    # The secret was really used by the build, and the command line is still useful.
    cold = read_build(next(path for path in saved if path.name.endswith(".rawjson")))
    logs = "\n".join(line for step in cold for line in step.log_lines())
    assert "token fingerprint: " in logs
    report = json.loads(as_json.stdout)
    assert report["record"] is None
    assert "id=token,src=<redacted>" in report["run"]["command"]
    assert "API_TOKEN=<redacted>" in report["run"]["command"]
    assert f"NONCE={nonce}" in report["run"]["command"]
    names = [step["name"] for step in report["steps"]]
    assert any("--mount=type=secret" in name for name in names)
