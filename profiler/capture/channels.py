"""Which of a build command's two outputs carries the rawjson stream, and what to do
with every byte of both.

``docker buildx build`` and ``buildctl`` write the stream to **stderr**; ``docker
compose build`` (2.37+, through bake) re-renders it on **stdout** and writes its own
` <image>  Built` lines to stderr; a wrapper script may do either. kitprof does not
guess from the command: it reads both pipes and decides from what arrives.

- stdout is the stream when the first byte it writes (after blanks) opens a JSON
  object and stderr has not already shown a stream line; otherwise stdout is the
  command's own output and goes, byte for byte, where kitprof's stdout goes (an image
  tarball from ``-o -`` stays intact).
- stderr is the stream unless stdout is; its text before the first JSON line (a
  wrapper's ``+ docker build …`` trace, a compose warning) waits for the decision
  a moment, then goes with it. When stdout is the stream, stderr's lines are shown
  to the user as text.

A :class:`_Pump` thread per pipe does the reading, saving and passing through, so the
build never waits on kitprof's parsing (see :mod:`profiler.capture.runner`); the
decision is shared under a lock.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024


class Channel(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


class Kind(StrEnum):
    STREAM = "stream"
    """Bytes of the rawjson stream: saved, then parsed."""
    TEXT = "text"
    """The command's other diagnostics (stderr when stdout is the stream): shown as lines."""


Item = tuple[Kind, bytes] | None
"""What the parsing side receives; ``None`` once both pipes are closed."""


class Router:
    """The shared decision and the three destinations: the stream file, kitprof's
    stdout (the command's own output) and the parsing queue."""

    def __init__(self, sink: BinaryIO, stdout_fd: int) -> None:
        self._sink: BinaryIO | None = sink
        self._stdout_fd: int | None = stdout_fd
        self._lock = threading.Lock()
        self.stream: Channel | None = None
        self._stdout_seen = False
        self._held: list[bytes] = []
        """stderr's text before the decision."""
        self._open = 2
        self.items: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self.received = 0
        """Stream bytes received."""
        self.count = 0
        self.write_error: str | None = None
        self.eof_at: float | None = None

    # -- called by the pumps -------------------------------------------------------

    def take(self, channel: Channel, data: bytes) -> None:
        with self._lock:
            if channel is Channel.STDOUT:
                self._from_stdout(data)
            else:
                self._from_stderr(data)

    def closed(self, channel: Channel) -> None:
        with self._lock:
            self._open -= 1
            # No more stderr, or nothing more at all: whatever waits is decided now.
            if self.stream is None and (channel is Channel.STDERR or self._open == 0):
                self._decide(Channel.STDERR)
            if self._open == 0:
                self.eof_at = time.monotonic()
                self.items.put(None)

    # -- under the lock --------------------------------------------------------------

    def _from_stdout(self, data: bytes) -> None:
        if not self._stdout_seen:
            stripped = data.lstrip()
            if not stripped:
                self._pass_through(data)
                return
            self._stdout_seen = True
            if self.stream is None:
                # stdout's own output (not the stream) means stderr is the stream.
                self._decide(Channel.STDOUT if stripped.startswith(b"{") else Channel.STDERR)
        if self.stream is Channel.STDOUT:
            self._stream(data)
        else:
            self._pass_through(data)

    def _from_stderr(self, data: bytes) -> None:
        if self.stream is None:
            self._held.append(data)
            if data.lstrip().startswith(b"{") or b"\n{" in data:
                self._decide(Channel.STDERR)
            return
        if self.stream is Channel.STDERR:
            self._stream(data)
        else:
            self.items.put((Kind.TEXT, data))

    def _decide(self, channel: Channel) -> None:
        self.stream = channel
        held, self._held = self._held, []
        for data in held:
            if channel is Channel.STDERR:
                self._stream(data)
            else:
                self.items.put((Kind.TEXT, data))

    def _stream(self, data: bytes) -> None:
        self._save(data)
        self.received += len(data)
        self.count += 1
        self.items.put((Kind.STREAM, data))

    def _save(self, data: bytes) -> None:
        if self._sink is None:
            return
        try:
            _write_all(self._sink.write, data)
        except OSError as error:
            # Keep reading (the build must not block on a full pipe); stop saving.
            self.write_error = f"{error.strerror or error}"
            self._sink = None

    def _pass_through(self, data: bytes) -> None:
        if self._stdout_fd is None:
            return
        fd = self._stdout_fd
        try:
            _write_all(lambda view: os.write(fd, view), data)
        except OSError:
            self._stdout_fd = None  # kitprof's stdout is gone: keep draining the build's


def _write_all(write: Callable[[memoryview], int | None], data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = write(view)
        view = view[written or len(view) :]


class _Pump(threading.Thread):
    """Read one pipe and hand every chunk to the router. Nothing else: it must keep up."""

    def __init__(self, fd: int, channel: Channel, router: Router) -> None:
        super().__init__(name=f"kitprof-{channel.value}", daemon=True)
        self._fd = fd
        self._channel = channel
        self._router = router

    def run(self) -> None:
        try:
            while True:
                try:
                    data = os.read(self._fd, CHUNK_SIZE)
                except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                    continue
                except OSError:
                    break
                if not data:
                    break
                self._router.take(self._channel, data)
        finally:
            os.close(self._fd)
            self._router.closed(self._channel)


def start_pumps(stdout_fd: int, stderr_fd: int, router: Router) -> None:
    for fd, channel in ((stdout_fd, Channel.STDOUT), (stderr_fd, Channel.STDERR)):
        _Pump(fd, channel, router).start()


class TextLines:
    """Bytes of text → complete lines (the last, unfinished one waits for more)."""

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, data: bytes) -> list[str]:
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]

    def close(self) -> list[str]:
        rest, self._partial = self._partial, b""
        return [rest.decode("utf-8", "replace").rstrip("\r")] if rest.strip() else []
