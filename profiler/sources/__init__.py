"""Every input kitprof reads, opened in one place.

:func:`read_builds` takes a path, ``"-"`` (standard input), bytes or a binary stream,
tells by content what it is (:mod:`~profiler.sources.detect`) and hands it to that
format's reader: :mod:`~profiler.sources.rawjson`, :mod:`~profiler.sources.plain` or
:mod:`~profiler.sources.dockerbuild` (Docker's own records, one build per record).
One input may hold several builds (a CI job that builds twice, ``docker compose
build`` of several services); :func:`read_build` wants exactly one.

No other module opens or sniffs an input file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from profiler.errors import InputError, StreamError
from profiler.model import Build
from profiler.sources.archive import read_zip_builds
from profiler.sources.detect import Detector, Format, UnsupportedInput
from profiler.sources.dockerbuild import read_records
from profiler.sources.limits import InputTooLarge, current_limits, too_many_steps
from profiler.sources.opening import (
    Replay,
    Source,
    open_chunks,
    raw_chunks,
    read_input,
    source_label,
)
from profiler.sources.plain import read_plain_builds
from profiler.sources.rawjson import read_rawjson_chunks
from profiler.sources.targets import split_by_target
from profiler.validate import validate_build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

ProgressCallback = Callable[[int], None]


class SeveralBuilds(InputError):
    """One build was asked for and the input holds several."""

    def __init__(self, label: str, builds: list[Build]) -> None:
        self.builds = builds
        super().__init__(
            f"{label} holds {len(builds)} builds: choose one with --build N (1 to "
            f"{len(builds)}) or --build NAME"
        )


def read_builds(
    source: Source,
    *,
    on_progress: ProgressCallback | None = None,
    dockerfile: Dockerfile | str | Path | None = None,
    per_target: bool = False,
) -> list[Build]:
    """Every build the input holds, in the order they start.

    ``source`` is a path, ``"-"`` for standard input, the input's bytes, or a binary
    file object; gzip is recognised by its magic bytes. ``on_progress`` is called with
    the number of (uncompressed) bytes read, once per chunk. ``dockerfile`` (parsed or
    a path) tells a plain log's stages which stage they are built ``FROM``.

    A rawjson stream of one bake session (``docker buildx bake`` of several targets,
    ``docker compose build`` of several services) is one build whose stages carry
    their target; with ``per_target`` it is one build per target, named after it, as
    a plain log's session and a bake's records always are. The history and ``kitprof
    run`` keep one run per target (:func:`~profiler.sources.targets.split_by_target`).

    Raises :class:`~profiler.errors.InputError` if the input cannot be read and
    :class:`~profiler.errors.StreamError` (:class:`UnsupportedInput` for a log of
    another builder) if it holds no build kitprof can read.
    """
    label = source_label(source)
    with Replay(open_chunks(source)) as replay:
        detector = Detector()
        for chunk in replay.read_ahead():
            if detector.feed(chunk) is not None:
                break
        detection = detector.result()
        if detection.format is Format.EMPTY:
            raise StreamError("empty input: expected the output of a build with --progress=rawjson")
        if not detection.format.readable:
            raise UnsupportedInput(detection.format, label)
        if detection.format is Format.RAWJSON:
            session = read_rawjson_chunks(replay.chunks(), on_progress=on_progress)
            builds = split_by_target(session) if per_target else [session]
        elif detection.format is Format.DOCKERBUILD:
            # A record is a few KB to a few MB, and a tar is not read as it streams.
            data = b"".join(replay.chunks())
            if on_progress is not None:
                on_progress(len(data))
            builds = read_records(data, label)
        elif detection.format is Format.ZIP:
            # A zip's directory is at its end: the whole archive is needed first.
            data = b"".join(_counted(replay.chunks(), on_progress))
            return read_zip_builds(
                data,
                label,
                lambda member: read_builds(member, dockerfile=dockerfile, per_target=per_target),
            )
        else:
            parsed = _parsed(dockerfile)
            builds = read_plain_builds(replay.chunks(), dockerfile=parsed, on_progress=on_progress)
    max_steps = current_limits().max_steps
    for build in builds:
        if len(build.steps) > max_steps:
            raise too_many_steps(label, len(build.steps), max_steps)
    return [
        validate_build(dataclasses.replace(build, source_format=detection.format.value), label)
        for build in builds
    ]


def read_build(
    source: Source,
    *,
    on_progress: ProgressCallback | None = None,
    dockerfile: Dockerfile | str | Path | None = None,
    per_target: bool = False,
) -> Build:
    """The one build the input holds; :class:`SeveralBuilds` if it holds more."""
    builds = read_builds(
        source, on_progress=on_progress, dockerfile=dockerfile, per_target=per_target
    )
    if len(builds) > 1:
        raise SeveralBuilds(source_label(source), builds)
    return builds[0]


def select_build(builds: list[Build], choice: str | None, label: str = "input") -> Build:
    """The build ``choice`` names among ``builds``: its number (1-based) or its name.

    With no choice, the only build; :class:`SeveralBuilds` if there are several.
    """
    if choice is None:
        if len(builds) > 1:
            raise SeveralBuilds(label, builds)
        return builds[0]
    return builds[build_position(builds, choice, label)]


def build_position(builds: list[Build], choice: str, label: str = "input") -> int:
    """The 0-based position of the build ``choice`` names (a number from 1, or a name)."""
    text = choice.strip()
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(builds):
            return number - 1
        raise InputError(
            f"{label} holds {len(builds)} build{'s' if len(builds) != 1 else ''}: "
            f"there is no build {number}"
        )
    named = [position for position, build in enumerate(builds) if build.name == text]
    if len(named) == 1:
        return named[0]
    names = ", ".join(build.name for build in builds if build.name) or "none has a name"
    if named:
        raise InputError(f"{label} holds {len(named)} builds named {text!r}: use --build N")
    raise InputError(f"{label} holds no build named {text!r} (names: {names})")


def build_heading(build: Build, index: int, count: int) -> str:
    """How reports title one build of several: ``build 2 of 3: api``."""
    heading = f"build {index} of {count}"
    return f"{heading}: {build.name}" if build.name else heading


def _counted(chunks: Iterator[bytes], on_progress: ProgressCallback | None) -> Iterator[bytes]:
    for chunk in chunks:
        if on_progress is not None:
            on_progress(len(chunk))
        yield chunk


def _parsed(dockerfile: Dockerfile | str | Path | None) -> Dockerfile | None:
    if isinstance(dockerfile, str | Path):
        from profiler.dockerfile import read_dockerfile

        return read_dockerfile(dockerfile)
    return dockerfile


__all__ = [
    "Format",
    "InputTooLarge",
    "SeveralBuilds",
    "Source",
    "UnsupportedInput",
    "build_heading",
    "build_position",
    "raw_chunks",
    "read_build",
    "read_builds",
    "read_input",
    "select_build",
]
