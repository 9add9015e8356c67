"""What the plain reader knows of one vertex: its runs (header, logs, outcome) and inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from profiler.names import ParsedName


@dataclass(slots=True)
class LogEntry:
    offset: float
    text: str
    time: float | None


@dataclass(slots=True)
class Run:
    """One period of a vertex in the output: a header, its logs, an outcome."""

    header_line: int
    header_time: float | None
    logs: list[LogEntry] = field(default_factory=list)
    outcome: str | None = None
    """"done", "cached", "error", "canceled", or None if never printed."""
    seconds: float | None = None
    error: str | None = None
    outcome_line: int = -1
    outcome_time: float | None = None
    start: float = 0.0
    end: float | None = None

    @property
    def log_span(self) -> float:
        return max((log.offset for log in self.logs), default=0.0)

    @property
    def duration(self) -> float | None:
        """Its printed duration (at least its last log offset); None if not printed."""
        if self.outcome == "cached":
            return 0.0
        if self.outcome != "done":
            return None
        return max(self.seconds or 0.0, self.log_span)


@dataclass(slots=True)
class Vertex:
    number: int
    name: str
    parsed: ParsedName
    runs: list[Run]
    names: list[str] = field(default_factory=list)
    """Every name printed for it: bake prints a vertex shared by targets under each."""
    deps: list[int] = field(default_factory=list)
    structural: bool = False
    """Whether ``deps`` come from the build's structure rather than the output's order."""
    base_candidates: list[int] = field(default_factory=list)
    """For a stage's first step whose base stage is unknown: the stage-ending steps that
    had succeeded when it was printed, one of which is its base."""
    guessed_base: bool = False

    @property
    def first_line(self) -> int:
        return self.runs[0].header_line

    @property
    def outcome_line(self) -> int | None:
        lines = [run.outcome_line for run in self.runs if run.outcome is not None]
        return lines[0] if lines else None

    @property
    def end(self) -> float | None:
        return self.runs[-1].end
