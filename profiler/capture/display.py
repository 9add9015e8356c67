"""What the user sees while a build runs under ``kitprof run``.

The build's own progress display is replaced by the rawjson stream, so kitprof shows
its own, from the same events:

- :class:`LiveDisplay` (a terminal): a rich view redrawn a few times a second with
  the running steps per stage, their elapsed time and last log line, finished/total
  and the elapsed time;
- :class:`PlainDisplay` (CI logs, pipes): one line when a step starts and one when it
  finishes, never a redraw;
- :class:`QuietDisplay`: no progress at all.

Every display passes the stream's non-JSON lines (``ERROR: …``, warnings) through
to the user as they come.

The displays track vertices themselves (:class:`ProgressTracker`) rather than
freezing a :class:`~profiler.merge.BuildRecorder` at every refresh: a freeze copies
every log chunk, which a build with megabytes of output cannot afford eight times
a second.
"""

from __future__ import annotations

import binascii
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, ClassVar

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from profiler.analysis import stage_label
from profiler.events import Event, TextLine
from profiler.merge import CANCELLED_SUFFIX
from profiler.model import StepStatus
from profiler.names import ParsedName, StepKind, parse_name
from profiler.render.format import clip

REFRESH_SECONDS = 0.125
"""8 Hz: smooth enough for elapsed times, cheap enough to never matter."""
MAX_TEXT = 100


class DisplayMode(StrEnum):
    AUTO = "auto"
    """``live`` on a terminal, ``plain`` otherwise."""
    LIVE = "live"
    PLAIN = "plain"
    QUIET = "quiet"


@dataclass(slots=True)
class VertexProgress:
    digest: str
    name: str
    parsed: ParsedName
    running_since: float | None = None
    """Monotonic time kitprof first saw the current run start (local clock: no skew)."""
    status: StepStatus | None = None
    """Set once finished; ``None`` while pending or running."""
    started_once: bool = False
    reported: StepStatus | None = None
    """The last finish status announced, so a restart ending alike is not told twice."""
    seconds: float | None = None
    """Duration of the finished run, from the stream's own timestamps."""
    last_log: str | None = None
    """The latest log chunk, still base64: decoded only when shown."""

    @property
    def stage(self) -> str:
        parsed = self.parsed
        if parsed.stage is not None:
            name = parsed.stage
        elif parsed.kind is StepKind.STEP:
            name = "stage-0"
        else:
            name = "(export)" if parsed.kind is StepKind.EXPORTER else "(internal)"
        return stage_label(parsed.target, name, parsed.platform)

    @property
    def text(self) -> str:
        return clip(self.parsed.text or self.name, MAX_TEXT)

    @property
    def running(self) -> bool:
        return self.running_since is not None and self.status is None

    def last_log_line(self) -> str:
        if self.last_log is None:
            return ""
        try:
            data = binascii.a2b_base64(self.last_log)
        except (binascii.Error, ValueError):
            return ""
        lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        return clip(lines[-1].strip(), MAX_TEXT) if lines else ""


@dataclass(frozen=True, slots=True)
class Transition:
    kind: str
    """``start`` or ``finish``."""
    vertex: VertexProgress


class ProgressTracker:
    """Vertex states for display, from SolveStatus events (buildx's merge rule, simplified)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.vertices: dict[str, VertexProgress] = {}

    def add(self, event: Event) -> list[Transition]:
        if not isinstance(event, dict):
            return []
        transitions: list[Transition] = []
        vertexes = event.get("vertexes")
        if isinstance(vertexes, list):
            for vertex in vertexes:
                if isinstance(vertex, dict):
                    transition = self._vertex(vertex)
                    if transition is not None:
                        transitions.append(transition)
        logs = event.get("logs")
        if isinstance(logs, list):
            for log in logs:
                if isinstance(log, dict):
                    state = self.vertices.get(str(log.get("vertex")))
                    data = log.get("data")
                    if state is not None and isinstance(data, str) and data:
                        state.last_log = data
        return transitions

    def _vertex(self, vertex: dict[str, object]) -> Transition | None:
        digest = vertex.get("digest")
        name = vertex.get("name")
        if not isinstance(digest, str):
            return None
        state = self.vertices.get(digest)
        if state is None:
            text = name if isinstance(name, str) and name else digest
            state = self.vertices[digest] = VertexProgress(digest, text, parse_name(text))
        started, completed = vertex.get("started"), vertex.get("completed")
        if completed:
            status = _finished_status(vertex)
            if isinstance(started, str) and isinstance(completed, str):
                state.seconds = _seconds_between(started, completed)
            state.status = status
            state.running_since = None
            if status is state.reported:
                return None  # a second run ending the same way (a second export) is no news
            state.reported = status
            return Transition("finish", state)
        if started and (state.running_since is None or state.status is not None):
            # Started (again: cache-key computation, then execution; a second export).
            state.status = None
            state.running_since = self._clock()
            if not state.started_once:
                state.started_once = True
                return Transition("start", state)
        return None

    @property
    def running(self) -> list[VertexProgress]:
        return [v for v in self.vertices.values() if v.running]

    @property
    def finished(self) -> int:
        return sum(1 for v in self.vertices.values() if v.status is not None)

    def count(self, status: StepStatus) -> int:
        return sum(1 for v in self.vertices.values() if v.status is status)


def _finished_status(vertex: dict[str, object]) -> StepStatus:
    error = vertex.get("error")
    if isinstance(error, str) and error:
        cancelled = error.rstrip().endswith(CANCELLED_SUFFIX) or error.strip() == "canceled"
        return StepStatus.CANCELLED if cancelled else StepStatus.FAILED
    return StepStatus.CACHED if vertex.get("cached") is True else StepStatus.DONE


def _seconds_between(started: str, completed: str) -> float | None:
    from datetime import datetime

    try:
        return (datetime.fromisoformat(completed) - datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return None


def elapsed(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}m{rest:04.1f}s"
    return f"{seconds:.1f}s"


class Display:
    """Base display: tracks progress, passes text lines through, shows nothing else."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self.tracker = ProgressTracker(clock)

    def start(self, command: str, stream_path: str) -> None:
        self._start = self._clock()

    def events(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, TextLine):
                self.text_line(event.text)
            else:
                for transition in self.tracker.add(event):
                    self.transition(transition)

    def text_line(self, text: str) -> None:
        """A line of the build's stderr that is not a progress event."""

    def transition(self, transition: Transition) -> None:
        """A step started or finished."""

    def notice(self, text: str) -> None:
        """A message from kitprof itself (interrupt forwarded…)."""

    def refresh(self) -> None:
        """Called about :data:`REFRESH_SECONDS` apart while the build runs."""

    def stop(self) -> None:
        """The build ended; leave the terminal clean for the report."""

    @property
    def seconds(self) -> float:
        return self._clock() - self._start


class QuietDisplay(Display):
    """No progress: only the build's own error and warning lines, on stderr."""

    def __init__(self, out: IO[str] | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(clock)
        self._out = out

    @property
    def out(self) -> IO[str]:
        return self._out if self._out is not None else sys.stderr

    def text_line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def notice(self, text: str) -> None:
        self.out.write(f"kitprof: {text}\n")
        self.out.flush()


class PlainDisplay(QuietDisplay):
    """Line-oriented progress for logs: a line per step start and finish."""

    def start(self, command: str, stream_path: str) -> None:
        super().start(command, stream_path)
        self.notice(f"running {command}")
        self.notice(f"saving the stream to {stream_path}")

    def transition(self, transition: Transition) -> None:
        vertex = transition.vertex
        if transition.kind == "start":
            word, duration = "start", ""
        else:
            word = vertex.status.value if vertex.status else "done"
            duration = f"  {elapsed(vertex.seconds)}" if vertex.seconds is not None else ""
            if vertex.status is StepStatus.CACHED:
                duration = ""
        self.out.write(
            f"[{elapsed(self.seconds):>7}] {word:<9} {vertex.stage}  {vertex.text}{duration}\n"
        )
        self.out.flush()


class LiveDisplay(Display):
    """A rich Live view on the terminal, redrawn by :meth:`refresh` (no thread of its own)."""

    STYLE: ClassVar[dict[StepStatus, str]] = {
        StepStatus.FAILED: "bold red",
        StepStatus.CANCELLED: "yellow",
    }

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.console = console
        # auto_refresh=False: rich's refresh thread would read the tracker while the
        # main loop changes it; refreshing from the loop needs no locking.
        self._live = Live(
            console=console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._command = ""

    def start(self, command: str, stream_path: str) -> None:
        super().start(command, stream_path)
        self._command = command
        self.console.print(Text(f"kitprof: running {command}", style="dim"), soft_wrap=True)
        self.console.print(Text(f"kitprof: saving the stream to {stream_path}", style="dim"))
        self._live.start()
        self.refresh()

    def text_line(self, text: str) -> None:
        self.console.print(Text(text), soft_wrap=True, highlight=False, markup=False)

    def notice(self, text: str) -> None:
        self.console.print(Text(f"kitprof: {text}", style="bold yellow"))

    def transition(self, transition: Transition) -> None:
        # Failures are printed above the live view, so they stay once it is gone.
        vertex, status = transition.vertex, transition.vertex.status
        if transition.kind != "finish" or status is None or status not in self.STYLE:
            return
        self.console.print(
            Text(f"{status.value}: {clip(vertex.name)}", style=self.STYLE[status]),
            soft_wrap=True,
        )

    def refresh(self) -> None:
        self._live.update(self.renderable(), refresh=True)

    def renderable(self) -> RenderableType:
        tracker = self.tracker
        running = sorted(tracker.running, key=lambda v: v.running_since or 0.0)
        total = len(tracker.vertices)
        header = Text.assemble(("building ", "bold"), (elapsed(self.seconds), "bold cyan"))
        if total:
            header.append(
                f"  {tracker.finished}/{total} steps finished"
                f" ({tracker.count(StepStatus.CACHED)} cached)  {len(running)} running"
            )
        else:
            header.append("  waiting for BuildKit…", style="dim")
        failed = tracker.count(StepStatus.FAILED)
        if failed:
            header.append(f"  {failed} failed", style="bold red")
        table = Table.grid(padding=(0, 2))
        table.add_column(style="cyan", no_wrap=True)
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=3)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(style="dim", no_wrap=True, overflow="ellipsis", ratio=2)
        room = max(3, self.console.size.height - 4)
        now = self._clock()
        for vertex in running[:room]:
            table.add_row(
                vertex.stage,
                vertex.text,
                elapsed(now - (vertex.running_since or now)),
                vertex.last_log_line(),
            )
        parts: list[RenderableType] = [header, table]
        if len(running) > room:
            parts.append(Text(f"… and {len(running) - room} more running", style="dim"))
        return Group(*parts)

    def stop(self) -> None:
        self._live.stop()


def make_display(mode: DisplayMode, console: Console) -> Display:
    """The display for a mode; ``auto`` is live on a terminal and plain otherwise."""
    if mode is DisplayMode.AUTO:
        mode = (
            DisplayMode.LIVE
            if console.is_terminal and not console.is_dumb_terminal
            else DisplayMode.PLAIN
        )
    if mode is DisplayMode.LIVE:
        return LiveDisplay(console)
    if mode is DisplayMode.PLAIN:
        return PlainDisplay(console.file)
    return QuietDisplay(console.file)
