"""The options of a build command that decide what it builds: ``-f``, ``--build-arg``,
``--target``, ``--no-cache``, read from a command line (a list, or the shell-like line
a run keeps). ``kitprof run`` reads them to know which Dockerfile and context sources
the build reads; ``compare`` to tell a changed build argument from a changed file.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BuildOptions:
    dockerfile: str | None = None
    """``-f``/``--file`` as given (``None``: ``Dockerfile`` in the context)."""
    build_args: Mapping[str, str] = field(default_factory=dict)
    """``--build-arg`` (buildctl: ``--opt build-arg:…``); a bare ``KEY`` takes the
    environment's value when ``environ`` is given, else it is left out."""
    target: str | None = None
    no_cache: bool = False
    """``--no-cache``: every step runs again, whatever changed."""
    no_cache_filter: tuple[str, ...] = ()


def build_options(
    command: Sequence[str] | str | None, environ: Mapping[str, str] | None = None
) -> BuildOptions:
    """The options of ``command`` (a list of words or a shell-like line)."""
    if command is None:
        return BuildOptions()
    if isinstance(command, str):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
    else:
        words = list(command)
    dockerfile: str | None = None
    target: str | None = None
    args: dict[str, str] = {}
    no_cache = False
    filters: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, value = word.partition("=")
        has_value = bool(equals)
        if flag in {"-f", "--file", "--build-arg", "--target", "--opt", "--no-cache-filter"}:
            if not has_value:
                value = words[index + 1] if index + 1 < len(words) else ""
                index += 1
            if flag in {"-f", "--file"}:
                dockerfile = value
            elif flag == "--target":
                target = value
            elif flag == "--no-cache-filter":
                filters.extend(part for part in value.split(",") if part)
            elif flag == "--opt":
                if value.startswith("build-arg:"):
                    _assign(args, value.removeprefix("build-arg:"), environ)
                elif value.startswith("filename="):
                    dockerfile = value.removeprefix("filename=")
                elif value.startswith("target="):
                    target = value.removeprefix("target=")
            else:
                _assign(args, value, environ)
        elif word == "--no-cache" or (flag == "--no-cache" and value.lower() == "true"):
            no_cache = True
        index += 1
    return BuildOptions(dockerfile, args, target, no_cache, tuple(filters))


def _assign(args: dict[str, str], assignment: str, environ: Mapping[str, str] | None) -> None:
    name, equals, value = assignment.partition("=")
    if not name:
        return
    if equals:
        args[name] = value
    elif environ is not None and name in environ:
        args[name] = environ[name]
