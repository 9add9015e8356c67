"""Dockerfiles: parse stages and instructions, map build steps to lines, rewrite.

The progress stream carries no line numbers, only names like ``[backend 3/5] RUN
make``. This module parses a Dockerfile the way BuildKit's frontend does, far enough
to number each stage's steps as BuildKit numbers them, so a step maps back to its
instruction and line:

- Parser directives at the top (``# escape=`` changes the line-continuation
  character; ``# syntax=`` and ``# check=`` are kept), comments (also inside a
  continued instruction), empty continuation lines, and heredocs (``RUN <<EOF`` …
  ``EOF``, ``<<-`` strips leading tabs) whose bodies are part of the instruction.
- Stages: ``FROM [--platform=…] image [AS name]``; names are case-insensitive;
  unnamed stages are ``stage-N`` by index; ``ARG`` before the first ``FROM`` is global
  and its defaults expand ``$VAR`` / ``${VAR}`` / ``${VAR:-x}`` in ``FROM``.
- Numbering (BuildKit ``dockerfile2llb``, checked against the recorded samples): a
  stage's ``n`` counts ``ADD``, ``COPY``, ``RUN`` and ``WORKDIR``, plus its ``FROM``
  when the base is an image (not ``scratch``, not an earlier stage). ``ENV``, ``ARG``,
  ``LABEL``, ``CMD``, ``EXPOSE``… make no vertex and get no number. A file with one
  stage (and no ``COPY --from`` an image) names no stage: ``[2/4] RUN …``.
- Two stages ``FROM`` the same image share one vertex, shown under the first name
  BuildKit gave it: :meth:`Dockerfile.locate` maps it to the FROM line of that stage.

Rewrites are plain text edits (:class:`Edit`) turned into a unified diff with difflib.
"""

from __future__ import annotations

import difflib
import itertools
import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from profiler.errors import InputError, KitprofError
from profiler.model import Build, Step
from profiler.names import StepKind


class DockerfileError(KitprofError):
    """The Dockerfile cannot be parsed (no FROM, a heredoc never closed…)."""


# Instructions that become a vertex (a numbered step) in BuildKit.
VERTEX_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN", "WORKDIR"})
KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
HEREDOC_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN"})

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_FLAG = re.compile(r"^--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$")


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    body: str
    strip_tabs: bool


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    """Upper-case: ``RUN``, ``COPY``, ``FROM``…"""
    arguments: str
    """Everything after the keyword, continuation lines joined as BuildKit joins them."""
    start_line: int
    """1-based line of the keyword."""
    end_line: int
    """Last line of the instruction (continuations and heredoc bodies included)."""
    flags: tuple[tuple[str, str | None], ...] = ()
    """Leading ``--name=value`` options (``--from``, ``--mount``, ``--platform``…)."""
    heredocs: tuple[Heredoc, ...] = ()
    stage: int | None = None
    """Index of the stage; ``None`` for global ``ARG`` before the first ``FROM``."""
    step: int | None = None
    """BuildKit's ``i`` in ``[stage i/n]``; ``None`` when the instruction makes no vertex."""
    workdir: str = "/"
    """The working directory the instruction runs in (``WORKDIR`` resolved)."""

    @property
    def text(self) -> str:
        """``KEYWORD arguments``: what BuildKit shows after the bracketed prefix."""
        return f"{self.keyword} {self.arguments}".rstrip()

    @property
    def lines(self) -> range:
        return range(self.start_line, self.end_line + 1)

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name=…`` flag, or ``None``."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]

    @property
    def operands(self) -> list[str]:
        """The arguments after the flags, split like a shell would (best effort)."""
        return _split_words(_strip_flags(self.arguments))


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None
    """The ``AS`` name, lower-cased as BuildKit keeps it."""
    base: str
    """The ``FROM`` image or stage name, global ``ARG`` defaults expanded."""
    base_stage: int | None
    """Index of the earlier stage this one is built ``FROM``, if any."""
    platform: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    """The instructions after ``FROM``, in order."""
    step_count: int
    """BuildKit's ``n`` in ``[stage i/n]``."""

    @property
    def label(self) -> str:
        """The stage's name as BuildKit shows it: its name or ``stage-N``."""
        return self.name if self.name is not None else f"stage-{self.index}"

    @property
    def start_line(self) -> int:
        return self.from_instruction.start_line

    @property
    def end_line(self) -> int:
        last = self.instructions[-1] if self.instructions else self.from_instruction
        return last.end_line

    @property
    def steps(self) -> list[Instruction]:
        """The instructions that are BuildKit vertices, in order (``FROM`` if counted)."""
        all_instructions = (self.from_instruction, *self.instructions)
        return [i for i in all_instructions if i.step is not None]

    def step(self, index: int) -> Instruction | None:
        return next((i for i in self.steps if i.step == index), None)

    @property
    def final_workdir(self) -> str:
        return self.instructions[-1].workdir if self.instructions else self.from_instruction.workdir


@dataclass(frozen=True)
class Dockerfile:
    text: str
    path: Path | None
    escape: str
    directives: dict[str, str]
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    lines: tuple[str, ...] = field(repr=False)
    """The file's lines, with their line endings."""

    @property
    def single_stage(self) -> bool:
        """BuildKit names no stage in step names (``[2/4] RUN …``)."""
        if len(self.stages) != 1:
            return False
        # A COPY --from (or RUN --mount from) an image adds a second internal stage.
        stage = self.stages[0]
        return not any(self._external_sources(stage))

    def _external_sources(self, stage: Stage) -> Iterator[str]:
        for instruction in stage.instructions:
            for source in source_references(instruction):
                if self.resolve_reference(source, before=stage.index) is None:
                    yield source

    def stage(self, label: str | None) -> Stage | None:
        """The stage BuildKit shows under ``label`` (``None``: the only stage)."""
        if label is None:
            return self.stages[0] if len(self.stages) == 1 else None
        wanted = label.lower()
        for stage in self.stages:
            if stage.label == wanted or (stage.name is None and stage.label == label):
                return stage
        return None

    def resolve_reference(self, reference: str, before: int | None = None) -> Stage | None:
        """The stage a ``--from=`` or ``FROM`` names (by name or index), if it is one."""
        limit = len(self.stages) if before is None else before
        if reference.isdigit():
            index = int(reference)
            return self.stages[index] if index < limit else None
        wanted = reference.lower()
        for stage in self.stages[:limit]:
            if stage.name == wanted:
                return stage
        return None

    def instruction_at(self, stage: str | None, index: int) -> Instruction | None:
        found = self.stage(stage)
        return found.step(index) if found is not None else None

    def locate(self, step: Step) -> Instruction | None:
        """The instruction a build step came from, or ``None`` if it does not match.

        Matches the stage name and step index, then checks the instruction keyword and
        the step count: a step of another Dockerfile (or another version of this one)
        is not mapped to a wrong line.
        """
        parsed = step.parsed
        if step.kind is not StepKind.STEP or parsed.index is None:
            return None
        stage = self.stage(parsed.stage)
        if stage is None:
            return None
        if parsed.count is not None and parsed.count != stage.step_count:
            return None
        instruction = stage.step(parsed.index)
        if instruction is None or instruction.keyword != (parsed.instruction or ""):
            return None
        return instruction

    def find(self, step: Step) -> Instruction | None:
        """:meth:`locate`, or else the one instruction whose text is the step's text.

        The fallback finds a step whose name no longer matches its position (the
        Dockerfile gained or lost a step since the build): only an exact, unique text
        match counts.
        """
        found = self.locate(step)
        if found is not None or step.kind is not StepKind.STEP:
            return found
        text = step.parsed.text
        if step.parsed.instruction == "FROM":
            # A FROM vertex shared by stages (or by another build on the daemon) carries
            # whichever stage name BuildKit saw first: match it by image instead.
            image = normalize_image(text.removeprefix("FROM").strip())
            return next(
                (
                    stage.from_instruction
                    for stage in self.stages
                    if stage.base_stage is None and normalize_image(stage.base) == image
                ),
                None,
            )
        matches = [
            instruction
            for stage in self.stages
            for instruction in stage.steps
            if instruction.keyword != "FROM" and instruction.text == text
        ]
        return matches[0] if len(matches) == 1 else None

    def dependencies(self, stage: Stage) -> list[Stage]:
        """Stages this one needs: its base stage and its ``--from`` sources."""
        needed: list[Stage] = []
        if stage.base_stage is not None:
            needed.append(self.stages[stage.base_stage])
        for instruction in stage.instructions:
            for source in source_references(instruction):
                found = self.resolve_reference(source, before=stage.index)
                if found is not None and found not in needed:
                    needed.append(found)
        return needed

    def reachable(self, target: str | None = None) -> list[Stage]:
        """The stages BuildKit builds for ``target`` (default: the last stage)."""
        if not self.stages:
            return []
        start = self.stage(target) if target is not None else self.stages[-1]
        if start is None:
            return []
        seen: dict[int, Stage] = {}
        todo = [start]
        while todo:
            stage = todo.pop()
            if stage.index in seen:
                continue
            seen[stage.index] = stage
            todo.extend(self.dependencies(stage))
        return [seen[i] for i in sorted(seen)]

    def source(self, instruction: Instruction) -> str:
        """The instruction's original text, all its lines."""
        return "".join(self.lines[instruction.start_line - 1 : instruction.end_line])


def normalize_image(reference: str) -> str:
    """``alpine`` and ``docker.io/library/alpine:latest`` are the same image."""
    name = reference.strip().lower()
    name = name.removeprefix("docker.io/").removeprefix("index.docker.io/")
    name = name.removeprefix("library/")
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        name += ":latest"
    return name


def source_references(instruction: Instruction) -> list[str]:
    """Stage or image names an instruction reads from: ``--from=`` and mount ``from=``."""
    references: list[str] = []
    if instruction.keyword in {"COPY", "ADD"}:
        references.extend(v for v in instruction.flag_values("from") if v)
    if instruction.keyword == "RUN":
        for mount in instruction.flag_values("mount"):
            for part in mount.split(","):
                key, _, value = part.partition("=")
                if key.strip() == "from" and value:
                    references.append(value.strip())
    return references


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
                defaults.update(_arg_defaults(instruction))
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
            flags=_flags(arguments),
            heredocs=tuple(heredocs),
        )


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _flags(arguments: str) -> tuple[tuple[str, str | None], ...]:
    flags: list[tuple[str, str | None]] = []
    for word in _split_words(arguments):
        match = _FLAG.match(word)
        if match is None:
            break
        flags.append((match.group(1).lower(), match.group(2)))
    return tuple(flags)


def _strip_flags(arguments: str) -> str:
    rest = arguments
    while True:
        stripped = rest.lstrip()
        if not stripped.startswith("--"):
            return stripped
        # Flags never contain unquoted spaces; quoted ones are rare enough to ignore.
        _, _, rest = stripped.partition(" ")
        if not rest:
            return ""


def _arg_defaults(instruction: Instruction) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in _split_words(instruction.arguments):
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
    words = _split_words(_strip_flags(from_instruction.arguments))
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


# --------------------------------------------------------------------------- rewriting


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace lines ``start``…``end`` (1-based, inclusive) with ``text``.

    ``end = start - 1`` inserts before line ``start`` without removing anything.
    """

    start: int
    end: int
    text: str


def apply_edits(dockerfile: Dockerfile, edits: Iterable[Edit]) -> str:
    """The Dockerfile's text with the (non-overlapping) edits applied."""
    lines = list(dockerfile.lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for first, second in itertools.pairwise(ordered):
        if second.start <= first.end:
            raise ValueError(f"overlapping edits at lines {first.start}-{first.end}")
    for edit in reversed(ordered):
        replacement = edit.text.splitlines(keepends=True)
        if replacement and not replacement[-1].endswith("\n"):
            replacement[-1] += "\n"
        lines[edit.start - 1 : edit.end] = replacement
    return "".join(lines)


def unified_diff(dockerfile: Dockerfile, new_text: str, context: int = 3) -> str:
    """A unified diff from the Dockerfile to ``new_text`` (``a/``, ``b/`` paths)."""
    name = dockerfile.path.name if dockerfile.path is not None else "Dockerfile"
    old_lines = list(dockerfile.lines)
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    return "".join(
        difflib.unified_diff(
            old_lines,
            new_text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
            n=context,
        )
    )


# --------------------------------------------------------------------------- what steps touch


@dataclass(frozen=True, slots=True)
class CopySpec:
    """The operands of a ``COPY``/``ADD``: flags, sources and destination."""

    flags: tuple[tuple[str, str | None], ...]
    sources: tuple[str, ...]
    destination: str

    def flag(self, name: str) -> str | None:
        values = [value for key, value in self.flags if key == name]
        return values[-1] if values else None

    @property
    def whole_context(self) -> bool:
        """Copies the whole build context (``COPY . .``): any edit invalidates it."""
        return self.flag("from") is None and any(
            posixpath.normpath(source) in {".", "/"} for source in self.sources
        )


def copy_spec(text: str) -> CopySpec | None:
    """Parse ``COPY [flags] src… dest`` (as a step name or instruction text shows it)."""
    keyword, _, arguments = text.strip().partition(" ")
    if keyword.upper() not in {"COPY", "ADD"}:
        return None
    arguments = arguments.strip()
    if arguments.startswith("["):
        words = _json_words(arguments)
    else:
        words = _split_words(_strip_flags(arguments))
    if len(words) < 2:
        return None
    return CopySpec(flags=_flags(arguments), sources=tuple(words[:-1]), destination=words[-1])


def _json_words(arguments: str) -> list[str]:
    import json

    try:
        loaded = json.loads(arguments)
    except ValueError:
        return []
    return [str(word) for word in loaded] if isinstance(loaded, list) else []


def resolve(path: str, workdir: str) -> str:
    """An absolute, normalised path for ``path`` used in ``workdir``."""
    return posixpath.normpath(posixpath.join(workdir or "/", path))


# Where a RUN step's writes do not survive, or do not matter, in the image.
_SCRATCH_PATHS = ("/dev", "/proc", "/sys", "/tmp", "/run", "/var/tmp")
_SHELL_SPLIT = re.compile(r"&&|\|\||;|\||\n|\$\(|\)|`")
_SHELL_KEYWORDS = frozenset(
    {"do", "then", "else", "elif", "{", "(", "!", "time", "exec", "sudo", "env"}
)
_REDIRECT = re.compile(r"(?<![<&0-9])\d?>{1,2}(?!&)\s*([^\s;&|<>()]+)")
_OUTPUT_FLAGS = frozenset(
    {"-o", "--output", "-O", "--prefix", "--target", "-C", "--directory", "-d", "--root"}
)


def written_paths(command: str, workdir: str = "/") -> list[str]:
    """Paths a shell command visibly writes, as a minimal set of absolute paths.

    A heuristic, good enough to propose ``COPY --from`` lines: directories made with
    ``mkdir``, files written by redirections, ``touch``, the destination of ``cp``,
    ``mv``, ``install``, ``ln``, ``git clone``, ``tar -C``, and ``-o``/``--prefix``
    style options. Scratch places (``/tmp``, ``/dev``…) and paths with unexpanded
    variables are left out; a path inside another one found is folded into it.
    """
    found: list[str] = []
    for match in _REDIRECT.finditer(command):
        found.append(match.group(1))
    for part in _SHELL_SPLIT.split(command):
        words = _split_words(part.replace(">", " > "))
        while words and (words[0] in _SHELL_KEYWORDS or "=" in words[0].split("/")[0]):
            words = words[1:]
        if not words:
            continue
        program = posixpath.basename(words[0])
        args = [w for w in words[1:] if w not in {">", ">>"}]
        operands = [w for w in args if not w.startswith("-")]
        if program == "mkdir" or program == "touch":
            found.extend(operands)
        elif program in {"cp", "mv", "install", "ln", "rsync"} and len(operands) >= 2:
            found.append(operands[-1])
        elif program == "install" and "-d" in args:
            found.extend(operands)
        elif program == "git" and operands[:1] == ["clone"] and len(operands) >= 3:
            found.append(operands[-1])
        for flag, value in itertools.pairwise(args):
            if flag in _OUTPUT_FLAGS:
                found.append(value)
        for arg in args:
            name, equals, value = arg.partition("=")
            if equals and name in _OUTPUT_FLAGS | {"DESTDIR", "PREFIX"}:
                found.append(value)
    paths: list[str] = []
    for raw in found:
        if not raw or raw.startswith("&") or "://" in raw:
            continue
        path = _before_variables(resolve(raw, workdir))
        if path is None or path == "/":
            continue
        if any(path == p or path.startswith(p + "/") for p in _SCRATCH_PATHS):
            continue
        paths.append(path)
    return minimal_cover(paths)


def _before_variables(path: str) -> str | None:
    parts = []
    for part in path.split("/"):
        if any(c in part for c in "$*?[`{"):
            break
        parts.append(part)
    kept = "/".join(parts) or "/"
    # "/opt/$NAME" -> "/opt" is still useful; a bare top-level guess is not.
    if kept != path and kept.count("/") < 2:
        return None
    return kept


def minimal_cover(paths: Iterable[str]) -> list[str]:
    """The paths, without those inside another one, in first-seen order."""
    unique = list(dict.fromkeys(paths))
    return [
        path
        for path in unique
        if not any(other != path and path.startswith(other.rstrip("/") + "/") for other in unique)
    ]


def mentions_path(text: str, path: str) -> bool:
    """Whether ``text`` names ``path``, a directory above it, or something inside it."""
    path = posixpath.normpath(path)
    if path == "/":
        return True
    for token in re.findall(r"/[^\s'\";&|<>()`$]*", text):
        token = posixpath.normpath(token)
        if token == "/":
            continue
        if token == path or path.startswith(token + "/") or token.startswith(path + "/"):
            return True
    return False
