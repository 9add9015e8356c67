"""The provenance's LLB definition: the true dependency graph, and each step's layer size.

BuildKit's provenance (``buildConfig``) lists the build's LLB ops as ``stepN`` with
``inputs`` ``stepM:output`` and maps each vertex digest of the progress stream to its
``stepN`` (``digestMapping``). Its metadata's ``layers`` gives, for each ``stepN:output``
of the exported image's chain, the image layers (descriptors with compressed
``size``) that its filesystem is made of: a step added the layers its chain has
beyond its parent's.

The stream knows the same edges for the vertices it shows, but nothing of the op
that is the build's result (an op without a kind, whose input is the last step): the
exporter, a vertex of the stream with no inputs, exports exactly that. The LLB
gives the exporter its true input, where the stream leaves it to be linked by time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from profiler.model import Build
from profiler.names import StepKind

Chain = tuple[tuple[str, int], ...]
"""Layers of one filesystem, bottom first: (layer digest, compressed bytes)."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ops(build_config: dict[str, Any]) -> dict[str, tuple[list[str], bool]]:
    """``stepN`` → (the ``stepM`` it reads, whether it is the result op without a kind)."""
    ops: dict[str, tuple[list[str], bool]] = {}
    for op in build_config.get("llbDefinition") or []:
        op = _dict(op)
        if not isinstance(op.get("id"), str):
            continue
        inputs = [
            reference.partition(":")[0]
            for reference in op.get("inputs") or []
            if isinstance(reference, str)
        ]
        kind = _dict(_dict(op.get("op")).get("Op"))
        ops[op["id"]] = (inputs, not kind)
    return ops


def _digests(build_config: dict[str, Any]) -> dict[str, str]:
    """``stepN`` → the vertex digest the stream knows it by."""
    mapping = _dict(build_config.get("digestMapping"))
    return {str(step): str(digest) for digest, step in mapping.items() if isinstance(step, str)}


def llb_inputs(build_config: dict[str, Any], build: Build) -> dict[str, tuple[str, ...]]:
    """Vertex digest → digests of its inputs, per the LLB (empty without a definition).

    An input the stream never showed (the result op) is replaced by its own inputs, so
    that every edge joins two steps of the Build; each exporter of the build that the
    stream left without inputs gets the result's.
    """
    ops = _ops(build_config)
    digests = _digests(build_config)
    if not ops or not digests:
        return {}

    def shown(step_id: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        digest = digests.get(step_id)
        if digest is not None and build.get(digest) is not None:
            return (digest,)
        if step_id in seen:
            return ()
        inputs = ops.get(step_id, ([], False))[0]
        return tuple(d for i in inputs for d in shown(i, seen | {step_id}))

    edges: dict[str, tuple[str, ...]] = {}
    results: list[str] = []
    for step_id, (inputs, is_result) in ops.items():
        found = tuple(dict.fromkeys(d for i in inputs for d in shown(i)))
        digest = digests.get(step_id)
        if digest is not None and build.get(digest) is not None:
            edges[digest] = found
        if is_result:
            results.extend(found)
    for step in build:
        if step.kind is StepKind.EXPORTER and not step.inputs and results:
            edges[step.digest] = tuple(dict.fromkeys(results))
    return edges


def with_llb_edges(build: Build, edges: Mapping[str, tuple[str, ...]]) -> Build:
    """The build with each step's inputs as the LLB gives them (where it gives them)."""
    if not edges:
        return build
    steps = tuple(
        replace(step, inputs=edges[step.digest])
        if step.digest in edges and edges[step.digest] != step.inputs
        else step
        for step in build.steps
    )
    return replace(build, steps=steps)


def layer_sizes(
    build_config: dict[str, Any], metadata: dict[str, Any]
) -> tuple[dict[str, int], int | None]:
    """Vertex digest → compressed bytes of the layers it added; and the image's total.

    A step's chain minus the longest chain of an ancestor that it extends is what the
    step added (a repeated empty layer counts each time: it is in the image each time).
    A source op (``FROM``) added its whole chain: the base image. A step whose
    ancestors have no recorded chain is left out rather than charged with theirs.
    """
    ops = _ops(build_config)
    digests = _digests(build_config)
    chains = _chains(metadata.get("layers"))
    sizes: dict[str, int] = {}
    for step_id, chain in chains.items():
        digest = digests.get(step_id)
        if digest is None:
            continue
        inputs = ops.get(step_id, ([], False))[0]
        if not inputs:
            sizes[digest] = sum(size for _, size in chain)
            continue
        parent = _longest_prefix(chain, _ancestor_chains(step_id, ops, chains))
        if parent is not None:
            sizes[digest] = sum(size for _, size in chain[len(parent) :])
    result = [i for inputs, is_result in ops.values() if is_result for i in inputs]
    image = chains.get(result[0]) if len(result) == 1 else None
    return sizes, (sum(size for _, size in image) if image is not None else None)


def _chains(layers: Any) -> dict[str, Chain]:
    """``stepN`` → its first output's first chain (``layers`` keys are ``stepN:output``)."""
    chains: dict[str, Chain] = {}
    for key, value in _dict(layers).items():
        step_id, _, output = str(key).partition(":")
        if output not in ("", "0") or not isinstance(value, list) or not value:
            continue
        first = value[0]
        if not isinstance(first, list):
            continue
        chain = []
        for descriptor in first:
            descriptor = _dict(descriptor)
            if not isinstance(descriptor.get("size"), int):
                break
            chain.append((str(descriptor.get("digest", "")), int(descriptor["size"])))
        else:
            chains[step_id] = tuple(chain)
    return chains


def _ancestor_chains(
    step_id: str, ops: dict[str, tuple[list[str], bool]], chains: dict[str, Chain]
) -> list[Chain]:
    found: list[Chain] = []
    seen = {step_id}
    pending = list(ops.get(step_id, ([], False))[0])
    while pending:
        ancestor = pending.pop()
        if ancestor in seen:
            continue
        seen.add(ancestor)
        if ancestor in chains:
            found.append(chains[ancestor])
        else:
            pending.extend(ops.get(ancestor, ([], False))[0])
    return found


def _longest_prefix(chain: Chain, candidates: list[Chain]) -> Chain | None:
    prefixes = [c for c in candidates if len(c) <= len(chain) and chain[: len(c)] == c]
    return max(prefixes, key=len, default=None)
