"""Understand the build command a user hands to ``kitprof run``.

kitprof runs the command the user already types. What it must know about it:

- which tool it is (``docker build``, ``docker buildx build``, ``docker buildx bake``,
  ``docker compose build``, ``buildctl build``, or anything else, such as a script
  that calls one of those);
- how to make it print the rawjson stream: ``BUILDKIT_PROGRESS=rawjson`` in the
  environment for docker and buildx (honoured when no ``--progress`` flag is given;
  it also reaches builds started by wrapper scripts), an added ``--progress=rawjson``
  for buildctl, which ignores that variable;
- whether the user asked for another progress mode, which would leave kitprof with
  nothing to read: that is refused up front;
- the context path, the builder and the docker client options, for the run metadata;
- the command line as it may be stored and shown: with secrets redacted.

Redaction policy (also in ``kitprof run --help``):

- ``--build-arg KEY=VALUE`` (and bake's ``--set target.args.KEY=VALUE``, buildctl's
  ``--opt build-arg:KEY=VALUE``): the value is replaced by ``<redacted>`` when the key
  looks secret (it contains TOKEN, SECRET, PASSWORD, AUTH, CREDENTIAL, PRIVATE,
  APIKEY…, or has a part such as KEY, PAT, PASS, PWD, CERT, DSN). Other build-arg
  values are kept, because a later comparison needs them to explain cache misses,
  and because BuildKit itself prints them in step names (``RUN echo $VERSION`` is
  shown expanded), so they are in the stream anyway: secrets belong in ``--secret``.
- ``--secret id=x,src=path`` / ``id=x,env=NAME``: ``id``, ``type`` and ``env`` (the
  name of a variable, not its value) are kept; every other field is redacted.
- Everywhere (context, ``--build-context``, ``-H``, any value): the userinfo of a URL
  (``https://user:pw@host``, ``https://TOKEN@host/repo.git``) is replaced.
- Wrappers: ``env``/``sudo`` assignments (``NPM_TOKEN=…``) by the key rule, the script
  of ``sh -c`` / ``bash -c`` by both rules (see :mod:`profiler.redaction`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

from profiler.errors import KitprofError
from profiler.redaction import (
    REDACTED,
    looks_secret,
    redact_assignment,
    redact_script,
    redact_urls,
)

RAWJSON = "rawjson"
PROGRESS_ENV = "BUILDKIT_PROGRESS"


class ProgressModeError(KitprofError):
    """The command asks for a progress mode other than rawjson: nothing to profile."""

    exit_code = 2


class Tool(StrEnum):
    DOCKER_BUILD = "docker build"
    BUILDX_BUILD = "docker buildx build"
    BUILDX_BAKE = "docker buildx bake"
    BUILDCTL = "buildctl build"
    COMPOSE_BUILD = "docker compose build"
    """Compose 2.37+ builds through bake and prints the stream on stdout."""
    OTHER = "other"
    """Anything else (a script, make): only the environment variable selects rawjson."""


@dataclass(frozen=True, slots=True)
class BuildCommand:
    """A build command made ready to run under kitprof."""

    argv: tuple[str, ...]
    """What runs: the user's command, plus ``--progress=rawjson`` for buildctl."""
    tool: Tool
    env: dict[str, str] = field(default_factory=dict)
    """Variables added to the environment of the command."""
    context: str | None = None
    """The build context as given (a path, a URL or ``-``); ``None`` for bake and others."""
    builder: str | None = None
    """``--builder`` of a buildx command, when given."""
    docker_options: dict[str, str] = field(default_factory=dict)
    """Global docker client options that select the daemon: context, host, config."""
    redacted: tuple[str, ...] = ()
    """The command line safe to store and print."""

    @property
    def display(self) -> str:
        """The redacted command as one shell-like line, for messages."""
        return " ".join(_shell_quote(arg) for arg in self.redacted)


# -- the docker client's own options, before the subcommand -------------------------

_DOCKER_VALUE_OPTIONS = {
    "--config": "config",
    "-c": "context",
    "--context": "context",
    "-H": "host",
    "--host": "host",
    "-l": "",
    "--log-level": "",
    "--tlscacert": "",
    "--tlscert": "",
    "--tlskey": "",
}
_BUILDX_VALUE_OPTIONS = {"--builder"}
_COMPOSE_VALUE_OPTIONS = {
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--env-file",
    "--profile",
    "--ansi",
    "--parallel",
    "--progress",
}
_BUILDCTL_VALUE_OPTIONS = {
    "--addr",
    "--tlsservername",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--tlsdir",
    "--timeout",
    "--log-format",
}

# Flags of build/bake/buildctl that take no value; every other ``--flag`` without
# ``=`` is taken to consume the next argument. Only used to find the context and
# the flags kitprof cares about, so an unknown boolean costs at worst a context path.
_BOOLEAN_FLAGS = frozenset(
    {
        "--load",
        "--push",
        "--no-cache",
        "--pull",
        "--quiet",
        "--rm",
        "--force-rm",
        "--squash",
        "--compress",
        "--disable-content-trust",
        "--debug",
        "--check",
        "--print",
        "--list-targets",
        "--list-variables",
        "--detach",
        "--help",
    }
)
_SHORT_VALUE_FLAGS = frozenset({"-f", "-t", "-o"})
"""Short forms of --file, --tag, --output; other short flags (-q, -D) take no value."""

_SECRET_KEEP_FIELDS = frozenset({"id", "type", "env"})


def redact_build_arg(assignment: str) -> str:
    """``KEY=VALUE`` with the value redacted per the module's policy."""
    if "=" not in assignment:
        return assignment  # ``--build-arg KEY`` takes the value from the environment
    return redact_assignment(assignment)


def redact_secret_spec(spec: str) -> str:
    """``id=x,src=/path`` → ``id=x,src=<redacted>``: ids, types and env names are kept."""
    fields = []
    for item in spec.split(","):
        name, sep, _ = item.partition("=")
        if not sep:
            # "--secret mysecret" (a bare id in newer buildx) is only a name.
            fields.append(item)
        elif name.strip().lower() in _SECRET_KEEP_FIELDS:
            fields.append(item)
        else:
            fields.append(f"{name}={REDACTED}")
    return ",".join(fields)


def _redact_bake_set(assignment: str) -> str:
    """bake ``--set target.args.KEY=VALUE`` / ``target.secrets=…``."""
    path, sep, value = assignment.partition("=")
    if not sep:
        return assignment
    lowered = path.lower()
    if ".args." in lowered:
        key = path.rsplit(".", 1)[-1]
        return f"{path}={REDACTED if looks_secret(key) else redact_urls(value)}"
    if lowered.endswith((".secrets", ".secret")):
        return f"{path}={redact_secret_spec(value)}"
    return f"{path}={redact_urls(value)}"


def _redact_buildctl_opt(option: str) -> str:
    """buildctl ``--opt build-arg:KEY=VALUE``."""
    if option.startswith("build-arg:"):
        return "build-arg:" + redact_build_arg(option[len("build-arg:") :])
    return redact_assignment(option)


_VALUE_REDACTORS = {
    "--build-arg": redact_build_arg,
    "--secret": redact_secret_spec,
    "--set": _redact_bake_set,
    "--opt": _redact_buildctl_opt,
}


def redact_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """The command line with secret values replaced (see the module docstring).

    Wrappers are read through: ``env``/``sudo`` assignments (``NPM_TOKEN=…``) are
    redacted by key like any ``KEY=VALUE`` argument, and the script of ``sh -c`` /
    ``bash -c`` by :func:`~profiler.redaction.redact_script`.
    """
    out: list[str] = []
    pending: str | None = None
    shell_seen = False
    script_next = False
    for arg in argv:
        if pending is not None:
            out.append(_VALUE_REDACTORS[pending](arg))
            pending = None
            continue
        if script_next:
            out.append(redact_script(arg))
            script_next = False
            continue
        flag, sep, value = arg.partition("=")
        if flag in _VALUE_REDACTORS:
            if sep:
                out.append(f"{flag}={_VALUE_REDACTORS[flag](value)}")
            else:
                out.append(arg)
                pending = flag
            continue
        if shell_seen and _SHELL_COMMAND_FLAG.match(arg):
            script_next = True
        shell_seen = shell_seen or _program(arg) in _SHELLS
        out.append(redact_arg(arg))
    return tuple(out)


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "fish"})
_SHELL_COMMAND_FLAG = re.compile(r"^-[A-Za-z]*c[A-Za-z]*$")
"""``-c``, ``-ec``, ``-lc``, ``-xec``: the shell runs the next argument as a script."""


def redact_arg(arg: str) -> str:
    """Any other argument: a secret ``KEY=VALUE`` (``env``, ``sudo``) loses its value;
    every argument loses URL userinfo and any secret assignment inside it
    (``make ARGS='--build-arg NPM_TOKEN=…'``)."""
    key, sep, _ = arg.partition("=")
    if sep and not key.startswith("-"):
        redacted = redact_assignment(arg)
        if redacted.endswith(f"={REDACTED}"):
            return redacted
    return redact_script(arg)


# -- recognising the tool --------------------------------------------------------------


def _program(arg: str) -> str:
    name = PurePath(arg).name.lower()
    return name.removesuffix(".exe")


def _skip_options(
    args: Sequence[str], start: int, value_options: set[str] | dict[str, str]
) -> tuple[int, dict[str, str]]:
    """Index of the first non-option argument from ``start``, and the options seen."""
    seen: dict[str, str] = {}
    index = start
    while index < len(args):
        arg = args[index]
        if not arg.startswith("-") or arg == "-":
            break
        flag, sep, value = arg.partition("=")
        if flag in value_options and not sep:
            if index + 1 < len(args):
                seen[flag] = args[index + 1]
            index += 2
            continue
        if sep:
            seen[flag] = value
        index += 1
    return index, seen


@dataclass(frozen=True, slots=True)
class _Scan:
    progress: str | None
    progress_index: int | None
    positionals: list[str]
    builder: str | None


def _scan_build_args(args: Sequence[str], start: int) -> _Scan:
    """Walk the subcommand's arguments: --progress, --builder and positional args."""
    progress: str | None = None
    progress_index: int | None = None
    builder: str | None = None
    positionals: list[str] = []
    index = start
    while index < len(args):
        arg = args[index]
        if arg == "--":
            positionals.extend(args[index + 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            positionals.append(arg)
            index += 1
            continue
        flag, sep, value = arg.partition("=")
        takes_value = not sep and (
            flag in _SHORT_VALUE_FLAGS or (flag.startswith("--") and flag not in _BOOLEAN_FLAGS)
        )
        if takes_value and index + 1 < len(args):
            value = args[index + 1]
        if flag == "--progress":
            progress, progress_index = value, index
        elif flag == "--builder":
            builder = value
        index += 2 if takes_value else 1
    return _Scan(progress, progress_index, positionals, builder)


def _check_progress(progress: str | None, tool: Tool) -> None:
    if progress is None or progress.strip().lower() == RAWJSON:
        return
    fix = (
        "drop --progress or use --progress=rawjson"
        if tool is not Tool.BUILDCTL
        else "drop --progress (kitprof adds --progress=rawjson) or use --progress=rawjson"
    )
    raise ProgressModeError(
        f"kitprof needs --progress=rawjson, but the command asks for --progress={progress}: "
        f"{fix} (kitprof shows its own live progress)"
    )


def prepare_command(argv: Sequence[str]) -> BuildCommand:
    """Recognise the build tool and make the command print the rawjson stream.

    Raises :class:`ProgressModeError` when the command selects another progress mode.
    """
    if not argv:
        raise ProgressModeError("no build command given: kitprof run -- docker buildx build .")
    args = list(argv)
    env = {PROGRESS_ENV: RAWJSON}
    program = _program(args[0])
    if program == "buildctl":
        return _prepare_buildctl(args, env)
    if program == "docker-buildx":
        return _prepare_buildx(args, 1, env, {})
    if program == "docker-compose":
        return _prepare_compose(args, 1, env, {})
    if program != "docker":
        return BuildCommand(tuple(args), Tool.OTHER, env, redacted=redact_argv(args))
    index, seen = _skip_options(args, 1, _DOCKER_VALUE_OPTIONS)
    docker_options = {
        _DOCKER_VALUE_OPTIONS[flag]: value
        for flag, value in seen.items()
        if _DOCKER_VALUE_OPTIONS.get(flag)
    }
    sub = args[index] if index < len(args) else ""
    if sub == "buildx":
        return _prepare_buildx(args, index + 1, env, docker_options)
    if sub == "compose":
        return _prepare_compose(args, index + 1, env, docker_options)
    if sub == "build" or (sub in {"image", "builder"} and args[index + 1 : index + 2] == ["build"]):
        start = index + 1 if sub == "build" else index + 2
        return _prepare_build(args, start, Tool.DOCKER_BUILD, env, docker_options, None)
    return BuildCommand(
        tuple(args), Tool.OTHER, env, docker_options=docker_options, redacted=redact_argv(args)
    )


def _prepare_buildx(
    args: list[str], start: int, env: dict[str, str], docker_options: dict[str, str]
) -> BuildCommand:
    index, seen = _skip_options(args, start, _BUILDX_VALUE_OPTIONS)
    builder = seen.get("--builder")
    sub = args[index] if index < len(args) else ""
    if sub in {"build", "b"}:
        return _prepare_build(args, index + 1, Tool.BUILDX_BUILD, env, docker_options, builder)
    if sub in {"bake", "f"}:
        scan = _scan_build_args(args, index + 1)
        _check_progress(scan.progress, Tool.BUILDX_BAKE)
        return BuildCommand(
            tuple(args),
            Tool.BUILDX_BAKE,
            env,
            context=None,
            builder=scan.builder or builder or os.environ.get("BUILDX_BUILDER"),
            docker_options=docker_options,
            redacted=redact_argv(args),
        )
    return BuildCommand(
        tuple(args), Tool.OTHER, env, docker_options=docker_options, redacted=redact_argv(args)
    )


def _prepare_compose(
    args: list[str], start: int, env: dict[str, str], docker_options: dict[str, str]
) -> BuildCommand:
    """``docker compose [-f FILE] [--project-directory DIR] build [SERVICE…]``: the
    context kitprof records is the project directory (where the builds' records are
    named after)."""
    index, seen = _skip_options(args, start, _COMPOSE_VALUE_OPTIONS)
    if (args[index] if index < len(args) else "") != "build":
        return BuildCommand(
            tuple(args), Tool.OTHER, env, docker_options=docker_options, redacted=redact_argv(args)
        )
    _check_progress(seen.get("--progress"), Tool.COMPOSE_BUILD)
    _check_progress(_scan_build_args(args, index + 1).progress, Tool.COMPOSE_BUILD)
    compose_file = seen.get("-f") or seen.get("--file")
    project = seen.get("--project-directory") or (
        str(PurePath(compose_file).parent) if compose_file else "."
    )
    return BuildCommand(
        tuple(args),
        Tool.COMPOSE_BUILD,
        env,
        context=project,
        builder=os.environ.get("BUILDX_BUILDER"),
        docker_options=docker_options,
        redacted=redact_argv(args),
    )


def _prepare_build(
    args: list[str],
    start: int,
    tool: Tool,
    env: dict[str, str],
    docker_options: dict[str, str],
    builder: str | None,
) -> BuildCommand:
    scan = _scan_build_args(args, start)
    _check_progress(scan.progress, tool)
    return BuildCommand(
        tuple(args),
        tool,
        env,
        context=scan.positionals[-1] if scan.positionals else None,
        builder=scan.builder or builder or os.environ.get("BUILDX_BUILDER"),
        docker_options=docker_options,
        redacted=redact_argv(args),
    )


def _prepare_buildctl(args: list[str], env: dict[str, str]) -> BuildCommand:
    index, _ = _skip_options(args, 1, _BUILDCTL_VALUE_OPTIONS)
    sub = args[index] if index < len(args) else ""
    if sub not in {"build", "b"}:
        return BuildCommand(tuple(args), Tool.OTHER, env, redacted=redact_argv(args))
    scan = _scan_build_args(args, index + 1)
    _check_progress(scan.progress, Tool.BUILDCTL)
    if scan.progress is None:
        # buildctl does not read BUILDKIT_PROGRESS: ask for the stream explicitly.
        args = [*args[: index + 1], f"--progress={RAWJSON}", *args[index + 1 :]]
    context = _buildctl_context(args)
    return BuildCommand(
        tuple(args), Tool.BUILDCTL, env, context=context, redacted=redact_argv(args)
    )


def _buildctl_context(args: Sequence[str]) -> str | None:
    """The ``--local context=DIR`` of a buildctl build, if any."""
    for index, arg in enumerate(args):
        value: str | None = None
        if arg == "--local" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--local="):
            value = arg.removeprefix("--local=")
        if value is not None and value.startswith("context="):
            return value.removeprefix("context=")
    return None


_SAFE = re.compile(r"^[A-Za-z0-9_./:=,@%+-]+$")


def _shell_quote(arg: str) -> str:
    if arg and _SAFE.match(arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"
