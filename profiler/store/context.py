"""How a build was run: everything a history keeps that is not in the stream itself.

Three sources, merged by :func:`run_context`: the run file that ``kitprof run``
writes next to a stream (:mod:`profiler.runfile`: command, context, git, host,
versions), the CI system's environment (branch, commit, run id and URL) and the
user's labels. The run file is read leniently, by key, so a store keeps working with
files written by older or newer kitprof versions.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from profiler.ci import CIInfo
from profiler.redaction import redact_script


@dataclass(frozen=True, slots=True)
class RunContext:
    command: str | None = None
    context: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    host: str | None = None
    cores: int | None = None
    kitprof_version: str | None = None
    docker_version: str | None = None
    """The daemon's version (the client's if the daemon's is unknown)."""
    buildx_version: str | None = None
    buildkit_version: str | None = None
    driver: str | None = None
    started_at: datetime | None = None
    """When the run started, if the stream itself does not say (no step started)."""
    ci: CIInfo | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    build_name: str | None = None
    """``--build-name``: which build this is a run of, instead of the derived name
    (:func:`profiler.identity.build_identity`)."""
    run_info: Mapping[str, Any] | None = None
    """The run file as read, kept whole with the run."""
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Files kept with the run, by name (:mod:`profiler.store.files`): the Dockerfile,
    the context manifest, Docker's record. Stored in the run's own transaction."""


def run_context(
    run_info: Mapping[str, Any] | None = None,
    *,
    ci: CIInfo | None = None,
    labels: Mapping[str, str] | None = None,
    kitprof_version: str | None = None,
    build_name: str | None = None,
) -> RunContext:
    """Merge the sources. In CI the provider's branch wins: a CI checkout is usually a
    detached HEAD, for which git reports no branch."""
    run_info = _redacted_run_info(run_info)
    info = run_info or {}
    git = _mapping(info.get("git"))
    host = _mapping(info.get("host"))
    docker = _mapping(info.get("docker"))
    return RunContext(
        command=_command(info.get("command")),
        context=_text(info.get("context")),
        git_commit=_text(git.get("commit"))
        or _text(info.get("git_commit"))
        or (ci.commit if ci else None),
        git_branch=(ci.branch if ci else None)
        or _text(git.get("branch"))
        or _text(info.get("git_branch")),
        host=_text(host.get("hostname")) or _text(info.get("host")),
        cores=_int(host.get("cpus_available"))
        or _int(host.get("cpu_count"))
        or _int(info.get("cores")),
        kitprof_version=_text(info.get("kitprof_version")) or kitprof_version,
        docker_version=_text(docker.get("server_version"))
        or _text(docker.get("client_version"))
        or _text(info.get("docker_version")),
        buildx_version=_text(docker.get("buildx_version")) or _text(info.get("buildx_version")),
        buildkit_version=_text(docker.get("buildkit_version"))
        or _text(info.get("buildkit_version")),
        driver=_text(docker.get("driver")) or _text(info.get("driver")),
        started_at=_moment(info.get("started_at")),
        ci=ci,
        labels=dict(labels or {}),
        build_name=build_name or _text(info.get("build_name")),
        run_info=dict(run_info) if run_info is not None else None,
    )


def _redacted_run_info(run_info: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The run file with its command and context redacted again, by today's rules: a
    run file written by an older kitprof, or by hand, may hold a credential."""
    if run_info is None:
        return None
    from profiler.capture.command import redact_arg, redact_argv

    info = dict(run_info)
    command = info.get("command")
    if isinstance(command, list):
        info["command"] = list(redact_argv([str(part) for part in command]))
    elif isinstance(command, str):
        info["command"] = redact_script(command)
    if isinstance(info.get("context"), str):
        info["context"] = redact_arg(info["context"])
    return info


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _command(value: Any) -> str | None:
    if isinstance(value, list):
        return shlex.join(str(part) for part in value) or None
    return _text(value)


def _moment(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
