"""The causes of a cache miss (:mod:`profiler.analysis.cachemiss`): what changed
between two runs for the first step of a chain that lost its cache hit.

Pure functions of the two runs as :class:`RunSide` (a Build, and what is known of it
beyond its stream: Dockerfile, context manifest, build arguments, ``--no-cache``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from profiler.context_manifest import ContextManifest, FileChange, changed_files, source_covers
from profiler.context_manifest import clean_source as _clean
from profiler.dockerfile import Dockerfile, Instruction, copy_spec
from profiler.dockerfile.parse import arg_defaults
from profiler.model import Build, Step, StepStatus
from profiler.names import StepKind

CAUSE_KINDS = (
    "command",
    "build-arg",
    "env",
    "base-image",
    "context",
    "upstream",
    "no-cache",
    "cache-gone",
    "unknown",
)
_SETTINGS = frozenset({"ENV", "USER", "SHELL"})
"""What a RUN runs with; changed ARG defaults are told as build arguments."""


@dataclass(frozen=True, slots=True)
class RunSide:
    """One run, with what is known of it beyond its progress stream."""

    build: Build
    dockerfile: Dockerfile | None = None
    manifest: ContextManifest | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    """The build arguments given (command line or record); defaults come from the
    Dockerfile."""
    no_cache: bool = False


@dataclass(frozen=True, slots=True)
class Cause:
    kind: str
    """One of :data:`CAUSE_KINDS`."""
    summary: str
    """What happened, in one sentence."""
    name: str | None = None
    """The build argument, setting or image concerned."""
    old: str | None = None
    new: str | None = None
    files: tuple[FileChange, ...] = ()
    """``context``: the changed files this step takes."""
    files_from: str | None = None
    """Where ``files`` come from: ``manifest`` or ``git`` (``None``: not known)."""


def instruction_of(side: RunSide, step: Step) -> Instruction | None:
    """The Dockerfile instruction a step came from, when the run's Dockerfile is known."""
    return side.dockerfile.locate(step) if side.dockerfile is not None else None


def causes_of(
    a: RunSide,
    b: RunSide,
    a_step: Step,
    b_step: Step,
    by_b: Mapping[str, Step],
    changed_paths: Sequence[str] | None,
    files_from: str | None,
) -> list[Cause]:
    if b.no_cache:
        return [Cause("no-cache", "run B was built with --no-cache: every step ran again")]
    causes: list[Cause] = []
    ins_a, ins_b = instruction_of(a, a_step), instruction_of(b, b_step)
    changed_args = _changed_args(a, b, ins_b)
    text_a, text_b = a_step.parsed.text, b_step.parsed.text
    if ins_a is not None and ins_b is not None and ins_a.text != ins_b.text:
        causes.append(Cause("command", "the instruction changed", old=ins_a.text, new=ins_b.text))
    elif text_a != text_b:
        named = [arg for arg in changed_args if _mentions(ins_b, arg)] if ins_b else []
        for arg in named:
            old, new = changed_args[arg]
            causes.append(
                Cause(
                    "build-arg",
                    f"build argument {arg} changed, and the step uses it ({text_a} → {text_b})",
                    name=arg,
                    old=old,
                    new=new,
                )
            )
        if not named:
            causes.append(Cause("command", "the step's command changed", old=text_a, new=text_b))
    if b_step.parsed.instruction == "RUN":
        mentioned = {cause.name for cause in causes if cause.kind == "build-arg"}
        for arg, (old, new) in changed_args.items():
            if arg in mentioned or (ins_b is not None and not _in_scope(b, ins_b, arg)):
                continue
            causes.append(
                Cause(
                    "build-arg",
                    f"build argument {arg} changed: a RUN sees the declared arguments "
                    "as its environment",
                    name=arg,
                    old=old,
                    new=new,
                )
            )
        causes.extend(_setting_changes(a, b, ins_a, ins_b))
    causes.extend(_base_changes(a, b, b_step, by_b))
    if _reads_context(b, b_step):
        context = _context_cause(a, b, b_step, ins_b, changed_paths, files_from)
        # Without files to show, "the context changed" is a guess: only when
        # nothing else explains the miss.
        if context is not None and (context.files or not causes):
            causes.append(context)
    if not causes:
        causes.extend(_upstream(b, b_step, by_b))
    if not causes and a_step.digest == b_step.digest:
        causes.extend(_unpinned_base(b, b_step))
    if not causes and a_step.digest == b_step.digest:
        causes.append(
            Cause(
                "cache-gone",
                "same definition and inputs in both runs (same vertex digest): its cache "
                "entry was gone (pruned, or another builder)",
            )
        )
    if not causes:
        causes.append(Cause("unknown", "nothing the runs recorded explains it"))
    return causes


def _mentions(instruction: Instruction, arg: str) -> bool:
    text = instruction.text
    return f"${arg}" in text or "${" + arg in text


def _effective_args(side: RunSide, instruction: Instruction | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if side.dockerfile is not None:
        for arg in side.dockerfile.global_args:
            values.update(arg_defaults(arg))
        if instruction is not None and instruction.stage is not None:
            stage = side.dockerfile.stages[instruction.stage]
            for earlier in stage.instructions:
                if earlier.start_line >= instruction.start_line:
                    break
                if earlier.keyword == "ARG":
                    values.update(arg_defaults(earlier))
    values.update(side.build_args)
    return values


def _changed_args(
    a: RunSide, b: RunSide, instruction: Instruction | None
) -> dict[str, tuple[str | None, str | None]]:
    before = _effective_args(a, instruction)
    after = _effective_args(b, instruction)
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def _in_scope(side: RunSide, instruction: Instruction, arg: str) -> bool:
    """The ARG is declared in the step's stage before it (a RUN sees it)."""
    if side.dockerfile is None or instruction.stage is None:
        return True
    stage = side.dockerfile.stages[instruction.stage]
    for earlier in stage.instructions:
        if earlier.start_line >= instruction.start_line:
            return False
        if earlier.keyword == "ARG" and any(
            word.partition("=")[0] == arg for word in earlier.operands
        ):
            return True
    return False


def _settings_above(side: RunSide, instruction: Instruction | None) -> list[Instruction]:
    """The ENV/USER/SHELL lines of the stage above this step (a RUN runs with all of
    them, whatever steps lie between)."""
    if side.dockerfile is None or instruction is None or instruction.stage is None:
        return []
    stage = side.dockerfile.stages[instruction.stage]
    found: list[Instruction] = []
    for earlier in stage.instructions:
        if earlier.start_line >= instruction.start_line:
            break
        if earlier.keyword in _SETTINGS:
            found.append(earlier)
    return found


def _setting_changes(
    a: RunSide, b: RunSide, ins_a: Instruction | None, ins_b: Instruction | None
) -> list[Cause]:
    before = [i.text for i in _settings_above(a, ins_a)]
    after = [i.text for i in _settings_above(b, ins_b)]
    if before == after or ins_a is None or ins_b is None:
        return []
    gone = [text for text in before if text not in after]
    came = [text for text in after if text not in before]
    return [
        Cause(
            "env",
            "a setting above the RUN changed",
            old="; ".join(gone) or None,
            new="; ".join(came) or None,
        )
    ]


def _base_changes(a: RunSide, b: RunSide, b_step: Step, by_b: Mapping[str, Step]) -> list[Cause]:
    causes = []
    for b_from in b.build.inputs_of(b_step):
        parent = b_from.digest
        if b_from.kind is not StepKind.STEP or b_from.parsed.instruction != "FROM":
            continue
        a_from = by_b.get(parent)
        if a_from is None or a_from.digest == b_from.digest:
            continue
        old, new = _image(a, a_from), _image(b, b_from)
        causes.append(
            Cause(
                "base-image",
                "the base image resolved to another digest"
                if old != new
                else "the base image's definition changed",
                name=_image_name(new),
                old=old,
                new=new,
            )
        )
    return causes


def _unpinned_base(b: RunSide, b_step: Step) -> list[Cause]:
    """A step right below a ``FROM`` that names no digest re-ran with the same
    definition: BuildKit's docker driver resolves such a tag at build time and keeps
    no digest in the step, so the image behind the tag changed, or the cache was gone."""
    causes = []
    for parent in b.build.inputs_of(b_step):
        if parent.kind is StepKind.STEP and parent.parsed.instruction == "FROM":
            image = _image(b, parent)
            if "@" not in image:
                causes.append(
                    Cause(
                        "base-image",
                        f"same definition right below FROM {image}, which names no digest: "
                        "the image behind the tag most likely changed (or the cache was "
                        "pruned)",
                        name=image,
                    )
                )
    return causes


def _image(side: RunSide, step: Step) -> str:
    """The FROM step's image with its digest (from the name, else the record)."""
    image = step.parsed.text.removeprefix("FROM").strip()
    if "@" in image or side.build.record is None:
        return image
    for uri, digest in side.build.record.base_images:
        if _image_name(image) in uri:
            return f"{image}@{digest}"
    return image


def _image_name(image: str) -> str:
    return image.partition("@")[0]


def _reads_context(side: RunSide, step: Step) -> bool:
    return any(
        parent.parsed.text.startswith("load build context") for parent in side.build.inputs_of(step)
    )


def _context_cause(
    a: RunSide,
    b: RunSide,
    b_step: Step,
    ins_b: Instruction | None,
    changed_paths: Sequence[str] | None,
    files_from: str | None,
) -> Cause | None:
    patterns = _patterns(b, b_step, ins_b)
    if files_from == "manifest" and a.manifest is not None and b.manifest is not None:
        files = changed_files(a.manifest, b.manifest, patterns)
        if not files:
            return None
        return Cause(
            "context",
            f"{len(files)} file(s) it copies changed",
            files=files,
            files_from="manifest",
        )
    if changed_paths is not None:
        cleaned = [_clean(p) for p in patterns]
        files = tuple(
            FileChange(path, "modified")
            for path in sorted(set(changed_paths))
            if any(source_covers(p, path) for p in cleaned)
        )
        if files:
            return Cause(
                "context",
                f"{len(files)} file(s) it copies changed between the runs' commits",
                files=files,
                files_from="git",
            )
        return None
    return Cause(
        "context",
        "the context it reads changed (no manifest or git history to say which files)",
    )


def _patterns(side: RunSide, step: Step, instruction: Instruction | None) -> list[str]:
    if side.manifest is not None and instruction is not None:
        for source in side.manifest.sources:
            if source.line == instruction.start_line:
                return list(source.patterns)
    spec = copy_spec(step.parsed.text)
    if spec is not None:
        return list(spec.sources)
    return ["."]


def _upstream(b: RunSide, b_step: Step, by_b: Mapping[str, Step]) -> list[Cause]:
    causes = []
    for b_parent in b.build.inputs_of(b_step):
        a_parent = by_b.get(b_parent.digest)
        if (
            a_parent is not None
            and b_parent.kind is StepKind.STEP
            and b_parent.parsed.instruction != "FROM"
            and a_parent.status is not StepStatus.CACHED
            and b_parent.status is not StepStatus.CACHED
        ):
            causes.append(
                Cause(
                    "upstream",
                    "its input ran in both runs and gave another result",
                    name=b_parent.name,
                )
            )
    return causes
