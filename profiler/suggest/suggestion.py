"""What a suggestion is, what tunes the search, and the report of one pass."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from profiler.suggest.simulate import Calibration, Simulator

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class HostPricing:
    """A saving that comes from added parallelism, priced again on the host as it was.

    The ordinary price assumes that the steps made parallel find idle cores. When
    Docker's record shows the host CPU-bound while those steps ran, the replay is
    run again with ``RUN`` steps sharing the cores the build had there
    (:attr:`profiler.analysis.host_usage.HostLoad.cpus_for_build`).
    """

    saving_seconds: float
    """The saving with the cores this host had free (the idle-core one is the
    suggestion's ``estimated_saving_seconds``)."""
    wall_seconds: float
    cores: int
    """Cores the replay shared among parallel ``RUN`` steps."""
    host_cpus: int
    """The host's cores, measured from the record's counters."""
    busy_percent: float
    """The host's mean CPU busy share while the steps ran."""
    idle_cpus: float
    """Cores idle while the steps ran, on average."""
    window: tuple[float, float]
    """When the steps ran (seconds from the build's start)."""

    @property
    def sentence(self) -> str:
        """The assumption the idle-core price makes, and what the record says of it."""
        return (
            f"idle cores for the steps made parallel, which this host did not have: "
            f"{self.idle_cpus:.1f} of its {self.host_cpus} cores were idle while they ran "
            f"({self.busy_percent:.0f}% busy, {self.window[0]:.1f}-{self.window[1]:.1f} s); "
            f"priced with RUN steps sharing the {self.cores} "
            f"{'core' if self.cores == 1 else 'cores'} the build had there, "
            f"it saves {self.saving_seconds:.1f} s"
        )


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str
    title: str
    detail: str
    estimated_saving_seconds: float
    estimated_wall_seconds: float
    """The predicted wall time of the ``scenario`` with the change made."""
    baseline_wall_seconds: float
    """The wall time of the ``scenario`` as the Dockerfile is today."""
    scenario: str
    """What the times describe: ``"this build"`` or ``"a rebuild after a source edit"``."""
    steps: tuple[str, ...]
    """Names of the steps involved, as the build shows them."""
    digests: tuple[str, ...]
    dockerfile_lines: tuple[int, ...] = ()
    diff: str | None = None
    assumptions: tuple[str, ...] = ()
    rewritten: str | None = field(default=None, repr=False)
    """The whole Dockerfile with the change made, when there is a diff."""
    host: HostPricing | None = None
    """The saving priced with the cores the host had free, when it was CPU-bound
    while the steps this suggestion makes parallel ran (records with host samples)."""

    @property
    def saving_ratio(self) -> float:
        if self.baseline_wall_seconds <= 0:
            return 0.0
        return self.estimated_saving_seconds / self.baseline_wall_seconds


@dataclass(frozen=True, slots=True)
class SuggestOptions:
    cores: int | None = None
    """Parallel ``RUN`` steps share this many cores (``None``: they never contend)."""
    max_parallelism: int | None = None
    """At most this many vertices run at once (BuildKit ``max-parallelism``)."""
    context: Path | None = None
    """The build context directory; by default the Dockerfile's directory."""
    min_saving_seconds: float = 0.25
    min_saving_ratio: float = 0.03
    long_step_seconds: float = 0.5
    """A step is long if it takes at least this long…"""
    long_step_ratio: float = 0.03
    """…and at least this share of the wall time."""


@dataclass(frozen=True)
class SuggestionReport:
    suggestions: tuple[Suggestion, ...]
    simulator: Simulator = field(repr=False, compare=False)
    """The pass's replay of the build; its calibration is made when first asked."""
    options: SuggestOptions
    notes: tuple[str, ...] = ()
    complete: bool = True
    """False when the build failed or was cut off: then nothing is suggested."""

    @property
    def calibration(self) -> Calibration:
        """How well replaying the recorded graph reproduces the build."""
        return self.simulator.calibration

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.suggestions)

    def __len__(self) -> int:
        return len(self.suggestions)
