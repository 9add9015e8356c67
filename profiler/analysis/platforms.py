"""A multi-platform build, one platform at a time.

``docker buildx build --platform linux/amd64,linux/386`` runs every stage once per
platform, in one solve: BuildKit prefixes each step's name with its platform
(``[linux/386 compile 2/2] RUN …``, ``[linux/386 internal] load metadata for …``),
and the platforms' steps run side by side. What the loads of the definition and the
context, and the exporter, did for all of them carries no platform: those are the
*shared* steps. A stage built ``FROM --platform=$BUILDPLATFORM`` runs once, under the
build platform's name, and feeds every platform.

Each platform gets its own rollup: its steps, how many were cached, its busy and
sequential time, when its work started and ended, and its own critical path and
lower bound: the chain that set the time its last step finished, through anything it
depended on (the shared loads, a build-platform stage), and the longest
duration-weighted path to it. A single-platform build has one platform (or none, for
a build without ``--platform``): reports show the rollup from two platforms on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from profiler.analysis.cache import cache_summary
from profiler.analysis.critical_path import dependency_graph, longest_path, observed_critical_path
from profiler.analysis.timeline import build_origin, busy_seconds
from profiler.model import Build, Step


@dataclass(frozen=True, slots=True)
class PlatformSummary:
    platform: str | None
    """``linux/386``; ``None`` for the shared steps (no platform in their names)."""
    vertices: int
    """Every vertex of the platform: its Dockerfile steps and its metadata loads."""
    steps: int
    """Cacheable Dockerfile steps, counted as :class:`CacheSummary` counts them."""
    cached: int
    start: float | None
    """First start of the platform's vertices (seconds from the build's start)."""
    end: float | None
    """Last end of the platform's vertices: when its result was ready."""
    busy_seconds: float
    """Time at least one of its vertices was running."""
    sequential_seconds: float
    """Sum of its vertices' busy times."""
    critical_path: tuple[str, ...]
    """Digests of the chain that set its end, in time order; it may pass through
    shared steps or another platform's (``FROM --platform=$BUILDPLATFORM``). Empty
    for the shared steps, whose chain is the whole build's."""
    critical_path_seconds: float
    lower_bound_seconds: float
    """Its end with unlimited parallelism: the longest duration-weighted path to it."""

    @property
    def shared(self) -> bool:
        return self.platform is None

    @property
    def span_seconds(self) -> float:
        """From its first start to its last end."""
        if self.start is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.start)

    def borrowed(self, build: Build) -> tuple[str, ...]:
        """Steps of its critical path that are not its own (shared, or another
        platform's), in time order."""
        return tuple(
            d for d in self.critical_path if build.step(d).parsed.platform != self.platform
        )


def platforms_of(build: Build) -> tuple[str, ...]:
    """The platforms a build's step names carry, sorted (recordings differ in which comes first)."""
    seen: dict[str, None] = {}
    for step in build:
        if step.parsed.platform is not None:
            seen.setdefault(step.parsed.platform)
    return tuple(sorted(seen))


def is_multi_platform(build: Build) -> bool:
    return len(platforms_of(build)) >= 2


def platform_summaries(
    build: Build, graph: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[PlatformSummary, ...]:
    """One summary per platform (sorted by name), then the shared steps
    (if any). Empty for a build whose steps carry no platform."""
    platforms = platforms_of(build)
    if not platforms:
        return ()
    graph = dependency_graph(build) if graph is None else graph
    origin = build_origin(build)
    groups: dict[str | None, list[Step]] = {platform: [] for platform in platforms}
    for step in build:
        groups.setdefault(step.parsed.platform, []).append(step)
    return tuple(
        _summary(build, graph, platform, members, origin) for platform, members in groups.items()
    )


def _summary(
    build: Build,
    graph: Mapping[str, tuple[str, ...]],
    platform: str | None,
    members: list[Step],
    origin: float,
) -> PlatformSummary:
    starts = [step.start for step in members if step.start is not None]
    ends = [step.end for step in members if step.end is not None]
    end = max(ends) if ends else None
    busy = busy_seconds(members)
    cache = cache_summary(Build(steps=tuple(members)))
    path: list[Step] = []
    bound = 0.0
    # Nothing a platform's result needed can have run before the build's first real
    # start, nor after its last step: its chain and bound fit in that window.
    ready = max(0.0, end - origin) if end is not None else 0.0
    if platform is not None:
        among = {step.digest for step in members}
        path = observed_critical_path(build, graph, among=among)
        bound_length, bound_path = longest_path(build, graph, among=among)
        bound = min(busy_seconds(bound_path), bound_length, ready)
    return PlatformSummary(
        platform=platform,
        vertices=len(members),
        steps=cache.steps,
        cached=cache.cached,
        start=min(starts) if starts else None,
        end=end,
        busy_seconds=busy,
        sequential_seconds=sum(step.duration for step in members),
        critical_path=tuple(step.digest for step in path),
        critical_path_seconds=min(busy_seconds(path), ready),
        lower_bound_seconds=bound,
    )
