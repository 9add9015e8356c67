"""Dockerfile rewriting: the changes suggestions propose, written as new Dockerfile text.

Every rewrite keeps what it does not change byte for byte, takes the comments directly
above a moved instruction along with it, and returns the whole new text (the caller
diffs it against the original with :func:`profiler.dockerfile.unified_diff`):

- :func:`manifests_first`: copy the dependency manifests, install, then copy the rest;
- :func:`move_above`: move one instruction above another of its stage;
- :func:`split_stage`: run consecutive parts of a stage as parallel stages joined back
  by ``COPY --from``, renumbering numeric ``--from`` references to stages that moved.

Nothing here knows the build: callers find the instructions (steps are mapped to
them by :meth:`profiler.dockerfile.Dockerfile.find`) and decide what is worth it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from profiler.dockerfile import (
    CopySpec,
    Dockerfile,
    Edit,
    Instruction,
    Stage,
    apply_edits,
    copy_spec,
    minimal_cover,
    resolve,
    written_paths,
)

# Instructions that change how later steps run: nothing moves across them.
_CONTEXT_CHANGING = frozenset({"USER", "SHELL", "ONBUILD"})
# Nor does a split carry them into the new stages (a WORKDIR would change the paths).
_STAYS_PUT = _CONTEXT_CHANGING | {"WORKDIR"}


def leading_line(dockerfile: Dockerfile, instruction: Instruction, floor: int) -> int:
    """First line of the comments directly above an instruction (not above ``floor``)."""
    line = instruction.start_line
    while line - 1 > floor and dockerfile.lines[line - 2].lstrip().startswith("#"):
        line -= 1
    return line


def block(dockerfile: Dockerfile, instruction: Instruction, floor: int) -> str:
    """The instruction's text with its comments, ending in a newline."""
    start = leading_line(dockerfile, instruction, floor)
    text = "".join(dockerfile.lines[start - 1 : instruction.end_line])
    return text if text.endswith("\n") else text + "\n"


def _flags(flags: Iterable[tuple[str, str | None]]) -> str:
    return " ".join(f"--{key}={value}" if value is not None else f"--{key}" for key, value in flags)


# ---------------------------------------------------------------------- manifests first


def manifests_first(
    dockerfile: Dockerfile,
    copy_instruction: Instruction,
    install: Instruction,
    spec: CopySpec,
    manifests: Sequence[str],
) -> str | None:
    """Copy ``manifests`` and run ``install`` before the ``COPY`` of the whole context.

    ``None`` when the install is not later in the same stage, or a step or a
    ``USER``/``SHELL``/``ONBUILD`` stands between them (moving it would change it).
    """
    if install.stage != copy_instruction.stage or install.start_line < copy_instruction.end_line:
        return None
    stage = dockerfile.stages[copy_instruction.stage or 0]
    between = [
        i
        for i in stage.instructions
        if copy_instruction.end_line < i.start_line < install.start_line
    ]
    if any(i.step is not None or i.keyword in _CONTEXT_CHANGING for i in between):
        return None
    flags = _flags((k, v) for k, v in spec.flags if k in {"chown", "chmod", "link"})
    by_directory: dict[str, list[str]] = {}
    for manifest in manifests:
        by_directory.setdefault(posixpath.dirname(manifest), []).append(manifest)
    copies = []
    for directory, files in by_directory.items():
        target = posixpath.join(spec.destination, directory) if directory else spec.destination
        target = target if target.endswith("/") else target + "/"
        if target.startswith("./") and target != "./":
            target = target[2:]
        parts = [copy_instruction.keyword, *([flags] if flags else []), *files, target]
        copies.append(" ".join(parts) + "\n")
    floor = copy_instruction.end_line
    moved = "".join(block(dockerfile, i, floor) for i in between)
    replacement = (
        "".join(copies)
        + moved
        + block(dockerfile, install, floor)
        + "".join(dockerfile.lines[copy_instruction.start_line - 1 : copy_instruction.end_line])
    )
    return apply_edits(
        dockerfile, [Edit(copy_instruction.start_line, install.end_line, replacement)]
    )


# ---------------------------------------------------------------------- move above


def move_above(dockerfile: Dockerfile, mover: Instruction, anchor: Instruction) -> str:
    """``mover`` (with its comments) moved to just above ``anchor`` (and its comments)."""
    previous_end = max(
        (
            i.end_line
            for stage in dockerfile.stages
            for i in (stage.from_instruction, *stage.instructions)
            if i.end_line < mover.start_line
        ),
        default=0,
    )
    start = leading_line(dockerfile, mover, previous_end)
    moved = "".join(dockerfile.lines[start - 1 : mover.end_line])
    if not moved.endswith("\n"):
        moved += "\n"
    anchor_start = leading_line(dockerfile, anchor, 0)
    return apply_edits(
        dockerfile,
        [
            Edit(anchor_start, anchor_start - 1, moved),
            Edit(start, mover.end_line, ""),
        ],
    )


# ---------------------------------------------------------------------- split a stage


@dataclass(frozen=True)
class StageSplit:
    """The Dockerfile text of a stage split, and what the simulator needs to know of it."""

    text: str
    joins_per_branch: list[int]
    """How many ``COPY --from`` steps bring each new stage's result back."""
    summary: str
    guessed: list[str]
    """``stage: paths`` the copies bring back, as read from the commands."""


def split_stage(
    dockerfile: Dockerfile, branches: Sequence[Sequence[Instruction]]
) -> StageSplit | None:
    """Every branch but the last becomes a stage of its own, copied back after the last.

    ``branches`` are consecutive runs of one stage's instructions, in order. The new
    stages start where the first branch started: from the stage's image, or, when
    instructions come before the first branch, from a new stage made of them (the
    ``-base`` stage). ``None`` when the branches span stages, or something between
    them (a ``USER``, ``WORKDIR``, a step outside the branches) would not survive
    the move.
    """
    segment = _Segment.of(dockerfile, branches)
    if segment is None:
        return None
    prefix_name, side_names = _new_stage_names(dockerfile, segment)
    image_from, side_from = _from_lines(segment.stage, prefix_name)
    sides = [
        _side_stage(dockerfile, segment, name, side_from, branch)
        for name, branch in zip(side_names, segment.branches[:-1], strict=True)
    ]
    continuation = segment.ordered(
        dockerfile, [*segment.metadata, *segment.branches[-1]]
    ) + "".join(side.join_lines for side in sides)
    edits = _split_edits(
        dockerfile, segment, prefix_name, image_from, [s.text for s in sides], continuation
    )
    label = segment.stage.label
    summary = (
        f"New stages {', '.join(side_names)} run beside stage {label}"
        + (f" (its first steps become stage {prefix_name})" if prefix_name else "")
        + "."
    )
    return StageSplit(
        text=apply_edits(dockerfile, edits),
        joins_per_branch=[side.joins for side in sides],
        summary=summary,
        guessed=[side.guessed for side in sides],
    )


@dataclass(frozen=True)
class _Segment:
    """The part of a stage that splits: its branches, and what stands between them."""

    stage: Stage
    branches: list[list[Instruction]]
    metadata: list[Instruction]
    """Instructions among the branches that are no steps (``ENV``, ``ARG``…): carried."""
    has_prefix: bool
    """Whether instructions of the stage come before the first branch."""
    floor: int
    """The last line of what comes before: comments below it belong to the segment."""

    @staticmethod
    def of(dockerfile: Dockerfile, branches: Sequence[Sequence[Instruction]]) -> _Segment | None:
        stage_index = branches[0][0].stage
        if stage_index is None or any(i.stage != stage_index for b in branches for i in b):
            return None
        stage = dockerfile.stages[stage_index]
        first, last = branches[0][0], branches[-1][-1]
        in_segment = [
            i for i in stage.instructions if first.start_line <= i.start_line <= last.start_line
        ]
        vertex_ids = {id(i) for b in branches for i in b}
        metadata = [i for i in in_segment if id(i) not in vertex_ids]
        if any(
            i.step is not None or i.keyword in {*_CONTEXT_CHANGING, "WORKDIR"} for i in metadata
        ):
            return None
        before = [i for i in stage.instructions if i.start_line < first.start_line]
        floor = before[-1].end_line if before else stage.from_instruction.end_line
        return _Segment(
            stage=stage,
            branches=[list(b) for b in branches],
            metadata=metadata,
            has_prefix=bool(before),
            floor=floor,
        )

    @property
    def first(self) -> Instruction:
        return self.branches[0][0]

    @property
    def last(self) -> Instruction:
        return self.branches[-1][-1]

    def ordered(self, dockerfile: Dockerfile, items: Iterable[Instruction]) -> str:
        """The instructions' blocks in Dockerfile order."""
        ordered = sorted(items, key=lambda i: i.start_line)
        return "".join(block(dockerfile, i, self.floor) for i in ordered)


def _new_stage_names(dockerfile: Dockerfile, segment: _Segment) -> tuple[str | None, list[str]]:
    """Names for the ``-base`` stage (if any) and each new side stage, none taken."""
    taken = {s.label for s in dockerfile.stages}
    label = segment.stage.label

    def fresh(name: str) -> str:
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}-{n}", n + 1
        taken.add(candidate)
        return candidate

    prefix_name = fresh(f"{label}-base") if segment.has_prefix else None
    side_names = [
        fresh(f"{label}-{_slug(branch[-1].arguments, number)}")
        for number, branch in enumerate(segment.branches[:-1], start=1)
    ]
    return prefix_name, side_names


def _slug(arguments: str, number: int) -> str:
    """A stage name from what an install installs: ``go`` for ``installing go``."""
    match = re.search(r"install(?:ing)?\s+(?:-\S+\s+)*([A-Za-z][\w.+-]*)", arguments, re.IGNORECASE)
    word = match.group(1).lower() if match else ""
    word = re.sub(r"[^a-z0-9-]", "-", word).strip("-")
    return word[:20] if word else f"part{number}"


def _from_lines(stage: Stage, prefix_name: str | None) -> tuple[str, str]:
    """The stage's own ``FROM`` line (flags kept), and the one its side stages start with."""
    from_flags = _flags(stage.from_instruction.flags)
    raw_base = stage.from_instruction.operands[0]
    image_from = f"FROM {from_flags + ' ' if from_flags else ''}{raw_base}"
    side_from = f"FROM {prefix_name}" if prefix_name else image_from
    return image_from, side_from


@dataclass(frozen=True)
class _SideStage:
    text: str
    """``FROM … AS name`` and the branch, with the metadata that came before it."""
    join_lines: str
    """The ``COPY --from=name`` lines that bring its result back."""
    joins: int
    guessed: str


def _side_stage(
    dockerfile: Dockerfile,
    segment: _Segment,
    name: str,
    side_from: str,
    branch: Sequence[Instruction],
) -> _SideStage:
    carried = [m for m in segment.metadata if m.start_line < branch[-1].start_line]
    text = f"{side_from} AS {name}\n" + segment.ordered(dockerfile, [*carried, *branch])
    paths = _outputs(branch)
    if not paths:
        join = (
            f"# kitprof: could not tell what {name} writes; narrow this COPY to it\n"
            f"COPY --from={name} / /\n"
        )
        return _SideStage(text, join, 1, f"{name}: / (unknown)")
    join = "".join(f"COPY --from={name} {path} {path}\n" for path in paths)
    return _SideStage(text, join, len(paths), f"{name}: {', '.join(paths)}")


def _outputs(branch: Sequence[Instruction]) -> list[str]:
    """The directories a branch writes, as read from its commands and copies."""
    paths: list[str] = []
    for instruction in branch:
        if instruction.keyword == "RUN":
            command = instruction.arguments + "".join("\n" + h.body for h in instruction.heredocs)
            paths.extend(written_paths(command, instruction.workdir))
        else:
            spec = copy_spec(instruction.text)
            if spec is not None:
                paths.append(resolve(spec.destination, instruction.workdir))
    return minimal_cover(p for p in paths if p != "/")


def _split_edits(
    dockerfile: Dockerfile,
    segment: _Segment,
    prefix_name: str | None,
    image_from: str,
    side_blocks: list[str],
    continuation: str,
) -> list[Edit]:
    """Side stages in front of the stage, the segment replaced by what continues it."""
    stage = segment.stage
    segment_start = leading_line(dockerfile, segment.first, segment.floor)
    inserted = len(side_blocks) + (1 if prefix_name else 0)
    from_instruction = stage.from_instruction
    if prefix_name:
        # The stage's first instructions become the -base stage; the side stages and
        # the rest of the stage start from it.
        named = f" AS {stage.name}" if stage.name else ""
        new_stages = "\n".join(side_blocks) + f"\nFROM {prefix_name}{named}\n"
        edits = [
            Edit(
                from_instruction.start_line,
                from_instruction.end_line,
                f"{image_from} AS {prefix_name}\n",
            ),
            Edit(segment_start, segment.last.end_line, "\n" + new_stages + continuation),
        ]
    else:
        edits = [
            Edit(
                from_instruction.start_line,
                from_instruction.start_line - 1,
                "\n".join(side_blocks) + "\n",
            ),
            Edit(segment_start, segment.last.end_line, continuation),
        ]
    return edits + _renumber(dockerfile, stage, inserted, stage.index + inserted)


def _renumber(
    dockerfile: Dockerfile, stage: Stage, inserted: int, continuation_index: int
) -> list[Edit]:
    """Fix ``--from=N`` references to stages that moved down by ``inserted``."""
    edits = []
    pattern = re.compile(r"((?:--from=|\bfrom=))(\d+)\b")
    for later in dockerfile.stages[stage.index + 1 :]:
        for instruction in later.instructions:
            original = "".join(dockerfile.lines[instruction.start_line - 1 : instruction.end_line])

            def shift(match: re.Match[str]) -> str:
                index = int(match.group(2))
                if index == stage.index:
                    index = continuation_index
                elif index > stage.index:
                    index += inserted
                return f"{match.group(1)}{index}"

            changed = pattern.sub(shift, original)
            if changed != original:
                edits.append(Edit(instruction.start_line, instruction.end_line, changed))
    return edits
