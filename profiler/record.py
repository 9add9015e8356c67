"""What Docker's own build record adds to a Build: the facts a progress stream lacks.

A ``.dockerbuild`` file (``docker buildx history export``, Docker Desktop's Builds
view, a ``docker/build-push-action`` artifact) holds, beside the progress stream,
the build's configuration (ref, target, build arguments), its provenance (the
Dockerfile, which line made which step) and samples of the host's CPU and memory
taken while it ran. :class:`BuildRecord` keeps them on the Build they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def _frozen_map(values: dict[str, Any] | None = None) -> MappingProxyType[str, Any]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class HostSample:
    """One ``sysUsage`` sample: how busy the host was, about every 2 s of the build.

    Percentages cover the time since the previous sample (``None`` for the first,
    which has nothing to compare with). Pressure figures are the kernel's PSI
    ``some avg10``: the share of the last 10 s in which some task waited.
    """

    time: float
    """Seconds from the build's start (the Build's model time)."""
    cpu_busy_percent: float | None
    """Non-idle share of all CPUs (user, system, irq, steal…; not idle, not iowait)."""
    iowait_percent: float | None
    memory_used_kib: int | None
    """Total minus available memory."""
    memory_total_kib: int | None
    cpu_pressure: float | None
    memory_pressure: float | None
    io_pressure: float | None
    cpus: float | None = None
    """CPUs the host's counters cover: their growth in CPU-seconds per second of the
    interval (``None`` for the first sample). The record does not name the host's
    core count; this is it, measured."""

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "time": round(self.time, 3),
            "cpu_busy_percent": _rounded(self.cpu_busy_percent),
            "iowait_percent": _rounded(self.iowait_percent),
            "memory_used_kib": self.memory_used_kib,
            "memory_total_kib": self.memory_total_kib,
            "cpu_pressure": self.cpu_pressure,
            "memory_pressure": self.memory_pressure,
            "io_pressure": self.io_pressure,
            "cpus": _rounded(self.cpus),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class LineRange:
    """Dockerfile lines (1-based, inclusive) that made one step."""

    start: int
    end: int


EXCERPT_CONTEXT = 2
"""Lines shown either side of a failed step's lines (buildx shows the same)."""


@dataclass(frozen=True)
class SourceLocation:
    """Where in a build's Dockerfile something happened: BuildKit's ``errdefs.Source``."""

    filename: str
    lines: tuple[LineRange, ...]
    text: str | None = None
    """The Dockerfile's text as the error carries it (for the excerpt)."""
    printed: tuple[tuple[int, str, bool], ...] = ()
    """The excerpt as buildx printed it under the stream, for a location without text."""

    def label(self) -> str:
        """``Dockerfile:13`` or ``Dockerfile:7-9``, as buildx prints it."""
        if not self.lines:
            return self.filename
        start = min(r.start for r in self.lines)
        end = max(r.end for r in self.lines)
        return f"{self.filename}:{start}" if start == end else f"{self.filename}:{start}-{end}"

    def excerpt(self, context: int = EXCERPT_CONTEXT) -> tuple[tuple[int, str, bool], ...]:
        """``(line number, text, inside the range)`` for the range and ``context`` lines
        either side, as buildx shows it under ``Dockerfile:N``; empty without the text."""
        if self.text is None or not self.lines:
            return self.printed
        lines = self.text.splitlines()
        marked = {n for r in self.lines for n in range(r.start, r.end + 1)}
        first = max(1, min(marked) - context)
        last = min(len(lines), max(marked) + context)
        return tuple((n, lines[n - 1], n in marked) for n in range(first, last + 1))


@dataclass(frozen=True)
class RecordFailure:
    """A failed build's error as the record keeps it (``externalError``: a
    google.rpc.Status whose details name the vertex, the exit code and the source)."""

    message: str
    vertex: str | None = None
    """Digest of the vertex that failed."""
    exit_code: int | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class BuildRecord:
    """The record's own facts about one build (all optional: records vary)."""

    ref: str
    """The history reference: ``docker buildx history inspect REF`` finds it again."""
    target: str | None = None
    """The Dockerfile ``--target``, or the bake/compose target this build was."""
    build_args: MappingProxyType[str, str] = field(default_factory=_frozen_map)
    frontend_attrs: MappingProxyType[str, str] = field(default_factory=_frozen_map)
    """Every frontend attribute (``filename``, ``target``, ``build-arg:*``, ``vcs:*``…)."""
    error: str | None = None
    """The failed build's error, as BuildKit reports it."""
    created_at: float | None = None
    """Epoch seconds the build was created and completed at (the record's clock)."""
    completed_at: float | None = None
    git_revision: str | None = None
    git_source: str | None = None
    dockerfile_name: str | None = None
    dockerfile_text: str | None = None
    """The Dockerfile the build ran, from the provenance's source infos."""
    step_lines: MappingProxyType[str, tuple[LineRange, ...]] = field(default_factory=_frozen_map)
    """Vertex digest → the Dockerfile lines that made it."""
    base_images: tuple[tuple[str, str], ...] = ()
    """Provenance materials: (image URI, digest)."""
    host_usage: tuple[HostSample, ...] = ()
    llb_inputs: MappingProxyType[str, tuple[str, ...]] = field(default_factory=_frozen_map)
    """Vertex digest → the digests of its inputs in the LLB definition (provenance):
    the true dependency graph, empty when the record has no provenance. The
    exporter's entry is the build's result (the LLB's terminal op's inputs)."""
    layer_sizes: MappingProxyType[str, int] = field(default_factory=_frozen_map)
    """Vertex digest → bytes (compressed, as in the image) of the layers the step added
    to the exported image; only steps of the exported chain have one (a FROM: the base
    image's layers)."""
    image_size: int | None = None
    """Bytes of all the exported image's layers (compressed), when the record says."""
    failure: RecordFailure | None = None

    def summary(self) -> dict[str, Any]:
        """The record's facts for ``analyze --json``."""
        return {
            "ref": self.ref,
            "target": self.target,
            "build_args": dict(self.build_args),
            "error": self.error,
            "git_revision": self.git_revision,
            "git_source": self.git_source,
            "dockerfile": self.dockerfile_name,
            "base_images": [{"uri": uri, "digest": digest} for uri, digest in self.base_images],
            # Where the steps' inputs come from: the provenance's LLB, or the stream.
            "edges": "llb" if self.llb_inputs else "stream",
        }
