"""The progress kitprof shows while a build runs: tracker, plain lines, live view."""

from __future__ import annotations

import io

from rich.console import Console

from profiler.capture.display import (
    DisplayMode,
    LiveDisplay,
    PlainDisplay,
    ProgressTracker,
    QuietDisplay,
    make_display,
)
from profiler.events import StreamDecoder, TextLine
from profiler.model import StepStatus
from tests.streams import Stream, parallel_build


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def events(stream: Stream) -> list[object]:
    decoder = StreamDecoder()
    return [*decoder.feed(stream.indented()), *decoder.close()]


def test_tracker_follows_buildx_merge_rules() -> None:
    clock = FakeClock()
    tracker = ProgressTracker(clock)
    stream = (
        Stream()
        .vertex("sha256:a", "[base 1/2] RUN make")
        .vertex("sha256:a", "[base 1/2] RUN make", started=1.0)
        .vertex("sha256:a", "[base 1/2] RUN make")  # a late unstarted snapshot: ignored
    )
    kinds = [t.kind for e in events(stream) for t in tracker.add(e)]
    assert kinds == ["start"]
    (vertex,) = tracker.running
    assert vertex.stage == "base" and vertex.text == "RUN make"
    stream = Stream().vertex("sha256:a", "[base 1/2] RUN make", started=1.0, completed=3.5)
    transitions = [t for e in events(stream) for t in tracker.add(e)]
    assert [t.kind for t in transitions] == ["finish"]
    assert vertex.status is StepStatus.DONE and vertex.seconds == 2.5
    assert tracker.finished == 1 and not tracker.running


def test_tracker_statuses_of_cached_failed_and_cancelled_steps() -> None:
    tracker = ProgressTracker(FakeClock())
    stream = (
        Stream()
        .step("sha256:c", "[a 1/3] COPY x", 0.5, 0.5, cached=True)
        .step("sha256:f", "[a 2/3] RUN test", 1.0, 2.0, error="process exited with code 1")
        .step("sha256:k", "[b 1/1] RUN build", 1.0, 2.0, error="context canceled")
    )
    for event in events(stream):
        tracker.add(event)
    assert tracker.count(StepStatus.CACHED) == 1
    assert tracker.count(StepStatus.FAILED) == 1
    assert tracker.count(StepStatus.CANCELLED) == 1


def test_a_restarted_vertex_is_announced_once() -> None:
    tracker = ProgressTracker(FakeClock())
    stream = (
        Stream()
        .step("sha256:x", "exporting to image", 1.0, 1.2)
        .vertex("sha256:x", "exporting to image", started=1.5)
        .vertex("sha256:x", "exporting to image", started=1.5, completed=1.8)
    )
    kinds = [t.kind for e in events(stream) for t in tracker.add(e)]
    assert kinds == ["start", "finish"]  # the same status again is no news


def test_plain_display_lines() -> None:
    clock = FakeClock()
    out = io.StringIO()
    display = PlainDisplay(out, clock)
    display.start("docker buildx build .", "/tmp/x.rawjson")
    clock.now += 2.0
    display.events(events(parallel_build().text("WARNING: odd")))
    text = out.getvalue()
    assert "kitprof: running docker buildx build ." in text
    assert "[   2.0s] start     slow  RUN make slow" in text
    assert "[   2.0s] done      slow  RUN make slow  3.0s" in text
    assert "WARNING: odd\n" in text


def test_quiet_display_passes_only_text_lines() -> None:
    out = io.StringIO()
    display = QuietDisplay(out)
    display.start("x", "y")
    display.events([*events(parallel_build()), TextLine("ERROR: boom")])
    assert out.getvalue() == "ERROR: boom\n"


def test_live_view_shows_running_steps_per_stage_with_elapsed_and_last_log() -> None:
    clock = FakeClock()
    console = Console(file=io.StringIO(), width=120, height=30, force_terminal=False)
    display = LiveDisplay(console, clock)
    stream = (
        Stream()
        .step("sha256:base", "[base 1/1] RUN apk add", 0.0, 1.0)
        .vertex("sha256:slow", "[backend 1/2] RUN make", started=1.0)
        .log("sha256:slow", "compiling a.c\ncompiling b.c\n", 1.5)
        .vertex("sha256:fast", "[frontend 1/1] RUN npm ci", started=1.0)
    )
    display.events(events(stream))
    clock.now += 4.2
    rendered = io.StringIO()
    Console(file=rendered, width=120).print(display.renderable())
    text = rendered.getvalue()
    assert "building 4.2s" in text
    assert "1/3 steps finished" in text and "2 running" in text
    assert "backend" in text and "RUN make" in text and "compiling b.c" in text
    assert "frontend" in text and "RUN npm ci" in text
    assert "4.2s" in text


def test_auto_mode_is_plain_when_not_a_terminal() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(make_display(DisplayMode.AUTO, console), PlainDisplay)
    terminal = Console(file=io.StringIO(), force_terminal=True)
    assert isinstance(make_display(DisplayMode.AUTO, terminal), LiveDisplay)
    assert type(make_display(DisplayMode.QUIET, terminal)) is QuietDisplay
