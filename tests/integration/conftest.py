"""Real-daemon tests: a Docker daemon with buildx, as scripts/setup-docker makes one.

Every test runs on each toolchain (the ``toolchain`` fixture's parameters):
``legacy``, the daemon ``docker`` reaches as the environment says (Debian's dockerd
20.10 with buildx 0.13 from ``scripts/setup-docker``: the oldest supported), and
``modern``, the private Docker 28.5 / buildx 0.29 / compose 2.40 daemon of
``scripts/setup-docker --modern``, reached through ``KITPROF_MODERN_DOCKER_ENV``
(``NAME=VALUE`` lines: ``DOCKER_HOST``, ``DOCKER_CONFIG``, ``PATH``; scripts/test sets
it). A test that needs today's Docker asks for ``modern`` only (``modern_only``).

Without a daemon these tests are skipped, unless ``KITPROF_REQUIRE_DOCKER=1`` (set by
scripts/test, so CI never passes by skipping them): then a missing daemon fails; the
same for the modern toolchain with ``KITPROF_REQUIRE_MODERN_DOCKER=1``.

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
MODERN_ENV = "KITPROF_MODERN_DOCKER_ENV"
REQUIRE_MODERN_ENV = "KITPROF_REQUIRE_MODERN_DOCKER"
TOOLCHAINS = ("legacy", "modern")


@dataclass(frozen=True)
class Toolchain:
    name: str
    env: dict[str, str]
    """What the test's environment gets on top of the session's."""


def _modern_env() -> dict[str, str] | None:
    text = os.environ.get(MODERN_ENV)
    if not text:
        return None
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {name.strip(): value for name, value in pairs}


def _problem(env: dict[str, str]) -> str | None:
    path = env.get("PATH", os.environ.get("PATH"))
    if shutil.which("docker", path=path) is None:
        return "no docker client on PATH"
    checks = (
        (["docker", "info"], "the docker daemon does not answer `docker info`"),
        (["docker", "buildx", "version"], "`docker buildx version` fails: no buildx plugin"),
        (["docker", "image", "inspect", BASE_IMAGE], f"the base image {BASE_IMAGE} is missing"),
    )
    for argv, message in checks:
        try:
            result = subprocess.run(
                argv, capture_output=True, timeout=60, check=False, env={**os.environ, **env}
            )
        except subprocess.TimeoutExpired:
            return f"{' '.join(argv)} timed out"
        if result.returncode != 0:
            return message
    return None


@pytest.fixture(scope="session", params=TOOLCHAINS)
def toolchain(request: pytest.FixtureRequest) -> Toolchain:
    name: str = request.param
    if name == "legacy":
        env: dict[str, str] | None = {}
        setup, require = "scripts/setup-docker", REQUIRE_ENV
    else:
        env = _modern_env()
        setup, require = "scripts/setup-docker --modern", REQUIRE_MODERN_ENV
    problem = f"{MODERN_ENV} is not set" if env is None else _problem(env)
    if problem is None and env is not None:
        return Toolchain(name, env)
    message = f"{name} toolchain: {problem} (run {setup})"
    if os.environ.get(require) == "1":
        pytest.fail(f"{require}=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def docker_daemon(toolchain: Toolchain, monkeypatch: pytest.MonkeyPatch) -> Toolchain:
    """The toolchain's daemon, for everything the test starts (``docker``, ``kitprof``)."""
    for name, value in toolchain.env.items():
        monkeypatch.setenv(name, value)
    return toolchain


modern_only = pytest.mark.parametrize("toolchain", ["modern"], indirect=True)
"""For tests of what only today's Docker has (history export, one-line rawjson)."""


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
def kitprof(docker_daemon: Toolchain, tmp_path: Path) -> Iterator[Kitprof]:
    runner = Kitprof(data_dir=tmp_path / "data", tags=[])
    yield runner
    if runner.tags:
        subprocess.run(
            ["docker", "image", "rm", "--force", *runner.tags], capture_output=True, check=False
        )


@pytest.fixture
def nonce() -> str:
    return uuid.uuid4().hex
