"""What an input is, by its content only (never by its name).

The input is scanned line by line, as it streams, until a line says what it is: a CI
log may hold megabytes of other output (dependency installs, tests) before its first
BuildKit line, so detection never gives up after a fixed amount. Lines read ahead are
kept (:class:`~profiler.sources.opening.Replay`) for the format's reader.

Formats read: ``rawjson`` (``--progress=rawjson``, indented or one object per line),
``plain`` (``--progress=plain``, alone or inside a CI job log), ``zip`` (an archive
of such logs, or the GitHub Actions artifact holding a build record) and
``dockerbuild`` (Docker's own build records: a tar in OCI layout, gzip'd or not, told
by its magic bytes). Refused, each with
what to do instead: ``classic-builder`` (``Step 1/12 : FROM``), ``podman`` (podman or
buildah, ``STEP 1/3: FROM``), ``tty-progress`` (the terminal view, ``=> [stage 1/3]``),
and ``not-a-build-log`` (anything else).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from profiler.errors import StreamError
from profiler.sources.archive import ZIP_MAGIC
from profiler.sources.plain import is_progress_line


class Format(StrEnum):
    RAWJSON = "rawjson"
    PLAIN = "plain"
    ZIP = "zip"
    """A zip archive of logs (GitHub Actions' log archive): each member is read."""
    DOCKERBUILD = "dockerbuild"
    CLASSIC_BUILDER = "classic-builder"
    PODMAN = "podman"
    TTY_PROGRESS = "tty-progress"
    NOT_A_BUILD_LOG = "not-a-build-log"
    EMPTY = "empty"

    @property
    def readable(self) -> bool:
        return self in (Format.RAWJSON, Format.PLAIN, Format.ZIP, Format.DOCKERBUILD)


READ_FORMATS = (
    "`--progress=rawjson` streams (`docker buildx build --progress=rawjson . 2> build.rawjson`)"
    " and `--progress=plain` logs (alone or inside a CI job log: GitHub Actions, GitLab, "
    "Jenkins, Buildkite, compose), plain, gzip or in a zip archive, and Docker's build "
    "records (`.dockerbuild` from `docker buildx history export` or Docker Desktop, or the "
    "GitHub Actions artifact `.zip` holding one)"
)

REFUSALS = {
    Format.CLASSIC_BUILDER: (
        "classic builder log (`Step 1/12 : FROM …`): rebuild with BuildKit "
        "(`DOCKER_BUILDKIT=1`, or buildx) and `--progress=plain` or `rawjson`"
    ),
    Format.PODMAN: (
        "podman/buildah log (`STEP 1/3: FROM …`): kitprof reads BuildKit output only; "
        "build with `docker buildx build --progress=plain` or `rawjson`"
    ),
    Format.TTY_PROGRESS: (
        "`--progress=tty` capture (the terminal view, `=> [stage 1/3]`): it has no "
        "per-step times to read; rebuild with `--progress=plain` or `rawjson`"
    ),
    Format.NOT_A_BUILD_LOG: f"not a BuildKit build log: kitprof reads {READ_FORMATS}",
}


class UnsupportedInput(StreamError):
    """The input is not a build log kitprof reads; the message says what it is."""

    def __init__(self, format: Format, label: str) -> None:
        self.format = format
        super().__init__(f"{label}: {REFUSALS[format]}")


# rawjson: Go marshals SolveStatus with these keys, in this order, each omitted if empty.
_ONE_LINE_STATUS = re.compile(rb'^\{\s*"(?:vertexes|statuses|logs|warnings)"\s*:')
_INDENTED_KEY = re.compile(rb'^\s+"(?:vertexes|statuses|logs|warnings)"\s*:')
_JSON_START = re.compile(rb'^(?:\{|\[\s*(?:$|[\[{"\]]|-?\d+(?:\.\d+)?\s*[,\]]))')
# Refusal shapes are searched anywhere in a line: logs come with prefixes of every
# kind (timestamps, "2024/03/29 14:00:00 ", indentation of a paste).
_CLASSIC = re.compile(
    r"(?:^|\s)Step \d+(?:/\d+)? : [A-Za-z]|(?:^|\s)---> (?:Running in|Using cache)\b"
)
_PODMAN = re.compile(r"(?:^|\s|\] )STEP \d+(?:/\d+)?: [A-Z]+\b")
_TTY = re.compile(r"\[\+\] Building \d|(?:^|\s)=> (?:\[|CACHED \[|ERROR \[|exporting\b)")
_MAYBE_PROGRESS = re.compile(rb"#\d")
_MAYBE_REFUSAL = re.compile(rb"Step \d|STEP \d|---> |=> |\[\+\] ")
TAR_MAGIC = b"ustar"
TAR_MAGIC_OFFSET = 257
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


LINE_PREFIX_BYTES = 64 * 1024
"""How much of a line detection looks at: every shape is told by a line's start."""
MAX_TEXT_LINE_BYTES = 16 * 1024 * 1024
"""A line longer than this that is not BuildKit JSON is binary data, not a log."""


@dataclass(frozen=True, slots=True)
class Detection:
    format: Format
    line: int
    """The 1-based line that decided it (0 if none did)."""


class Detector:
    """Fed the input's chunks in order; :attr:`found` is set by the first deciding line.

    Refusal shapes do not decide at once: a BuildKit build later in the same log wins
    over a classic build earlier in it. :meth:`result` gives the verdict at the end.
    """

    def __init__(self) -> None:
        self.found: Detection | None = None
        self._pending = b""
        self._line = 0
        self._after_brace = False
        self._json = False
        self._refusal: Detection | None = None
        self._any = False
        self._overlong = False
        self._overlong_bytes = 0

    def feed(self, chunk: bytes) -> Detection | None:
        if self.found is not None:
            return self.found
        if self._line == 0 and not self._pending and _is_tar(chunk):
            self._decide(Format.DOCKERBUILD, 0)
            return self.found
        if self._overlong:
            # Inside a line too long for any build log: skip to its end.
            newline = chunk.find(b"\n")
            if newline == -1:
                return self._overlong_line(len(chunk))
            self._overlong = False
            chunk = chunk[newline + 1 :]
        data = self._pending + chunk if self._pending else chunk
        lines = data.split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            if self._classify(line):
                break
        if self.found is None and len(self._pending) > LINE_PREFIX_BYTES:
            # Lines are told by their start: keep that much, read past the rest
            # (copying a growing line at every chunk would be quadratic).
            self._classify(self._pending[:LINE_PREFIX_BYTES])
            self._overlong_bytes = len(self._pending)
            self._pending = b""
            self._overlong = True
            return self.found or self._overlong_line(0)
        return self.found

    def _overlong_line(self, more: int) -> Detection | None:
        """A line longer than any build log line that is not one: binary data
        (``/dev/zero``, an image, an archive). Said at once, not read to the end."""
        self._overlong_bytes += more
        if self.found is None and self._overlong_bytes > MAX_TEXT_LINE_BYTES:
            self._decide(Format.NOT_A_BUILD_LOG, self._line)
        return self.found

    def result(self) -> Detection:
        if self.found is None and self._pending:
            self._classify(self._pending)
            self._pending = b""
        if self.found is not None:
            return self.found
        if self._refusal is not None:
            return self._refusal
        if self._json:
            # JSON, but not SolveStatus: the rawjson reader says precisely what it holds.
            return Detection(Format.RAWJSON, 0)
        return Detection(Format.NOT_A_BUILD_LOG if self._any else Format.EMPTY, 0)

    def _classify(self, raw: bytes) -> bool:
        self._line += 1
        line = raw.rstrip(b"\r")
        if not line.strip():
            return False
        self._any = True
        if self._line == 1 and line.startswith(ZIP_MAGIC):
            return self._decide(Format.ZIP, 1)
        if self._after_brace:
            self._after_brace = False
            if _INDENTED_KEY.match(line):
                return self._decide(Format.RAWJSON, self._line - 1)
        if _JSON_START.match(line):
            self._json = True
            if line == b"{":
                self._after_brace = True
                return False
            if _ONE_LINE_STATUS.match(line):
                return self._decide(Format.RAWJSON, self._line)
            return False
        # Most lines of a CI log are neither: cheap byte tests first (a few MB of
        # output before the build would otherwise cost seconds).
        if _MAYBE_PROGRESS.search(line) and _is_text(line) and is_progress_line(line.decode()):
            return self._decide(Format.PLAIN, self._line)
        if self._refusal is None and _MAYBE_REFUSAL.search(line):
            refusal = _refusal(line.decode("utf-8", errors="replace"))
            if refusal is not None:
                self._refusal = Detection(refusal, self._line)
        return False

    def _decide(self, format: Format, line: int) -> bool:
        self.found = Detection(format, line)
        return True


def _is_text(line: bytes) -> bool:
    """Whether a line can decide that the input is a plain log: text, not bytes that
    happen to hold ``#5 `` (4 MiB of random data has such a line one time in thirty;
    as UTF-8 with errors replaced it read as a build of one step)."""
    if b"\x00" in line:
        return False
    try:
        line.decode()
    except UnicodeDecodeError:
        return False
    return True


def _is_tar(head: bytes) -> bool:
    """A tar (the input is already gunzipped): the shape of a build record."""
    return head[TAR_MAGIC_OFFSET:].startswith(TAR_MAGIC)


def _refusal(text: str) -> Format | None:
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if _CLASSIC.search(text):
        return Format.CLASSIC_BUILDER
    if _PODMAN.search(text):
        return Format.PODMAN
    if _TTY.search(text):
        return Format.TTY_PROGRESS
    return None


def detect(chunks: Iterable[bytes]) -> Detection:
    """The format of a whole input given as chunks (any split); reads until decided."""
    detector = Detector()
    for chunk in chunks:
        if detector.feed(chunk) is not None:
            break
    return detector.result()
