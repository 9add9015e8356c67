"""Parse BuildKit vertex names into their parts.

BuildKit gives a vertex only a display name; everything kitprof knows about where a
step comes from (bake target, stage, position in the stage, instruction) is encoded in
it by the Dockerfile frontend and by buildx:

    [stage i/n] INSTRUCTION args          multi-stage Dockerfile (i padded to n's width)
    [i/n] INSTRUCTION args                single-stage Dockerfile
    [target stage i/n] …                  bake with more than one target
    [linux/arm64 stage i/n] …             multi-platform build
    [internal] load build context         frontend and solver bookkeeping
    [api internal] load .dockerignore     the same, prefixed by a bake target
    [linux/386 internal] load metadata …  the same, for one platform of several
    [auth] library/x:pull token for …     registry auth (client side)
    exporting to image / [api] exporting to image
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from profiler.fastinit import fast_constructor


class StepKind(StrEnum):
    STEP = "step"
    """A Dockerfile instruction (FROM, RUN, COPY, …)."""
    INTERNAL = "internal"
    """Definition/context loads, metadata resolution, auth: work around the steps."""
    EXPORTER = "exporter"
    """Exporting the result (image, local files, cache)."""


@dataclass(frozen=True, slots=True)
class ParsedName:
    kind: StepKind
    target: str | None = None
    platform: str | None = None
    stage: str | None = None
    index: int | None = None
    count: int | None = None
    instruction: str | None = None
    """Upper-case Dockerfile instruction for steps (``RUN``), ``None`` otherwise."""
    text: str = ""
    """The name without its bracketed prefix: ``RUN make``, ``load build context``."""


_PREFIX = re.compile(r"^\[([^\]]*)\]\s*(.*)$", re.DOTALL)
_POSITION = re.compile(r"^(\d+)/(\d+)$")
_PLATFORM = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(?:/v\d+)?$")
_INSTRUCTION = re.compile(r"^([A-Za-z]+)\b")
_EXPORTER_TEXT = re.compile(
    r"^(exporting |writing image|naming to|preparing build cache for export|sending tarball)"
)
_INTERNAL_TAGS = frozenset({"internal", "auth"})


_PLAIN_STAGE_STEP = re.compile(r"\[([^\]\s/]+) +(\d+)/(\d+)\]\s*(([A-Za-z]+\b)?.*)", re.DOTALL)
"""``[stage i/n] INSTR …``, the name of nearly every step: one stage token (no platform:
that has a ``/``), no bake target. Parsed by :func:`parse_name`'s general path alike.
One match gives every part: the text after the prefix and its instruction, as
:data:`_INSTRUCTION` finds it, too (a second match per step cost a quarter of it)."""


def parse_name(name: str) -> ParsedName:
    """Split a vertex name into kind, bake target, platform, stage, position and text."""
    plain = _PLAIN_STAGE_STEP.match(name)
    if plain is not None:
        stage, index, count, text, instruction = plain.groups()
        return _new_parsed_name(
            StepKind.STEP,
            None,
            None,
            stage,
            int(index),
            int(count),
            instruction.upper() if instruction else None,
            text,
        )
    match = _PREFIX.match(name)
    if match is None:
        return _without_prefix(name, target=None)
    tokens = match.group(1).split()
    text = match.group(2)
    if not tokens:
        return _without_prefix(text, target=None)
    if tokens[-1] in _INTERNAL_TAGS:
        # "[linux/386 internal] load metadata for …": a platform's, not a bake target's.
        rest = tokens[:-1]
        platform = next((token for token in rest if _PLATFORM.match(token)), None)
        rest = [token for token in rest if token != platform]
        return ParsedName(kind=StepKind.INTERNAL, target=_only(rest), platform=platform, text=text)
    position = _POSITION.match(tokens[-1])
    if position is None:
        # "[api] exporting to image": a bake target prefix on an unbracketed name.
        return _without_prefix(text, target=" ".join(tokens))
    rest = tokens[:-1]
    platform = next((token for token in rest if _PLATFORM.match(token)), None)
    rest = [token for token in rest if token != platform]
    # A single-stage Dockerfile names no stage at all: "[2/4] RUN …".
    stage = rest[-1] if rest else None
    target = _only(rest[:-1])
    instruction_match = _INSTRUCTION.match(text)
    return ParsedName(
        kind=StepKind.STEP,
        target=target,
        platform=platform,
        stage=stage,
        index=int(position.group(1)),
        count=int(position.group(2)),
        instruction=instruction_match.group(1).upper() if instruction_match else None,
        text=text,
    )


_new_parsed_name = fast_constructor(ParsedName)
"""ParsedName's constructor without the frozen dataclass's per-field cost, for the
shortcut above: it runs for nearly every step of a large build."""


def _without_prefix(text: str, target: str | None) -> ParsedName:
    # Anything unbracketed that is not an export (resolve image config, importing cache
    # manifest, whatever a newer frontend invents) is bookkeeping around the steps.
    kind = StepKind.EXPORTER if _EXPORTER_TEXT.match(text) else StepKind.INTERNAL
    return ParsedName(kind=kind, target=target, text=text)


def _only(tokens: list[str]) -> str | None:
    return " ".join(tokens) if tokens else None
