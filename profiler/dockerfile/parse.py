"""Parse a Dockerfile the way BuildKit's frontend does (see the package docstring)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from profiler.dockerfile.model import (
    HEREDOC_INSTRUCTIONS,
    VERTEX_INSTRUCTIONS,
    Dockerfile,
    DockerfileError,
    Heredoc,
    Instruction,
    Stage,
)
from profiler.dockerfile.words import parse_flags, split_words, strip_flags
from profiler.errors import InputError
from profiler.model import Build

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)

# --------------------------------------------------------------------------- parsing


def read_dockerfile(path: str | Path) -> Dockerfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    return parse_dockerfile(text, path=path)


def recorded_dockerfile(build: Build) -> Dockerfile | None:
    """The Dockerfile Docker's build record carries (``.dockerbuild`` provenance).

    Its ``path`` stays ``None``: the record names the file, but the directory it was
    built in is on another machine, so nothing is looked up beside it.
    """
    text = build.record.dockerfile_text if build.record is not None else None
    if text is None:
        return None
    try:
        return parse_dockerfile(text)
    except DockerfileError:
        return None


def parse_dockerfile(text: str, path: Path | None = None) -> Dockerfile:
    """Parse a Dockerfile's text; raises :class:`DockerfileError` if it has no stage."""
    lines = tuple(text.splitlines(keepends=True))
    directives, first = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in {"\\", "`"}:
        raise DockerfileError(f"invalid escape directive {escape!r}: use \\ or `")
    raw = list(_raw_instructions(lines, first, escape))
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    defaults: dict[str, str] = {}
    # The open stage's FROM, and the global ARG defaults it expands with.
    current: tuple[Instruction, dict[str, str]] | None = None
    pending: list[Instruction] = []

    def close_stage() -> None:
        if current is not None:
            stages.append(_finish_stage(current[0], current[1], pending, stages))

    for instruction in raw:
        if instruction.keyword == "FROM":
            close_stage()
            pending = []
            current = (instruction, dict(defaults))
        elif current is None:
            if instruction.keyword == "ARG":
                global_args.append(instruction)
                defaults.update(arg_defaults(instruction))
            # Anything else before FROM is an error for BuildKit; kitprof only skips it.
        else:
            pending.append(instruction)
    close_stage()
    if not stages:
        raise DockerfileError("the Dockerfile has no FROM instruction")
    return Dockerfile(
        text=text,
        path=path,
        escape=escape,
        directives=directives,
        global_args=tuple(global_args),
        stages=tuple(stages),
        lines=lines,
    )


def _directives(lines: Sequence[str]) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if match is None:
            return found, index
        key = match.group(1).lower()
        if key in _KNOWN_DIRECTIVES and key not in found:
            found[key] = match.group(2)
    return found, len(lines)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _continues(body: str, escape: str) -> tuple[bool, str]:
    """Whether a line ends with the escape character; the line without it."""
    stripped = body.rstrip(" \t")
    if stripped.endswith(escape):
        return True, stripped[: -len(escape)]
    return False, body


def _raw_instructions(lines: Sequence[str], first: int, escape: str) -> Iterator[Instruction]:
    index = first
    count = len(lines)
    while index < count:
        line = lines[index].rstrip("\r\n")
        if not line.strip() or _is_comment(line):
            index += 1
            continue
        start = index
        parts: list[str] = []
        more, body = _continues(line, escape)
        parts.append(body)
        index += 1
        last = index
        while more and index < count:
            line = lines[index].rstrip("\r\n")
            index += 1
            # BuildKit skips comments and (with a warning) empty lines in a continuation.
            if _is_comment(line) or not line.strip():
                continue
            more, body = _continues(line, escape)
            parts.append(body)
            last = index
        index = last
        logical = "".join(parts).strip()
        keyword, _, arguments = logical.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
        heredocs: list[Heredoc] = []
        if keyword in HEREDOC_INSTRUCTIONS:
            for match in _HEREDOC.finditer(arguments):
                strip_tabs, name = match.group(1) == "-", match.group(3)
                body_lines: list[str] = []
                while index < count:
                    candidate = lines[index].rstrip("\r\n")
                    index += 1
                    compare = candidate.lstrip("\t") if strip_tabs else candidate
                    if compare == name:
                        break
                    body_lines.append(candidate + "\n")
                else:
                    raise DockerfileError(f"line {start + 1}: heredoc <<{name} is never closed")
                heredocs.append(Heredoc(name, "".join(body_lines), strip_tabs))
        yield Instruction(
            keyword=keyword,
            arguments=arguments,
            start_line=start + 1,
            end_line=index,
            flags=parse_flags(arguments),
            heredocs=tuple(heredocs),
        )


def arg_defaults(instruction: Instruction) -> dict[str, str]:
    """The ``NAME=default`` pairs of an ``ARG`` instruction."""
    found: dict[str, str] = {}
    for word in split_words(instruction.arguments):
        name, equals, value = word.partition("=")
        if equals:
            found[name] = value
    return found


def expand(text: str, values: dict[str, str]) -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alt}``."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = values.get(name, "")
        operator, word = match.group(2), match.group(3) or ""
        if operator == "-":
            return value or word
        if operator == "+":
            return word if value else ""
        return value

    return _VARIABLE.sub(substitute, text)


def _finish_stage(
    from_instruction: Instruction,
    defaults: dict[str, str],
    instructions: list[Instruction],
    earlier: list[Stage],
) -> Stage:
    index = len(earlier)
    words = split_words(strip_flags(from_instruction.arguments))
    base = expand(words[0], defaults) if words else ""
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    platform = from_instruction.flag("platform")
    base_stage = next(
        (s.index for s in earlier if s.name is not None and s.name == base.lower()), None
    )
    counted_from = base.lower() != "scratch" and base_stage is None
    step = 1 if counted_from else 0
    workdir = earlier[base_stage].final_workdir if base_stage is not None else "/"
    from_numbered = replace(
        from_instruction, stage=index, step=1 if counted_from else None, workdir=workdir
    )
    numbered: list[Instruction] = []
    for instruction in instructions:
        number = None
        if instruction.keyword == "WORKDIR":
            operands = instruction.operands
            if operands:
                workdir = posixpath.normpath(posixpath.join(workdir, operands[0]))
        if instruction.keyword in VERTEX_INSTRUCTIONS:
            step += 1
            number = step
        numbered.append(replace(instruction, stage=index, step=number, workdir=workdir))
    return Stage(
        index=index,
        name=name,
        base=base,
        base_stage=base_stage,
        platform=platform,
        from_instruction=from_numbered,
        instructions=tuple(numbered),
        step_count=step,
    )
