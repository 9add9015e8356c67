"""Dependencies of a plain log's vertices: inferred from their names, as BuildKit schedules.

Plain output prints no vertex inputs. They are inferred from the names: the previous
step of the same stage (of another bake target if the vertex is printed under that
target's name); ``COPY --from=X`` / ``RUN --mount=…from=X``: the last step of stage X;
a step whose ``FROM`` vertex is shared and named after another stage: that FROM vertex.
A stage's first step depends on the last step of its base stage: from the Dockerfile
when given; else one of the named stages whose last step had succeeded when the step
was printed (chosen by :mod:`~profiler.sources.plaintimes`). The loads the frontend
does first are linked as the scheduler runs them (:class:`_InternalLoads`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from profiler.names import ParsedName, StepKind, parse_name
from profiler.sources.plainvertex import Vertex

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

MAX_BASE_CANDIDATES = 12
_FROM_FLAG = re.compile(r"--from=(\S+)")
_MOUNT_FROM = re.compile(r"--mount=\S*?\bfrom=([^,\s]+)")
# FROM names a stage by its AS name only: an unnamed stage is nobody's base.
_UNNAMED_STAGE = re.compile(r"^stage-\d+$")

_StageKey = tuple[str | None, str | None, str | None]


def _stage_key(parsed: ParsedName, stage: str | None = None) -> _StageKey:
    return (parsed.target, parsed.platform, parsed.stage if stage is None else stage)


def infer_dependencies(vertices: list[Vertex], dockerfile: Dockerfile | None) -> None:
    stages: dict[_StageKey, dict[int, Vertex]] = {}
    froms: list[Vertex] = []
    for vertex in vertices:
        for name in vertex.names:
            parsed = parse_name(name)
            if parsed.kind is StepKind.STEP and parsed.index is not None:
                stages.setdefault(_stage_key(parsed), {}).setdefault(parsed.index, vertex)
                if parsed.instruction == "FROM" and vertex not in froms:
                    froms.append(vertex)
    by_outcome = sorted(
        (v for v in vertices if v.outcome_line is not None), key=lambda v: v.outcome_line or 0
    )

    def same_stage(key: _StageKey, count: int | None = None) -> list[dict[int, Vertex]]:
        # A bake target's step may be printed only under another target's name (one
        # vertex serves both): the same stage of another target stands in, if it is
        # the same stage (as many steps): compose services have Dockerfiles of their
        # own, whose stages may share a name ("builder") and nothing else.
        exact = stages.get(key)
        others = [
            m
            for k, m in stages.items()
            if k[1:] == key[1:]
            and k != key
            and (count is None or any(v.parsed.count == count for v in m.values()))
        ]
        return [exact, *others] if exact else others

    def step_at(key: _StageKey, index: int, count: int | None) -> Vertex | None:
        return next((m[index] for m in same_stage(key, count) if index in m), None)

    def last_step(key: _StageKey) -> Vertex | None:
        members = same_stage(key)
        return members[0][max(members[0])] if members else None

    def printed_before(vertex: Vertex, keep: Callable[[Vertex], bool]) -> Vertex | None:
        found = None
        for other in by_outcome:
            if (other.outcome_line or 0) >= vertex.first_line:
                break
            if other is not vertex and keep(other):
                found = other
        return found

    def ends_stage(other: Vertex) -> bool:
        # A stage built on another starts after that stage's last step succeeded.
        parsed = other.parsed
        return (
            parsed.kind is StepKind.STEP
            and parsed.index == parsed.count
            and other.runs[-1].outcome in ("done", "cached")
        )

    loads = _InternalLoads(vertices)
    for vertex in vertices:
        parsed = vertex.parsed
        deps: list[Vertex] = []
        candidates: list[Vertex] = []
        if parsed.kind is StepKind.STEP and parsed.index is not None:
            key = _stage_key(parsed)
            if parsed.index > 1:
                previous = step_at(key, parsed.index - 1, parsed.count)
                if previous is None and parsed.index == 2:
                    # The stage's FROM vertex is shared with another stage, which named it.
                    previous = printed_before(vertex, lambda o: o in froms) or (
                        froms[0] if froms else None
                    )
                if previous is not None:
                    deps.append(previous)
            elif parsed.instruction != "FROM":
                base = _base_stage(parsed, dockerfile)
                found = last_step(_stage_key(parsed, base)) if base is not None else None
                if found is not None:
                    deps.append(found)
                else:
                    candidates = [
                        other
                        for other in by_outcome
                        if (other.outcome_line or 0) < vertex.first_line
                        and ends_stage(other)
                        and other.parsed.stage != parsed.stage
                        and not _UNNAMED_STAGE.match(other.parsed.stage or "")
                    ][-MAX_BASE_CANDIDATES:]
            for reference in _source_references(parsed):
                label = _stage_label(reference, dockerfile, stages, parsed)
                found = last_step(_stage_key(parsed, label)) if label is not None else None
                if found is not None and found is not vertex:
                    deps.append(found)
        deps.extend(loads.inputs_of(vertex))
        vertex.structural = bool(deps)
        vertex.base_candidates = [other.number for other in candidates]
        vertex.guessed_base = bool(candidates)
        if not deps and not candidates:
            link = printed_before(vertex, lambda other: True)
            if link is not None:
                deps.append(link)
        vertex.deps = list(dict.fromkeys(dep.number for dep in deps if dep is not vertex))


class _InternalLoads:
    """The edges BuildKit's scheduler has that plain output does not print.

    The internal loads themselves get no inputs, as in a rawjson stream: the frontend
    starts them when it is ready (``.dockerignore`` may wait for a metadata lookup no
    edge shows), so the analysis links them by time. A stage's ``FROM`` waits
    for its image's metadata; a ``COPY``/``ADD`` of the context (and a ``RUN`` with a
    bind mount of it) waits for the context upload, which is why a slow upload is on
    the critical path. An edge is kept only if the output agrees: the input's outcome
    was printed before the consumer's first line.
    """

    def __init__(self, vertices: list[Vertex]) -> None:
        self._by_text: dict[tuple[str | None, str], list[Vertex]] = {}
        self._metadata: list[tuple[str, Vertex]] = []
        for vertex in vertices:
            parsed = vertex.parsed
            if parsed.kind is not StepKind.INTERNAL:
                continue
            text = parsed.text
            if text.startswith(_CONTEXT):
                self._by_text.setdefault((parsed.target, _CONTEXT), []).append(vertex)
            if text.startswith(_METADATA):
                self._metadata.append((text[len(_METADATA) :].strip(), vertex))

    def inputs_of(self, vertex: Vertex) -> list[Vertex]:
        parsed = vertex.parsed
        wanted: list[Vertex | None] = []
        if parsed.kind is StepKind.STEP:
            if parsed.instruction == "FROM":
                wanted.append(self._image_metadata(parsed))
            elif _uses_context(parsed):
                wanted.append(self._find(parsed.target, _CONTEXT))
        return [
            found
            for found in wanted
            if found is not None
            and found is not vertex
            and found.outcome_line is not None
            and found.outcome_line < vertex.first_line
        ]

    def _find(self, target: str | None, kind: str) -> Vertex | None:
        found = self._by_text.get((target, kind)) or self._by_text.get((None, kind))
        if found:
            return found[0]
        # A bake target's step may use a load printed under another target's name.
        others = [v for (_, k), vs in self._by_text.items() if k == kind for v in vs]
        return others[0] if others else None

    def _image_metadata(self, parsed: ParsedName) -> Vertex | None:
        words = parsed.text.split()
        if len(words) < 2:
            return None
        image = words[1].split("@", 1)[0]
        matches = [v for ref, v in self._metadata if ref == image or image.endswith(f"/{ref}")]
        # The load of the step's own target and platform, else one of its target's.
        own = ((parsed.target, parsed.platform), (parsed.target, None))
        same = [v for v in matches if (v.parsed.target, v.parsed.platform) in own]
        chosen = same or matches
        return chosen[0] if chosen else None


_CONTEXT = "load build context"
_METADATA = "load metadata for "
_REMOTE_SOURCE = re.compile(r"^(?:https?://|git@|git://)")


def _uses_context(parsed: ParsedName) -> bool:
    """Whether a step reads the build context: COPY/ADD without ``--from``, bind mounts."""
    words = parsed.text.split()[1:]
    if parsed.instruction in ("COPY", "ADD"):
        if any(word.startswith("--from=") for word in words):
            return False
        sources = [word for word in words if not word.startswith("--")][:-1]
        return any(not _REMOTE_SOURCE.match(source) for source in sources)
    if parsed.instruction == "RUN":
        return any(
            word.startswith("--mount=") and "type=bind" in word and "from=" not in word
            for word in words
        )
    return False


def _base_stage(parsed: ParsedName, dockerfile: Dockerfile | None) -> str | None:
    if dockerfile is None:
        return None
    stage = dockerfile.stage(parsed.stage)
    if stage is None or stage.base_stage is None:
        return None
    return dockerfile.stages[stage.base_stage].label


def _source_references(parsed: ParsedName) -> list[str]:
    text = parsed.text
    if parsed.instruction in ("COPY", "ADD"):
        return _FROM_FLAG.findall(text)
    if parsed.instruction == "RUN":
        return _MOUNT_FROM.findall(text)
    return []


def _stage_label(
    reference: str,
    dockerfile: Dockerfile | None,
    stages: dict[_StageKey, dict[int, Vertex]],
    parsed: ParsedName,
) -> str | None:
    if dockerfile is not None:
        found = dockerfile.resolve_reference(reference)
        return found.label if found is not None else None
    for candidate in (reference.lower(), f"stage-{reference}"):
        if _stage_key(parsed, candidate) in stages:
            return candidate
    return None
