"""What a suggestion is, what tunes the search, and the report of one pass."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from profiler.suggest.simulate import Calibration

SCHEMA_VERSION = 1


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


@dataclass(frozen=True, slots=True)
class SuggestionReport:
    suggestions: tuple[Suggestion, ...]
    calibration: Calibration
    options: SuggestOptions
    notes: tuple[str, ...] = ()
    complete: bool = True
    """False when the build failed or was cut off: then nothing is suggested."""

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.suggestions)

    def __len__(self) -> int:
        return len(self.suggestions)
