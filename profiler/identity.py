"""Which build a run is a run of: a stable name from what the user would call it.

A history holds runs of many builds (several Dockerfiles, targets, bake targets,
compose services, repositories); medians, trends and comparisons only mean something
between runs of one build. The name is made of up to three parts, each from the most
reliable place that knows it:

- the **project**: the build context's folder (``docker build ~/src/shop`` → ``shop``),
  else the CI job, else the folder the stream file sits in;
- the **Dockerfile**, when it is not the default ``Dockerfile`` (``-f docker/ci.Dockerfile``);
- the **target**: ``--target``, else the bake targets or compose service the stream
  names; for a stream with no command recorded, the final stage(s): those no other
  stage builds on. BuildKit announces every vertex of the graph before it runs any,
  so a failed run names the same final stage as a good one (not the stage it ended
  in), and two Dockerfiles whose streams share a folder get different names.

``shop``, ``shop:api``, ``shop/docker/ci.Dockerfile:test``. ``--build-name`` on
``kitprof run`` and ``kitprof ingest`` replaces the whole name.
"""

from __future__ import annotations

import shlex
from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from profiler.model import Build

DEFAULT_DOCKERFILE = "Dockerfile"
UNNAMED = "unnamed build"
MAX_LENGTH = 255


def build_identity(
    build: Build | None,
    *,
    command: str | None = None,
    context: str | None = None,
    ci_job: str | None = None,
    source: str | None = None,
    override: str | None = None,
) -> str:
    """The build's name (see the module doc); ``override`` wins when given."""
    if override and override.strip():
        return override.strip()[:MAX_LENGTH]
    flags = command_flags(command)
    project = _folder(context) or (ci_job.strip() if ci_job else None) or _stream_folder(source)
    dockerfile = flags.get("file")
    target = flags.get("target") or _stream_target(build)
    if target is None and not command:
        target = final_stages(build)
    name = project or ""
    if dockerfile and PurePosixPath(dockerfile).name != DEFAULT_DOCKERFILE:
        name = f"{name}/{dockerfile}" if name else dockerfile
    if target:
        name = f"{name}:{target}" if name else target
    return (name or UNNAMED)[:MAX_LENGTH]


def command_flags(command: str | None) -> dict[str, str]:
    """``--file``/``-f`` and ``--target`` of a recorded build command, and bake's
    targets (its positional arguments) as ``target``."""
    if not command:
        return {}
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    found: dict[str, str] = {}
    names = {"-f": "file", "--file": "file", "--target": "target"}
    bake = "bake" in words
    positionals: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, value = word.partition("=")
        if flag in names:
            if not equals and index + 1 < len(words):
                value = words[index + 1]
                index += 1
            found.setdefault(names[flag], value)
        elif bake and not word.startswith("-") and words.index("bake") < index:
            positionals.append(word)
        index += 1
    if bake or "compose" in words or PurePath(words[0] if words else "").name == "docker-compose":
        found.pop("file", None)  # a bake or compose file names targets, not one Dockerfile
        if positionals:
            found["target"] = "+".join(sorted(positionals))
    return found


def _folder(context: str | None) -> str | None:
    if not context or context == "-" or "://" in context or context.startswith("git@"):
        return None
    name = PurePath(context.rstrip("/\\")).name
    return name if name not in ("", ".", "..") else None


def _stream_folder(source: str | None) -> str | None:
    if not source or source in ("-", "stream"):
        return None
    return _folder(str(PurePath(source).parent))


def _stream_target(build: Build | None) -> str | None:
    if build is None:
        return None
    targets = sorted({step.parsed.target for step in build if step.parsed.target})
    if build.name and build.name in targets:
        # One target of a bake session: the vertices it shares with the others are
        # printed under their names too.
        return build.name
    if targets:
        return "+".join(targets)
    return build.name


def final_stages(build: Build | None) -> str | None:
    """The stages no other stage takes input from (``+``-joined, sorted)."""
    if build is None:
        return None
    from profiler.names import StepKind

    steps = [step for step in build if step.kind is StepKind.STEP]
    # A FROM vertex is shared by every stage built from that image and named after
    # one of them: it says nothing about which stage builds on which.
    stage_of = {step.digest: step.stage_key for step in steps if step.parsed.instruction != "FROM"}
    used = {
        stage_of[digest]
        for step in steps
        for digest in step.inputs
        if digest in stage_of and stage_of[digest] != step.stage_key
    }
    finals = sorted({step.stage_key for step in steps} - used)
    return "+".join(finals) if finals else None
