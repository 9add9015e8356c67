"""A parsed Dockerfile: stages and instructions, and a step's way back to its line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from profiler.dockerfile.words import split_words, strip_flags
from profiler.errors import KitprofError
from profiler.model import Step
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
        return split_words(strip_flags(self.arguments))


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
