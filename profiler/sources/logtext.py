"""Bytes of a CI log -> clean text lines: the encoding and the CI system's prefixes undone.

A BuildKit ``--progress=plain`` log reaches users wrapped by whatever carried it:

- **Encodings.** UTF-8, with a BOM when an editor saved it (the BOM must not end up in
  the first step's name); UTF-16LE with a BOM and CRLF when Windows PowerShell wrote it
  (``docker build … 2>&1 > build.log``); CRLF or lone CR line ends.
- **Prefixes, per line,** in any nesting: GitHub Actions / Gitea / Forgejo times
  (``2024-05-01T10:00:00.1234567Z ``, GitLab's stream tag ``00O `` after it) and
  workflow commands (``##[group]``, ``##[endgroup]``, ``##[error]``); line numbers of
  a copy from a web UI; act's ``[workflow/job]   | `` and compose's ``api  | ``
  (whose output it is: kept as the line's *channel*); Jenkins timestamper
  (``[2024-05-01T10:00:00.123Z] ``, ``[10:00:00] ``); Buildkite's
  ``ESC _bk;t=1700000000000 BEL``; indentation and ``> `` quotes of a paste in an issue
  or a markdown code block; Windows PowerShell's ``docker : `` before the first line
  it wrapped as a NativeCommandError; ANSI colours.

Times found in prefixes are kept (seconds since the epoch, or since midnight for a
time of day without a date): a plain log has no clock of its own. The text after a
BuildKit vertex mark (``#5 …``) is never touched: it is the build's own output.

Everything streams: a BuildKit build may start after megabytes of other job output.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

# Enough bytes to tell the encoding: a BOM, or the NUL pattern of BOM-less UTF-16.
ENCODING_PROBE = 64
MAX_PREFIXES = 8
"""Prefixes undone per line at most (a CI prefix around a paste around a compose one)."""
DAY = 86_400.0

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_END = re.compile(r"\r\n|\r|\n")
# CSI (colours, cursor moves), OSC and APC strings, other two-byte escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[\]_P^][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
)
# Buildkite: the agent marks each line with ESC _bk;t=<ms since epoch> BEL.
_BUILDKITE = re.compile(r"^(?:\x1b_)?bk;t=(\d{10,16})\x07?")
# GitHub Actions, Gitea, Forgejo, GitLab (stream tag "00O", "01E+" after the time).
_ISO_TIME = re.compile(
    r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r":?(?: [0-9a-f]{2}[OE]\+?)?(?: (?:out|err|stdout|stderr):)?(?:[ \t]|$)"
)
# Jenkins timestamper: "[2024-05-01T10:00:00.123Z] " or a time of day "[10:00:00] ".
_BRACKET_ISO_TIME = re.compile(
    r"^\[(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\][ \t]?"
)
_ISO_PARTS = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$")
# Go's log package: "2024/03/29 14:00:00 " (a tool that logs the build's output).
_GO_LOG_TIME = re.compile(r"^(\d{4})/(\d\d)/(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:[ \t]|$)")
# The devcontainers CLI stamps chunks, not lines: a chunk that ended without a newline
# leaves the next chunk's stamp glued to the end of a line ("#12 DONE 0.4s2026-…Z: ").
_GLUED_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?: ?$")
_TIME_OF_DAY = re.compile(r"^\[?(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\]?(?:[ \t]+\|)?(?:[ \t]|$)")
# A workflow command of GitHub Actions / Gitea: the text after it is the line.
_WORKFLOW_COMMAND = re.compile(r"^##\[[a-z-]+\]")
# "[workflow/job]   | " (act), "api  | " (compose), "[INFO] get app | ": whose output.
_PIPE_PREFIX = re.compile(r"^([^|#\n]{1,100}?)[ \t]*\|(?: |$)")
# Windows PowerShell wraps a native command's first stderr line: "docker : #0 …".
_POWERSHELL_WRAP = re.compile(r"^[\w.-]+(?:\.exe)? : (?=#\d)")
# A copy from a web UI: the line number glued before the line.
_LINE_NUMBER = re.compile(r"^\d{1,7}?(?:[ \t]+|(?=#\d)|(?=\d{4}-\d\d-\d\d[T ]\d\d:))")
_ONLY_NUMBER = re.compile(r"^\d{1,7}$")
_INDENT = re.compile(r"^[ \t>]+")
_VERTEX = re.compile(r"^#\d+(?: |$)")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_MESSAGE = ("ERROR", "WARNING", "WARN")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of the log with its carriers' prefixes undone."""

    number: int
    """1-based line number in the decoded text."""
    text: str
    time: float | None = None
    """When the CI system wrote it: seconds since the epoch (``dated``) or since midnight."""
    dated: bool = False
    channel: str | None = None
    """Whose output it is when the log interleaves several: a compose service, an act job."""

    @property
    def is_vertex(self) -> bool:
        return _VERTEX.match(self.text) is not None


def decode_lines(
    chunks: Iterable[bytes], on_progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The text lines of byte chunks split anywhere, in the encoding the bytes show.

    A BOM says UTF-8 or UTF-16 (and is dropped); UTF-16 without one shows as NUL bytes
    in every other place; anything else is UTF-8, undecodable bytes replaced.
    """
    decoder: codecs.IncrementalDecoder | None = None
    head = b""
    pending = ""
    for chunk in chunks:
        if on_progress is not None:
            on_progress(len(chunk))
        if decoder is None:
            head += chunk
            if len(head) < ENCODING_PROBE:
                continue
            decoder, chunk = _decoder_for(head)
        text = pending + decoder.decode(chunk)
        lines, pending = _split(text)
        yield from lines
    if decoder is None:
        if not head:
            return
        decoder, head = _decoder_for(head)
        pending = decoder.decode(head)
    text = pending + decoder.decode(b"", final=True)
    lines, rest = _split(text, final=True)
    yield from lines
    if rest:
        yield rest


def _decoder_for(head: bytes) -> tuple[codecs.IncrementalDecoder, bytes]:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return codecs.getincrementaldecoder(encoding)(errors="replace"), head[len(bom) :]
    probe = head[:ENCODING_PROBE]
    even, odd = probe[0::2].count(0), probe[1::2].count(0)
    half = len(probe) // 2
    if half and odd > half * 0.6 and even == 0:
        return codecs.getincrementaldecoder("utf-16-le")(errors="replace"), head
    if half and even > half * 0.6 and odd == 0:
        return codecs.getincrementaldecoder("utf-16-be")(errors="replace"), head
    return codecs.getincrementaldecoder("utf-8")(errors="replace"), head


def _split(text: str, *, final: bool = False) -> tuple[list[str], str]:
    # A CR at the very end may be the first half of a CRLF split between chunks.
    keep = 1 if text.endswith("\r") and not final else 0
    body = text[: len(text) - keep] if keep else text
    parts = _LINE_END.split(body)
    rest = parts.pop()
    if keep:
        rest += "\r"
    return parts, rest


class LineCleaner:
    """Undoes the prefixes of one log's lines; keeps what a line alone cannot tell.

    A time of day without a date (Jenkins' default) wraps at midnight: a clock that
    goes back by more than half a day has crossed it.
    """

    def __init__(self) -> None:
        self._number = 0
        self._day = 0.0
        self._last_time_of_day: float | None = None
        self._stamps: dict[str, float] = {}
        self._channels: set[str] = set()

    def clean(self, raw: str) -> LogLine | None:
        """The line without its prefixes, or None for a line a web UI only numbered."""
        self._number += 1
        line = raw
        if line.startswith("\ufeff"):  # a BOM inside: files concatenated
            line = line[1:]
        time: float | None = None
        dated = False
        buildkite = _BUILDKITE.match(line)
        if buildkite is not None:
            time, dated = int(buildkite.group(1)) / 1000.0, True
            line = line[buildkite.end() :]
        if "\x1b" in line:
            line = _ESCAPES.sub("", line)
        if _ONLY_NUMBER.match(line):
            return None
        channel: str | None = None
        for _ in range(MAX_PREFIXES):
            before = line
            line = _INDENT.sub("", line) if line[:1] in " \t>" else line
            if _VERTEX.match(line):
                break
            stamp = self._time_prefix(line)
            if stamp is not None:
                end, seconds, has_date = stamp
                if time is None:
                    time, dated = seconds, has_date
                line = line[end:]
            elif (command := _WORKFLOW_COMMAND.match(line)) is not None:
                line = line[command.end() :]
            elif (wrapped := _POWERSHELL_WRAP.match(line)) is not None:
                line = line[wrapped.end() :]
            elif (piped := self._pipe_prefix(line)) is not None:
                channel, end = piped
                line = line[end:]
            elif (numbered := _LINE_NUMBER.match(line)) is not None and (
                _buildkit_like(line[numbered.end() :]) or _ISO_TIME.match(line[numbered.end() :])
            ):
                line = line[numbered.end() :]
            if line == before:
                break
        if line.endswith((": ", ":")) and (glued := _GLUED_TIME.search(line)) is not None:
            line = line[: glued.start()]
        return LogLine(self._number, line.rstrip("\r\n"), time, dated, channel)

    def _pipe_prefix(self, line: str) -> tuple[str | None, int] | None:
        """A channel prefix ("api  | ") before a BuildKit line, or before a blank or a
        message line of a channel already seen ("  50 |" of an error's Dockerfile
        excerpt is none)."""
        piped = _PIPE_PREFIX.match(line)
        if piped is None:
            return None
        rest = line[piped.end() :]
        channel = _channel(piped.group(1))
        if _VERTEX.match(rest.lstrip(" \t>")):
            if channel is not None:
                self._channels.add(channel)
            return channel, piped.end()
        if channel in self._channels and _buildkit_like(rest):
            return channel, piped.end()
        return None

    def _time_prefix(self, line: str) -> tuple[int, float, bool] | None:
        if not line[:1].isdigit() and line[:1] != "[":
            return None
        match = _ISO_TIME.match(line) or _BRACKET_ISO_TIME.match(line)
        if match is not None:
            stamp = self._parse_iso(match.group(1))
            return None if stamp is None else (match.end(), stamp, True)
        go = _GO_LOG_TIME.match(line)
        if go is not None:
            year, month, day, clock = go.groups()
            stamp = self._parse_iso(f"{year}-{month}-{day}T{clock}")
            return None if stamp is None else (go.end(), stamp, True)
        clock = _TIME_OF_DAY.match(line)
        if clock is None:
            return None
        hours, minutes, seconds = (int(part) for part in clock.groups()[:3])
        fraction = clock.group(4)
        if hours > 23 or minutes > 59 or seconds > 60:
            return None
        of_day = float(hours * 3600 + minutes * 60 + seconds)
        if fraction:
            of_day += float(f"0.{fraction}")
        if self._last_time_of_day is not None and of_day + DAY / 2 < self._last_time_of_day:
            self._day += DAY
        self._last_time_of_day = of_day
        return clock.end(), self._day + of_day, False

    def _parse_iso(self, stamp: str) -> float | None:
        # Thousands of lines share a second: parse the second once, add the fraction.
        parts = _ISO_PARTS.match(stamp)
        if parts is None:
            return None
        day, clock, fraction, zone = parts.groups()
        key = f"{day}T{clock}{zone or ''}"
        base = self._stamps.get(key)
        if base is None:
            try:
                parsed = datetime.fromisoformat(f"{day}T{clock}{_zone(zone)}")
            except ValueError:
                return None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            base = parsed.timestamp()
            if len(self._stamps) > 4096:
                self._stamps.clear()
            self._stamps[key] = base
        return base + (float(f"0.{fraction}") if fraction else 0.0)


def _zone(zone: str | None) -> str:
    if not zone:
        return ""
    if zone == "Z":
        return "+00:00"
    if ":" not in zone:
        return f"{zone[:3]}:{zone[3:]}"
    return zone


def _buildkit_like(rest: str) -> bool:
    """Whether what follows a doubtful prefix is a BuildKit line (or a blank one)."""
    text = rest.lstrip(" \t>")
    return not text.strip() or _VERTEX.match(text) is not None or text.startswith(_MESSAGE)


def _channel(label: str) -> str | None:
    label = label.strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1].strip()  # act: "[workflow/job   ]"
    return label or None


def clean_lines(
    chunks: Iterable[bytes], on_progress: Callable[[int], None] | None = None
) -> Iterator[LogLine]:
    """The log's lines, decoded and with every carrier's prefix undone."""
    cleaner = LineCleaner()
    for raw in decode_lines(chunks, on_progress):
        line = cleaner.clean(raw)
        if line is not None:
            yield line


def is_service_name(channel: str | None) -> bool:
    """Whether a channel looks like a compose service (lower-case name), not a job title."""
    return channel is not None and _SERVICE.match(channel) is not None
