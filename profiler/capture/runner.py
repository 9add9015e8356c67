"""Run a build command, save its stream as it arrives, parse it live.

Three rules shape this module:

1. **The build is never blocked by kitprof.** A pump thread per pipe (stdout and
   stderr) does nothing but read it in large chunks, write the stream's bytes to the
   stream file and pass the command's other output through
   (:mod:`profiler.capture.channels` decides which pipe carries the stream); parsing
   and the display happen in the calling thread, fed through an unbounded queue. If
   parsing falls behind, memory grows, the build does not wait. The pipes are
   enlarged (1 MiB on Linux) so that even a GIL hand-over never fills them.
2. **Nothing received is lost.** Every chunk is written to the (unbuffered) stream
   file before it is parsed, so a killed kitprof or a killed build leaves all bytes
   that had arrived on disk.
3. **Ctrl-C belongs to the build.** The command runs in its own process group; the
   first SIGINT/SIGTERM kitprof receives is forwarded to that group (as a terminal
   would send Ctrl-C to it), the second kills the group. kitprof itself keeps
   going, so the partial stream is still saved and analysed.

(A build in its own process group is not the terminal's foreground group; a build
command that reads the terminal would be stopped. Build commands do not.)
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import BinaryIO

from profiler.capture.channels import Item, Kind, Router, TextLines, start_pumps
from profiler.capture.command import BuildCommand
from profiler.capture.display import REFRESH_SECONDS, Display
from profiler.environment import CaptureStats
from profiler.errors import KitprofError, StreamError
from profiler.events import StreamDecoder
from profiler.merge import BuildRecorder

PIPE_SIZE = 1024 * 1024
LINGER_SECONDS = 3.0
"""After the command exits, how long a process it left behind may keep the stream open."""
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
BESIDE_DELAY_SECONDS = 2.0
SWITCH_INTERVAL_SECONDS = 0.001
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, spelled out for Pythons that lack the name


class CommandNotFoundError(KitprofError):
    exit_code = 127


class CommandNotExecutableError(KitprofError):
    exit_code = 126


@dataclass(slots=True)
class CaptureOutcome:
    """What a capture produced: the merged events and how the command ended."""

    exit_code: int
    """The command's exit code; 128 + N when signal N ended it."""
    recorder: BuildRecorder
    truncated: bool
    interrupted: bool
    wall_seconds: float
    stats: CaptureStats
    notes: list[str] = field(default_factory=list)
    """What went wrong with the capture itself, for the build's notes."""


class _Interrupts:
    """Signal handling: forward the first signal to the build's group, kill on the second."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.count = 0
        self.first: int | None = None
        self.pending_notices: list[str] = []
        self.group_alive = True

    def handler(self, signum: int, frame: FrameType | None) -> None:
        # No printing here: the main loop may be in the middle of a write. Notices wait.
        self.count += 1
        if self.first is None:
            self.first = signum
        if self.process is not None:
            self._send(signum if self.count == 1 else signal.SIGKILL)

    def process_started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        if self.count:  # interrupted while the command was starting
            self._send(self.first or signal.SIGINT)

    def kill(self) -> None:
        self._send(signal.SIGKILL)

    def _send(self, signum: int) -> None:
        process = self.process
        if process is None or not self.group_alive:
            return
        try:
            os.killpg(process.pid, signum)
        except (ProcessLookupError, PermissionError):
            return
        if signum == signal.SIGKILL:
            self.pending_notices.append("killed the build")
        else:
            self.pending_notices.append(
                f"{signal.Signals(signum).name} forwarded to the build; waiting for it to stop "
                "(press Ctrl-C again to kill it)"
            )


@contextlib.contextmanager
def _signals_forwarded(interrupts: _Interrupts, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    previous = {sig: signal.signal(sig, interrupts.handler) for sig in FORWARDED_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _prompt_thread_switches() -> Iterator[None]:
    """Let the pump take the GIL within 1 ms rather than Python's default 5 ms.

    While the main thread parses, the pump waits for the GIL before each read; at
    5 ms a very fast writer could fill even a 1 MiB pipe in the meantime and wait.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _enlarge_pipe(fd: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), PIPE_SIZE)


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def capture(
    command: BuildCommand,
    sink: BinaryIO,
    *,
    display: Display,
    stdout: int | None = None,
    cwd: str | os.PathLike[str] | None = None,
    beside: Callable[[], None] | None = None,
    stream_label: str = "",
    clock: Callable[[], float] = time.monotonic,
) -> CaptureOutcome:
    """Run ``command``, write its rawjson stream to ``sink`` as it arrives and parse it
    live. The stream is read from whichever of stderr and stdout carries it.

    ``beside`` is work to do while the build runs (collecting metadata): it is
    started :data:`BESIDE_DELAY_SECONDS` into the build, not at once, so that it does
    not compete with the build's own start; a build that ends sooner never meets it.

    ``sink`` should be unbuffered (``open(path, "xb", buffering=0)``) so every chunk
    reaches the file at once. ``stdout`` is where the command's stdout goes when it is
    not the stream (a file descriptor; ``None``: kitprof's). Signals are forwarded
    only when called from the main thread (Python delivers them there); from another thread the
    command stays in kitprof's process group and gets a terminal's Ctrl-C directly.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    interrupts = _Interrupts()
    decoder = StreamDecoder()
    recorder = BuildRecorder()
    notes: list[str] = []
    parse_error: str | None = None
    parsed = 0
    max_backlog = 0

    with _signals_forwarded(interrupts, in_main_thread), _prompt_thread_switches():
        started = clock()
        try:
            process = subprocess.Popen(
                command.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **command.env},
                cwd=cwd,
                process_group=0 if in_main_thread else None,
            )
        except FileNotFoundError:
            raise CommandNotFoundError(f"command not found: {command.argv[0]}") from None
        except PermissionError:
            raise CommandNotExecutableError(f"cannot execute: {command.argv[0]}") from None
        interrupts.process_started(process)
        assert process.stdout is not None and process.stderr is not None
        # The pumps own duplicates of the pipes and close them at end of stream; the
        # file objects go now. (A pump still blocked in read after the linger below
        # must not have its descriptor closed, and reused, under it.)
        fds = []
        for pipe in (process.stdout, process.stderr):
            fds.append(os.dup(pipe.fileno()))
            pipe.close()
            _enlarge_pipe(fds[-1])
        router = Router(
            sink, stdout if stdout is not None else 1
        )  # 1: what the command inherited before
        start_pumps(fds[0], fds[1], router)
        text = TextLines()
        display.start(command.display, stream_label)
        next_refresh = clock() + REFRESH_SECONDS
        exited_at: float | None = None
        parsed_all_at: float | None = None
        try:
            while True:
                batch = _next_batch(router.items)
                done = bool(batch) and batch[-1] is None
                for item in batch:
                    if item is None:
                        break
                    kind, chunk = item
                    if kind is Kind.TEXT:
                        for line in text.feed(chunk):
                            display.text_line(line)
                        continue
                    parsed += len(chunk)
                    if parse_error is not None:
                        continue  # still consumed, so the queue never grows unread
                    try:
                        events = decoder.feed(chunk)
                    except StreamError as error:
                        parse_error = str(error)
                        continue
                    recorder.add_all(events)
                    display.events(events)
                max_backlog = max(max_backlog, router.received - parsed)
                notices, interrupts.pending_notices = interrupts.pending_notices, []
                for notice in notices:
                    display.notice(notice)
                if done:
                    parsed_all_at = time.monotonic()
                    break
                now = clock()
                if beside is not None and now - started >= BESIDE_DELAY_SECONDS:
                    beside()
                    beside = None
                if now >= next_refresh:
                    display.refresh()
                    next_refresh = now + REFRESH_SECONDS
                if process.poll() is not None:
                    exited_at = exited_at if exited_at is not None else now
                    if now - exited_at > LINGER_SECONDS:
                        notes.append(
                            "stopped reading the stream "
                            f"{LINGER_SECONDS:.0f}s after the build command exited: a process "
                            "it started kept the stream open"
                        )
                        break
            returncode = process.wait()
        except BaseException:
            # kitprof itself failed: do not leave the build running unwatched.
            interrupts.kill()
            raise
        finally:
            interrupts.group_alive = False
            display.stop()
        wall = clock() - started

    for line in text.close():
        display.text_line(line)
    if parse_error is None:
        events = decoder.close()
        recorder.add_all(events)
        display.events(events)
    else:
        notes.append(f"stopped parsing: {parse_error}")
    if router.write_error:
        notes.append(f"the stream could not be saved in full: {router.write_error}")
    drain = (
        max(0.0, parsed_all_at - router.eof_at)
        if parsed_all_at is not None and router.eof_at is not None
        else 0.0
    )
    return CaptureOutcome(
        exit_code=_exit_code(returncode),
        recorder=recorder,
        truncated=decoder.truncated,
        interrupted=interrupts.count > 0,
        wall_seconds=wall,
        stats=CaptureStats(
            stream_bytes=router.received,
            chunks=router.count,
            max_backlog_bytes=max_backlog,
            drain_seconds=round(drain, 6),
            write_error=router.write_error,
        ),
        notes=notes,
    )


MAX_BATCH_BYTES = 8 * 1024 * 1024
"""Parse at most this much between two refreshes, so the display stays alive."""


def _next_batch(items: queue.SimpleQueue[Item]) -> list[Item]:
    """The chunks waiting now (at least one, or none after a refresh interval)."""
    try:
        first = items.get(timeout=REFRESH_SECONDS)
    except queue.Empty:
        return []
    batch = [first]
    size = len(first[1]) if first is not None else 0
    while first is not None and size < MAX_BATCH_BYTES:
        try:
            item = items.get_nowait()
        except queue.Empty:
            break
        batch.append(item)
        if item is None:
            break
        size += len(item[1])
    return batch
