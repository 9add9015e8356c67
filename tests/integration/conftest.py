"""Real-daemon tests: a Docker daemon with buildx, as scripts/setup-docker makes one.

Without a daemon these tests are skipped, unless ``KITPROF_REQUIRE_DOCKER=1`` (set by
scripts/test, so CI never passes by skipping them): then a missing daemon fails.

The daemon is shared with other sessions, so every build here carries a fresh
``NONCE`` build argument (a cold build stays cold whatever others have cached) and
unique image tags, removed afterwards. No test prunes the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUILDS = Path(__file__).parent / "builds"
BASE_IMAGE = os.environ.get("KITPROF_BASE_IMAGE", "kitprof/busybox:latest")
REQUIRE_ENV = "KITPROF_REQUIRE_DOCKER"


def _problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    checks = (
        (["docker", "info"], "the docker daemon does not answer `docker info`"),
        (["docker", "buildx", "version"], "`docker buildx version` fails: no buildx plugin"),
        (["docker", "image", "inspect", BASE_IMAGE], f"the base image {BASE_IMAGE} is missing"),
    )
    for argv, message in checks:
        try:
            result = subprocess.run(argv, capture_output=True, timeout=60, check=False)
        except subprocess.TimeoutExpired:
            return f"{' '.join(argv)} timed out"
        if result.returncode != 0:
            return message
    return None


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    problem = _problem()
    if problem is None:
        return
    message = f"{problem} (run scripts/setup-docker)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {message}", pytrace=False)
    pytest.skip(message)


@dataclass
class Kitprof:
    """Runs ``kitprof run`` as users do: the console script in a subprocess."""

    data_dir: Path
    tags: list[str]

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "KITPROF_DATA_DIR": str(self.data_dir), "COLUMNS": "120", **extra}

    def tag(self, name: str) -> str:
        tag = f"kitprof-test/{name}:{uuid.uuid4().hex[:12]}"
        self.tags.append(tag)
        return tag

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "profiler", "run", *args]

    def run(
        self, *args: str, cwd: Path, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.argv(*args),
            cwd=cwd,
            env=self.env(**env),
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *args: str, cwd: Path, **env: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=cwd,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


@pytest.fixture
def kitprof(docker_daemon: None, tmp_path: Path) -> Iterator[Kitprof]:
    runner = Kitprof(data_dir=tmp_path / "data", tags=[])
    yield runner
    if runner.tags:
        subprocess.run(
            ["docker", "image", "rm", "--force", *runner.tags], capture_output=True, check=False
        )


@pytest.fixture
def nonce() -> str:
    return uuid.uuid4().hex
