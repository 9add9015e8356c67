"""Run metadata: what a later comparison of two builds needs to know about each.

A :class:`RunInfo` records the (redacted) command line, the context and its git
commit, the host, the docker/buildx/daemon versions and the builder driver, and how
the run ended. ``kitprof run`` writes it next to the stream as ``<stem>.run.json``;
a later store keeps it in a database. Keys are only ever added (``from_dict``
ignores keys it does not know, so older kitprof versions read newer files).

Collecting never fails a run: anything that cannot be found (no git, no daemon) is
``None``, with the reason in ``DockerInfo.error``.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from profiler import __version__
from profiler.redaction import redact_script

SCHEMA_VERSION = 1
GIT_TIMEOUT = 5.0
DOCKER_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class GitInfo:
    commit: str
    branch: str | None
    """``None`` on a detached HEAD."""
    dirty: bool | None
    """Tracked files modified; ``None`` if git could not tell."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    hostname: str
    system: str
    release: str
    machine: str
    cpu_count: int | None
    """Cores of the machine."""
    cpus_available: int | None
    """Cores this process may use (affinity, e.g. a CI container's share)."""
    memory_bytes: int | None


@dataclass(frozen=True, slots=True)
class DockerInfo:
    client_version: str | None = None
    server_version: str | None = None
    buildx_version: str | None = None
    builder: str | None = None
    driver: str | None = None
    """The builder's driver: docker, docker-container, kubernetes, remote."""
    buildkit_version: str | None = None
    error: str | None = None
    """Why some of the above is missing (daemon unreachable, no buildx…)."""


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """How the capture itself went: evidence that kitprof kept up with the build."""

    stream_bytes: int = 0
    chunks: int = 0
    max_backlog_bytes: int = 0
    """Most bytes received from the build but not yet parsed, at any moment."""
    drain_seconds: float = 0.0
    """Parsing still to do when the build closed its stream (0: kitprof kept up)."""
    cpu_seconds: float = 0.0
    """CPU time of the kitprof process itself (user + system), startup included."""
    write_error: str | None = None
    """Why the stream could not be saved in full (a full disk), if it could not."""


@dataclass(slots=True)
class RunInfo:
    """One profiled run. Mutable while the run goes on; written as ``<stem>.run.json``."""

    id: str
    command: list[str]
    """The command line with secret values redacted."""
    tool: str
    cwd: str
    context: str | None
    """Absolute path of a local build context (the working directory for bake)."""
    stream: str
    """Path of the saved rawjson stream."""
    started_at: str
    """UTC, ISO 8601."""
    host: HostInfo
    git: GitInfo | None = None
    docker: DockerInfo | None = None
    ended_at: str | None = None
    wall_seconds: float | None = None
    """From starting the command to its exit, as kitprof measured it."""
    exit_code: int | None = None
    """The build command's exit code (128 + N when a signal N ended it)."""
    interrupted: bool = False
    """kitprof forwarded an interrupt (Ctrl-C, SIGTERM) to the build."""
    capture: CaptureStats | None = None
    history_refs: list[str] | None = None
    """The builder's history records of this build (``docker buildx history``, buildx
    ≥ 0.23): ``kitprof ingest --from-history REF`` or ``docker buildx history export
    REF`` reach them. ``None`` where unknown (older buildx, another tool, no daemon)."""
    kitprof_version: str = __version__
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        values = _known(cls, data)
        values["host"] = HostInfo(**_known(HostInfo, data.get("host") or {}))
        for key, kind in (("git", GitInfo), ("docker", DockerInfo), ("capture", CaptureStats)):
            nested = data.get(key)
            values[key] = None if nested is None else kind(**_known(kind, nested))
        values["command"] = list(values.get("command") or [])
        return cls(**values)


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    return {key: value for key, value in data.items() if key in names}


# -- collecting ---------------------------------------------------------------------


def collect_host() -> HostInfo:
    uname = platform.uname()
    try:
        available: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = None
    try:
        memory: int | None = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        memory = None
    return HostInfo(
        hostname=socket.gethostname(),
        system=uname.system,
        release=uname.release,
        machine=uname.machine,
        cpu_count=os.cpu_count(),
        cpus_available=available,
        memory_bytes=memory,
    )


def local_context(context: str | None, cwd: Path) -> Path | None:
    """The directory of a local build context; ``None`` for URLs, stdin (``-``) or none."""
    if context is None:
        return cwd
    if context == "-" or "://" in context or context.startswith("git@"):
        return None
    path = (cwd / context).resolve()
    return path if path.is_dir() else None


def collect_git(directory: Path) -> GitInfo | None:
    """Commit, branch and dirtiness of the checkout holding ``directory``, if any."""
    commit = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return None
    branch = _git(directory, "symbolic-ref", "--quiet", "--short", "HEAD")
    status = _git(directory, "status", "--porcelain", "--untracked-files=no", allow_empty=True)
    return GitInfo(
        commit=commit, branch=branch or None, dirty=None if status is None else bool(status)
    )


def _git(directory: Path, *args: str, allow_empty: bool = False) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            # A profiler must not take the index lock from under the user's own git.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    output = result.stdout.strip()
    if result.returncode != 0 or (not output and not allow_empty):
        return None
    return output


def collect_docker(
    docker_options: dict[str, str] | None = None, builder: str | None = None
) -> DockerInfo:
    """Versions and builder driver through python-on-whales; never raises."""
    try:
        from python_on_whales import DockerClient
    except ImportError as error:  # pragma: no cover - a declared dependency
        return DockerInfo(error=f"python-on-whales is not available: {error}")
    options = docker_options or {}
    try:
        client = DockerClient(
            context=options.get("context"),
            host=options.get("host"),
            config=options.get("config"),
        )
    except Exception as error:  # metadata must never fail a run
        return DockerInfo(error=_one_line(error))
    info: dict[str, str | None] = {}
    errors: list[str] = []

    def versions() -> None:
        found = client.version()
        info["client_version"] = getattr(found.client, "version", None)
        info["server_version"] = getattr(found.server, "version", None) if found.server else None

    def buildx_version() -> None:
        words = str(client.buildx.version()).split()
        info["buildx_version"] = words[1] if len(words) > 1 else (words[0] if words else None)

    def builder_driver() -> None:
        inspected = client.buildx.inspect(builder)
        info["builder"] = inspected.name
        info["driver"] = inspected.driver
        nodes = inspected.nodes or []
        if nodes:
            node = nodes[0]
            info["buildkit_version"] = getattr(node, "version", None) or getattr(
                node, "buildkit_version", None
            )

    def attempt(label: str, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception as error:  # one CLI call failing leaves the others' answers
            errors.append(f"{label}: {_one_line(error)}")

    # Three docker CLI calls at once: a third of the time, the same CPU.
    threads = [
        threading.Thread(target=attempt, args=(label, call), daemon=True)
        for label, call in (
            ("docker version", versions),
            ("buildx version", buildx_version),
            ("buildx inspect", builder_driver),
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = {key: value or None for key, value in info.items()}  # "" means unknown
    return DockerInfo(**answers, error="; ".join(sorted(errors)) or None)


def _one_line(error: BaseException) -> str:
    # python-on-whales' DockerException keeps the CLI's stderr, which says what failed
    # ("Cannot connect to the Docker daemon…"); its str() starts with the command.
    stderr = getattr(error, "stderr", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    text = stderr if isinstance(stderr, str) and stderr.strip() else str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # The message may repeat the command line, with a daemon URL's password in it.
    return redact_script((lines[0] if lines else type(error).__name__)[:300])


class EnvironmentProbe:
    """Collects git and docker metadata in a background thread while the build runs.

    The docker CLI calls take a fraction of a second; doing them beside the build
    instead of before it keeps them off the build's wall time.
    """

    def __init__(
        self,
        context_dir: Path | None,
        docker_options: dict[str, str] | None,
        builder: str | None,
        *,
        docker: bool = True,
    ) -> None:
        self._context_dir = context_dir
        self._docker_options = docker_options
        self._builder = builder
        self._docker = docker
        self.git: GitInfo | None = None
        self.docker_info: DockerInfo | None = None
        self._started = False
        self._thread = threading.Thread(target=self._run, name="kitprof-environment", daemon=True)

    def start_once(self) -> None:
        if not self._thread.is_alive() and not self._started:
            self._started = True
            self._thread.start()

    def _run(self) -> None:
        if self._context_dir is not None:
            self.git = collect_git(self._context_dir)
        if self._docker:
            self.docker_info = collect_docker(self._docker_options, self._builder)

    def wait(self, timeout: float = DOCKER_TIMEOUT) -> None:
        if not self._started:
            return
        self._thread.join(timeout)
        if self._thread.is_alive() and self._docker and self.docker_info is None:
            self.docker_info = DockerInfo(error=f"docker did not answer within {timeout:.0f}s")


def changed_between(directory: Path, before: str, after: str) -> list[str] | None:
    """Paths (relative to ``directory``) that differ between two commits, as ``git diff
    --name-only`` says; ``None`` when ``directory`` is not a checkout holding both."""
    if not directory.is_dir():
        return None
    output = _git(
        directory, "diff", "--name-only", "--relative", "--no-renames", before, after,
        allow_empty=True,
    )  # fmt: skip
    return None if output is None else [line for line in output.splitlines() if line]
