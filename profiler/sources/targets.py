"""One bake session of several targets -> one build per target (compose services).

``docker compose build`` (2.37+ builds through bake) and ``docker buildx bake`` of
several targets run them in one BuildKit session: one stream, one numbering, every
vertex name prefixed with its target (``[api builder 2/7] RUN …``, ``[web internal]
load .dockerignore``, ``[api] exporting to image``). The user asked for several images:
each target is reported as its own build, named after it. A vertex BuildKit shares
between targets (same base image metadata, same ``FROM``) is printed under each
target's name and counts in each; a vertex of no target (``[internal] load local bake
definitions``) belongs to none. Times stay those of the session.
"""

from __future__ import annotations

import re
from dataclasses import replace

from profiler.model import Build, Step
from profiler.names import parse_name

# "[linux/amd64 internal]": a platform, not a target.
_PLATFORM = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(?:/v\d+)?$")
_TARGET_FORM = re.compile(r"^\[\S+ (?:internal|(?:\S+ )*\S+ +\d+/\d+)\]")


def targets_of(step: Step, known: set[str] | None = None) -> list[str]:
    """The bake targets a vertex was printed under, in print order."""
    found: list[str] = []
    for name in step.names or (step.name,):
        target = parse_name(name).target
        if target is None or _PLATFORM.match(target) or target in found:
            continue
        if known is None or target in known:
            found.append(target)
    return found


def _bake_targets(build: Build) -> set[str]:
    # A target is one whose name has BuildKit's own forms, "[api internal] …" or
    # "[api stage 2/5] …": a frontend may print "[nix] nix build" of no target.
    targets: set[str] = set()
    for step in build:
        for name in step.names or (step.name,):
            parsed = parse_name(name)
            if parsed.target is not None and _TARGET_FORM.match(name):
                targets.add(parsed.target)
    return targets


def split_by_target(build: Build) -> list[Build]:
    """One build per target, in order of first appearance; the build itself if it has
    fewer than two targets (named after its one target, if any)."""
    known = _bake_targets(build)
    order: list[str] = []
    members: dict[str, list[Step]] = {}
    for step in build:
        for target in targets_of(step, known):
            if target not in members:
                order.append(target)
                members[target] = []
            members[target].append(step)
    if len(order) < 2:
        if order and build.name is None:
            return [replace(build, name=order[0])]
        return [build]
    builds = []
    for target in order:
        others = [other for other in order if other != target]
        messages = tuple(
            message
            for message in build.messages
            if not any(f"target {other}:" in message for other in others)
        )
        note = (
            f"target {target!r} of {len(order)} built in one session "
            f"({', '.join(order)}): vertices shared by targets count in each"
        )
        builds.append(
            replace(
                build,
                steps=tuple(members[target]),
                messages=messages,
                notes=(*build.notes, note),
                name=target,
            )
        )
    return builds
