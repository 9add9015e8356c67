"""Profile a build end to end: run it, keep the stream and its metadata, analyse it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import resource
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from profiler.analysis import BuildAnalysis, analyze
from profiler.capture.command import BuildCommand, Tool, prepare_command, redact_arg
from profiler.capture.display import Display, QuietDisplay
from profiler.capture.history import export_run_records, history_refs_of_run
from profiler.capture.manifest import RunManifest, run_manifest
from profiler.capture.paths import (
    PRIVATE_FILE_MODE,
    default_stream_path,
    make_private_dir,
    new_run_id,
    private_opener,
)
from profiler.capture.runner import CommandNotFoundError, capture
from profiler.environment import EnvironmentProbe, RunInfo, collect_host, local_context
from profiler.errors import KitprofError, StreamError
from profiler.model import Build
from profiler.runfile import read_run_info_file, run_info_path
from profiler.sources.detect import Format
from profiler.sources.targets import split_by_target

if TYPE_CHECKING:
    from python_on_whales import DockerClient


INTERRUPTED_EXIT_CODE = 130


class OutputExistsError(KitprofError):
    """``--out`` names a file that exists; kitprof never overwrites without ``--force``."""

    exit_code = 2


class OutputError(KitprofError):
    """The stream file cannot be created."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A profiled run: its metadata, the saved stream, and the analysed build."""

    run: RunInfo
    stream_path: Path
    run_info_path: Path
    build: Build | None
    """``None`` when the stream held no build step (the command printed no rawjson)."""
    analysis: BuildAnalysis | None
    problem: str | None = None
    """Why there is no build, when there is none."""
    builds: tuple[Build, ...] = ()
    """The build per target: one for most commands, one per service of ``docker
    compose build`` (per target of a bake), named after it, as the history keeps them."""
    record_path: Path | None = None
    """Docker's own record(s) of the run (``docker buildx history export``, buildx
    0.23+), beside the stream as ``<stem>.dockerbuild``; ``None`` if there is none."""
    context: RunManifest | None = None
    """The context manifest and Dockerfile taken as the build started (``None``: not
    asked for, ``manifest=False``)."""

    @property
    def exit_code(self) -> int:
        """What ``kitprof run`` exits with: the build's exit code, except 130 (as for
        any program stopped by Ctrl-C) when an interrupt made the build fail. The
        build's own code stays in ``run.exit_code``."""
        code = self.run.exit_code if self.run.exit_code is not None else 1
        return INTERRUPTED_EXIT_CODE if self.run.interrupted and code != 0 else code

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def interrupted(self) -> bool:
        return self.run.interrupted


def _now() -> datetime:
    return datetime.now(UTC)


def _open_stream(path: Path, force: bool) -> Any:
    info_path = run_info_path(path)
    if not force:
        for existing in (path, info_path):
            if existing.exists():
                raise OutputExistsError(
                    f"{existing} exists: kitprof does not overwrite it without --force"
                )
    try:
        make_private_dir(path.parent)
        # Unbuffered: each chunk is in the file as soon as it is written.
        return open(path, "wb" if force else "xb", buffering=0, opener=private_opener)
    except FileExistsError:
        raise OutputExistsError(
            f"{path} exists: kitprof does not overwrite it without --force"
        ) from None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def write_run_info(info: RunInfo, path: Path) -> None:
    """Write ``<stem>.run.json`` atomically (a reader never sees half a file)."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb", opener=private_opener) as handle:
        handle.write(orjson.dumps(info.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    temporary.replace(path)


def read_run_info(path: str | Path) -> RunInfo:
    """A run file, as the :class:`RunInfo` it was written from."""
    return RunInfo.from_dict(read_run_info_file(Path(path)))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 3)


def run_build(
    command: Sequence[str] | BuildCommand,
    *,
    out: str | Path | None = None,
    force: bool = False,
    display: Display | None = None,
    stdout: int | None = None,
    cwd: str | Path | None = None,
    collect_docker: bool = True,
    manifest: bool = True,
) -> Profile:
    """Run a build command under kitprof and return the analysed build.

    The library behind ``kitprof run``. ``command`` is the command line as the user
    types it (``["docker", "buildx", "build", "."]``); it is made to print the rawjson
    stream (see :func:`~profiler.capture.command.prepare_command`). The stream is saved
    to ``out`` (default: a new file in the kitprof data directory) and the metadata
    next to it as ``<stem>.run.json``. With ``manifest``, the context's manifest is
    taken beside the build (:mod:`profiler.capture.manifest`). The build's exit code
    is ``Profile.exit_code``: a failed build is a result, not an exception.

    Raises :class:`~profiler.capture.command.ProgressModeError` (another progress
    mode asked for), :class:`OutputExistsError`, :class:`OutputError`,
    :class:`~profiler.capture.runner.CommandNotFoundError`.
    """
    prepared = command if isinstance(command, BuildCommand) else prepare_command(command)
    display = display if display is not None else QuietDisplay()
    started_at = _now()
    run_id = new_run_id(started_at)
    stream_path = Path(out) if out is not None else default_stream_path(run_id)
    info_path = run_info_path(stream_path)
    workdir = Path(cwd) if cwd is not None else Path.cwd()
    context_dir = local_context(prepared.context, workdir)
    sink = _open_stream(stream_path, force)
    info = RunInfo(
        id=run_id,
        command=list(prepared.redacted),
        tool=prepared.tool.value,
        cwd=str(workdir.resolve()),
        context=str(context_dir)
        if context_dir is not None
        else prepared.context and redact_arg(prepared.context),
        stream=str(stream_path),
        started_at=started_at.isoformat(),
        host=collect_host(),
    )
    probe = EnvironmentProbe(
        context_dir, prepared.docker_options, prepared.builder, docker=collect_docker
    )
    # Taken while the build starts (BuildKit reads the context at its start too),
    # so it adds no wall time to the run.
    # docker (buildx) build only: bake files and scripts name their own Dockerfiles.
    manifests = (
        _ManifestThread(context_dir, prepared.argv, workdir)
        if manifest and prepared.tool in {Tool.DOCKER_BUILD, Tool.BUILDX_BUILD}
        else None
    )
    try:
        # Written first, so a kitprof killed mid-build still leaves the metadata.
        write_run_info(info, info_path)
        with sink:
            outcome = capture(
                prepared,
                sink,
                display=display,
                stdout=stdout,
                cwd=cwd,
                beside=probe.start_once,
                stream_label=str(stream_path),
            )
    except KitprofError:
        # The command did not start (not found, not executable): nothing was recorded.
        _remove(stream_path, info_path)
        if manifests is not None:
            manifests.result()
        raise

    build = outcome.recorder.build(truncated=outcome.truncated, require_steps=False)
    problem: str | None = None
    if not build.steps:
        try:
            outcome.recorder.build(truncated=outcome.truncated, require_steps=True)
        except StreamError as error:
            problem = str(error)
    # Parsed live as it streamed (profiler.sources reads the saved file the same way).
    build = dataclasses.replace(
        build, notes=(*build.notes, *outcome.notes), source_format=Format.RAWJSON.value
    )
    analysis = analyze(build) if build.steps else None

    probe.start_once()  # if the build ended before the probe's time came
    probe.wait()
    info.git = probe.git
    info.docker = probe.docker_info
    info.ended_at = _now().isoformat()
    info.wall_seconds = round(outcome.wall_seconds, 6)
    info.exit_code = outcome.exit_code
    info.interrupted = outcome.interrupted
    info.capture = dataclasses.replace(outcome.stats, cpu_seconds=_cpu_seconds())
    record_path: Path | None = None
    if collect_docker:
        info.history_refs = history_refs_of_run(prepared, info.docker, started_at, context_dir)
        record_path = _export_records(prepared, info.history_refs, stream_path, force)
    write_run_info(info, info_path)
    return Profile(
        run=info,
        stream_path=stream_path,
        run_info_path=info_path,
        build=build if build.steps else None,
        analysis=analysis,
        problem=problem,
        builds=tuple(split_by_target(build)) if build.steps else (),
        record_path=record_path,
        context=manifests.result() if manifests is not None else None,
    )


class _ManifestThread:
    def __init__(self, context_dir: Path | None, argv: Sequence[str], cwd: Path) -> None:
        self._result: RunManifest | None = None
        self._thread = threading.Thread(
            target=self._run, args=(context_dir, tuple(argv), cwd), daemon=True
        )
        self._thread.start()

    def _run(self, context_dir: Path | None, argv: tuple[str, ...], cwd: Path) -> None:
        try:
            self._result = run_manifest(context_dir, argv, cwd)
        except Exception as error:  # a manifest must never cost the run
            self._result = RunManifest(None, None, f"context manifest failed: {error}")

    def result(self) -> RunManifest:
        self._thread.join()
        assert self._result is not None
        return self._result


RECORD_SUFFIX = ".dockerbuild"


def _export_records(
    command: BuildCommand, refs: list[str] | None, stream_path: Path, force: bool
) -> Path | None:
    """The run's records exported beside its stream (never over a file of the user's
    unless ``--force``), so that the run and Docker's record of it are kept together."""
    if not refs:
        return None
    target = stream_path.with_suffix(RECORD_SUFFIX)
    if target == stream_path or (target.exists() and not force):
        return None
    exported = export_run_records(command, refs, target)
    if exported is None:
        return None
    with contextlib.suppress(OSError):
        os.chmod(exported, PRIVATE_FILE_MODE)  # what a run keeps is the user's alone
    if _holds_secrets(exported):
        _remove(exported)
        return None
    return exported


def _holds_secrets(record: Path) -> bool:
    """Whether Docker's record keeps what kitprof redacts everywhere else: the value of a
    secret-looking build arg (from the command line, the environment or a compose
    file), or a URL's credentials. Such a record is not kept: kitprof cannot edit it
    without breaking its digests. An unreadable record counts as one."""
    from profiler.redaction import looks_secret, redact_urls
    from profiler.sources import read_builds

    try:
        builds = read_builds(record)
    except KitprofError:
        return True
    for build in builds:
        if build.record is None:
            continue
        if any(looks_secret(key) and value for key, value in build.record.build_args.items()):
            return True
        if any(redact_urls(value) != value for value in build.record.frontend_attrs.values()):
            return True
    return False


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def profile_build(
    context_path: str | os.PathLike[str] = ".",
    *,
    file: str | os.PathLike[str] | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    secrets: str | Sequence[str] = (),
    tags: str | Sequence[str] = (),
    network: str | None = None,
    platforms: Sequence[str] | None = None,
    builder: str | None = None,
    cache: bool = True,
    load: bool = False,
    pull: bool = False,
    extra_args: Sequence[str] = (),
    out: str | Path | None = None,
    force: bool = False,
    display: Display | None = None,
    docker: DockerClient | None = None,
) -> Profile:
    """Run ``docker buildx build`` with the usual arguments and return the analysed build.

    The arguments mirror python-on-whales' ``docker.buildx.build`` (``secrets`` are
    ``"id=x,src=path"`` strings, ``tags`` one or many). ``docker`` is a
    python-on-whales ``DockerClient``: its docker binary and client options
    (context, host, config) are used, so a client configured for a remote daemon
    profiles a build there.

    Why kitprof runs the CLI itself rather than calling ``docker.buildx.build``:
    python-on-whales offers the progress modes auto/plain/tty only, and its
    ``stream_logs`` yields decoded stderr lines after the fact. kitprof needs the raw
    ``--progress=rawjson`` bytes, saved to disk before any parsing, and control of
    the process to forward Ctrl-C. So it runs exactly the command python-on-whales
    would run, with ``--progress=rawjson``, through the same engine as ``kitprof run``.
    A failed build is returned (see ``Profile.exit_code``), not raised.
    """
    if docker is None:
        from python_on_whales import docker as default_client

        docker = default_client
    try:
        base = [str(part) for part in docker.client_config.docker_cmd]
    except Exception as error:
        raise CommandNotFoundError(f"docker client not found: {error}") from None
    argv = [*base, "buildx", "build", "--progress=rawjson"]
    if builder:
        argv += ["--builder", builder]
    if file is not None:
        argv += ["--file", os.fspath(file)]
    if target:
        argv += ["--target", target]
    for key, value in (build_args or {}).items():
        argv += ["--build-arg", f"{key}={value}"]
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        argv += ["--secret", secret]
    for tag in [tags] if isinstance(tags, str) else tags:
        argv += ["--tag", tag]
    if network:
        argv += ["--network", network]
    if platforms:
        argv += ["--platform", ",".join(platforms)]
    if not cache:
        argv.append("--no-cache")
    if load:
        argv.append("--load")
    if pull:
        argv.append("--pull")
    argv += [*extra_args, os.fspath(context_path)]
    return run_build(argv, out=out, force=force, display=display)


__all__ = [
    "OutputError",
    "OutputExistsError",
    "Profile",
    "profile_build",
    "read_run_info",
    "run_build",
    "write_run_info",
]
