"""One plain log, several builds: where each starts, whose lines are whose, their names.

A CI job log may hold several BuildKit builds, each numbering its vertices from ``#1``:

- **Sequential** (two ``docker build`` in one job): a new build opens with
  ``#0 building with "…" instance`` (buildx 0.11+) or, before that, with ``#1 [internal]
  load …`` once the previous build's ``#1`` has finished and others followed.
- **Interleaved**, from several processes at once (``docker build a & docker build b``)
  or several services in ``docker compose up`` (each line prefixed ``api  | ``): lines
  with a channel prefix go to that channel's builds; without one, a line goes to the
  build whose vertex of that number has that name (a header), or whose vertex of that
  number printed the last header (logs and outcomes: the printer prints a vertex's
  header before its lines whenever it switches to it). What the names cannot settle
  is said in the builds' notes.
- **The builder's bootstrap**: ``docker/setup-buildx-action`` (``buildx inspect
  --bootstrap``), or buildx starting a ``docker-container`` builder, prints a vertex
  ``[internal] booting buildkit`` (pulling ``moby/buildkit``, creating the container).
  It is not the build the user asked about: left out, and said in the notes.

Each build is named, when the log says: the compose service of its channel, the tag of
the ``docker build -t TAG`` command printed before it, or the image it names
(``naming to docker.io/library/app:1.0``). Bake targets are read from the step names
by the plain reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from profiler.sources.logtext import LogLine, is_service_name

BOOTSTRAP_NAME = "[internal] booting buildkit"
BURST_SECONDS = 0.002
"""Lines a printer writes at one refresh reach the log within a millisecond or two."""
_VERTEX = re.compile(r"^#(\d+)(?: (.*))?$", re.DOTALL)
_OUTCOME = re.compile(r"^(?:DONE(?: \d+(?:\.\d+)?s)?|CACHED|CANCELED|ERROR(?::.*)?)$", re.DOTALL)
# A log line's offset; CI secret masking may have replaced some digits with "***".
_LOG = re.compile(r"^[\d*]+\.[\d*]{1,3}(?: |$)")
_MASKED_LOG = re.compile(r"^[\d*]*\*\*\*[\d*]*\.[\d*]+(?: |$)")
_SUBSTATUS = re.compile(
    r"^(?:transferring |sha256:|resolve |extracting |naming to |writing image"
    r"|exporting (?:layers|manifest|config|attestation)"
    r"|unpacking |pulling image |creating container |preparing |done$)"
)
_LOG_OFFSET = re.compile(r"^(\d+\.\d{1,3})(?: |$)")
_DONE_SECONDS = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
_STEP_NAME = re.compile(r"^\[(?:([^\]]*?)\s+)?(\d+)/(\d+)\] ")
_BUILDING_WITH = re.compile(r'^building with "')
_LOAD = re.compile(r"^\[(?:[^\]]* )?internal\] load ")
_DOCKER_BUILD = re.compile(
    r"\bdocker(?:\.exe)?\s+(?:buildx\s+|image\s+)?build\b.*?(?:\s-t|\s--tag)(?:=|\s+)['\"]?([^\s'\"]+)"
)
# The image a build makes: "naming to …" (exported) or "pushing manifest for …@sha256:…".
_TAG = re.compile(r"\s(?:-t|--tag)(?:=|\s+)['\"]?([^\s'\"]+)")
_DOCKER_BAKE = re.compile(r"\bdocker(?:\.exe)?\s+(?:buildx\s+)?bake\b(.*)$")
_BAKE_VALUE_FLAGS = frozenset(
    {"-f", "--file", "--set", "--progress", "--builder", "--metadata-file", "--allow", "--call"}
)
_COMPOSE_IMAGE = re.compile(r"^(?:\S+ )?Image (\S+) Building\s*$")
_NAMING_TO = re.compile(
    r"^(?:naming to|pushing manifest for) ([^\s@]+)(?:@sha256:\S+)?"
    r"(?: done)?(?: \d+(?:\.\d+)?s)?(?: done)?\s*$"
)
_FINAL_ERROR = re.compile(r"^ERROR: failed to (?:solve|build)")
_MESSAGE = ("ERROR", "WARNING", "WARN")


@dataclass(slots=True)
class PlainBuildLines:
    """The lines of one build: vertex lines, the blanks between them, its messages."""

    lines: list[LogLine] = field(default_factory=list)
    name: str | None = None
    channel: str | None = None
    tag: str | None = None
    """The tag of the ``docker build -t TAG`` command printed before it."""
    image: str | None = None
    """The image it names (``naming to …``)."""
    notes: list[str] = field(default_factory=list)
    vertex_names: dict[int, str] = field(default_factory=dict)
    finished: set[int] = field(default_factory=set)
    bootstrap: set[int] = field(default_factory=set)
    """Numbers of the builder-bootstrap vertices in this build's numbering."""
    bootstrap_seconds: float = 0.0
    interrupted: set[int] = field(default_factory=set)
    """Vertices whose last line was ``#N ...``: their next header is a reprint."""
    errors: list[str] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    """The vertex number of each Dockerfile step ("[build 5/10]": ("build", 5))."""
    """Its Dockerfile stages and their step counts ("[build 5/10]": build has 10)."""
    started: dict[int, float] = field(default_factory=dict)
    """When each vertex's header was first printed, for a log with line times."""
    first_step: int | None = None
    """Line of its first Dockerfile step: builds interleaved are listed in this order."""
    exported: bool = False
    """An exporter of it finished: it succeeded."""
    ended: bool = False
    """Its last exporter finished or it failed: a next ``#1`` is another build."""

    @property
    def numbered(self) -> int:
        return sum(1 for number in self.vertex_names if number not in self.bootstrap)


@dataclass(slots=True)
class _Channel:
    builds: list[PlainBuildLines] = field(default_factory=list)
    owner: dict[int, PlainBuildLines] = field(default_factory=dict)
    """Per vertex number, the build that printed its last header."""
    pending_name: str | None = None
    interleaved: bool = False


class PlainSplitter:
    """Fed the clean lines of a log in order; :meth:`builds` gives each build's lines."""

    def __init__(self) -> None:
        self._channels: dict[str | None, _Channel] = {}
        self._order: list[PlainBuildLines] = []
        self._channel: str | None = None
        self._loose_messages: list[LogLine] = []
        self._burst: tuple[PlainBuildLines | None, float | None] = (None, None)
        self._bootstrap_total = 0.0
        self._bootstraps = 0

    def feed(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            self.feed_line(line)

    def feed_line(self, line: LogLine) -> None:
        if line.channel is not None:
            self._channel = line.channel
        channel = self._channels.setdefault(self._channel, _Channel())
        match = _VERTEX.match(line.text)
        if match is None:
            self._other_line(channel, line)
            return
        number = int(match.group(1))
        rest = match.group(2) or ""
        if number == 0:
            if _BUILDING_WITH.match(rest):
                current = channel.builds[-1] if channel.builds else None
                if current is None or current.numbered or current.bootstrap:
                    self._open(channel)
            else:
                self._current(channel).lines.append(line)
            return
        header = _is_header(rest)
        build = self._route(channel, number, rest, header, line.time)
        self._burst = (build, line.time)
        if number not in build.vertex_names and _names_vertex(rest):
            build.vertex_names[number] = rest
            if rest == BOOTSTRAP_NAME:
                build.bootstrap.add(number)
            step = _STEP_NAME.match(rest)
            if step is not None:
                build.stages.setdefault(step.group(1) or "", int(step.group(3)))
                build.positions.setdefault((step.group(1) or "", int(step.group(2))), number)
                if build.first_step is None:
                    build.first_step = line.number
            if line.time is not None:
                build.started[number] = line.time
        if header:
            channel.owner[number] = build
            build.interrupted.discard(number)
        elif rest == "...":
            build.interrupted.add(number)
        if number in build.bootstrap:
            seconds = re.match(r"^DONE (\d+(?:\.\d+)?)s$", rest)
            if seconds is not None:
                build.bootstrap_seconds += float(seconds.group(1))
            return
        if not header and _OUTCOME.match(rest):
            build.finished.add(number)
            if rest.startswith("ERROR") or _is_exporter(build.vertex_names.get(number, "")):
                build.ended = True
            if not rest.startswith("ERROR") and _is_exporter(build.vertex_names.get(number, "")):
                build.exported = True
            if rest.startswith("ERROR"):
                build.errors.append(rest.partition(":")[2].strip())
        if _MASKED_LOG.match(rest):
            return  # a log line whose offset the CI masked: no time to read from it
        naming = _NAMING_TO.match(rest)
        if naming is not None:  # the last of its tags, as "docker images" lists it first
            build.image = naming.group(1)
        build.lines.append(line)

    def _other_line(self, channel: _Channel, line: LogLine) -> None:
        text = line.text
        if not text.strip():
            if channel.builds and channel.builds[-1].lines and channel.builds[-1].lines[-1].text:
                channel.builds[-1].lines.append(line)
            return
        named = _command_name(text)
        if named is not None:
            channel.pending_name = named
            if channel.builds and channel.builds[-1].numbered:
                channel.builds[-1].ended = True
            return
        if text.startswith(_MESSAGE):
            if channel.builds:
                build = _failed_build(channel.builds, text) or channel.builds[-1]
                if text.startswith("ERROR") and build.exported and not build.errors:
                    return  # the job's own errors after a build that succeeded
                build.lines.append(line)
                if _FINAL_ERROR.match(text):
                    build.ended = True
            else:
                self._loose_messages.append(line)

    def _interleaved(self) -> set[str | None]:
        return {name for name, channel in self._channels.items() if channel.interleaved}

    def _current(self, channel: _Channel) -> PlainBuildLines:
        return channel.builds[-1] if channel.builds else self._open(channel)

    def _open(self, channel: _Channel) -> PlainBuildLines:
        if channel.builds and not channel.builds[-1].ended and channel.builds[-1].numbered:
            channel.interleaved = True
        build = PlainBuildLines(channel=self._channel, tag=channel.pending_name)
        channel.pending_name = None
        channel.builds.append(build)
        self._order.append(build)
        return build

    def _route(
        self, channel: _Channel, number: int, rest: str, header: bool, time: float | None
    ) -> PlainBuildLines:
        current = self._current(channel)
        if header and self._restarts(current, number, rest):
            return self._open(channel)
        if not channel.interleaved or len(channel.builds) < 2:
            return current
        open_builds = [build for build in channel.builds if not build.ended] or [current]
        if header:
            # The printer prints a header again only for a vertex it left with "#N ...":
            # a reprint of such a vertex of that name, else the newest build that has
            # no vertex of that number yet, else a running vertex of that name.
            for build in open_builds:
                if build.vertex_names.get(number) == rest and number in build.interrupted:
                    return build
            fresh = [build for build in open_builds if number not in build.vertex_names]
            step = _STEP_NAME.match(rest)
            if step is not None and len(fresh) > 1:
                # "[build 11/14]" belongs where stage "build" has 14 steps, not 10.
                stage, count = step.group(1) or "", int(step.group(3))
                same = [build for build in fresh if build.stages.get(stage) == count]
                fits = [build for build in fresh if build.stages.get(stage, count) == count]
                fresh = same or fits or fresh
                # A step starts when the one before it in its stage has finished.
                index = int(step.group(2))
                ready = [build for build in fresh if _previous_done(build, stage, index)]
                fresh = ready or fresh
            if fresh:
                # Each process writes its lines in bursts (one per refresh of its
                # printer): a header printed within the burst of the line before
                # comes from the same process.
                last, last_time = self._burst
                if (
                    last_time is not None
                    and time is not None
                    and 0 <= time - last_time < BURST_SECONDS
                    and last in fresh
                ):
                    return last
                return fresh[-1]
            running = [
                build
                for build in open_builds
                if build.vertex_names.get(number) == rest and number not in build.finished
            ]
            return running[-1] if running else current
        owner = channel.owner.get(number)
        if not (_OUTCOME.match(rest) or _LOG.match(rest)):
            return owner if owner is not None else current
        # An outcome or a log line goes to a build still running that vertex: two
        # builds may print "#2 DONE" of the same name one after the other, and a
        # finished vertex prints no more logs.
        waiting = [
            build
            for build in open_builds
            if number in build.vertex_names and number not in build.finished
        ]
        elapsed = _elapsed(rest)
        if len(waiting) > 1 and elapsed is not None and time is not None:
            # With line times: the one that started when this line says it did.
            timed = [build for build in waiting if number in build.started]
            if timed:
                began = time - elapsed
                return min(timed, key=lambda build: abs(build.started[number] - began))
        if owner in waiting or not waiting:
            return owner if owner is not None else current
        return waiting[-1]

    @staticmethod
    def _restarts(build: PlainBuildLines, number: int, rest: str) -> bool:
        """Whether a header starts another build (one without a ``#0`` line)."""
        if rest == BOOTSTRAP_NAME:
            return bool(build.numbered)  # setup-buildx boots its builder after a build
        if number in build.bootstrap:
            return True  # an older buildx: no "#0" line after the bootstrap
        if number != 1 or not _LOAD.match(rest) or not build.numbered:
            return False
        return 1 in build.finished and len(build.vertex_names) > 1

    @property
    def messages(self) -> list[LogLine]:
        """``ERROR``/``WARNING`` lines printed before any build."""
        return self._loose_messages

    def builds(self) -> list[PlainBuildLines]:
        """The builds in the order they started; bootstrap-only ones left out."""
        found = [build for build in self._order if build.numbered]
        # Builds of one channel printed at once are listed by their first own step.
        position = {id(build): index for index, build in enumerate(found)}
        found.sort(
            key=lambda build: (
                build.first_step
                if build.channel in self._interleaved() and build.first_step is not None
                else -1,
                position[id(build)],
            )
        )
        bootstrap = sum(build.bootstrap_seconds for build in self._order)
        booted = sum(1 for build in self._order if build.bootstrap)
        if found and self._loose_messages:
            found[0].lines[:0] = self._loose_messages
        interleaved = {name for name, channel in self._channels.items() if channel.interleaved}
        named = sum(1 for name in self._channels if is_service_name(name))
        for build in found:
            service = is_service_name(build.channel) or (build.channel is not None and named > 1)
            build.name = (build.channel if service else None) or build.tag or build.image
            if booted:
                build.notes.append(
                    f"the builder's bootstrap ([internal] booting buildkit, {bootstrap:.1f} s: "
                    "docker/setup-buildx-action or a new docker-container builder) is left "
                    "out: it is not this build"
                )
            if build.channel in interleaved:
                build.notes.append(
                    "builds from several processes are interleaved in this log: their lines "
                    "were told apart by vertex names; a vertex printed by two builds under "
                    "the same number and name may be given to the wrong one"
                )
        if len(found) > 1:
            for index, build in enumerate(found, 1):
                build.notes.append(f"build {index} of {len(found)} in this log")
        return found


def _previous_done(build: PlainBuildLines, stage: str, index: int) -> bool:
    previous = build.positions.get((stage, index - 1))
    return previous is None or previous in build.finished


def _elapsed(rest: str) -> float | None:
    """Seconds since the vertex started that a line states: a log offset or a DONE."""
    found = _DONE_SECONDS.match(rest) or _LOG_OFFSET.match(rest)
    return float(found.group(1)) if found is not None else None


def _failed_build(builds: list[PlainBuildLines], message: str) -> PlainBuildLines | None:
    """Of builds interleaved, the one whose failed vertex a top-level error names."""
    for build in reversed(builds):
        if any(error and error in message for error in build.errors):
            return build
    return None


def _is_header(rest: str) -> bool:
    """A vertex's name line, not its log, outcome, sub-status or ``...``."""
    if not rest or rest == "..." or _LOG.match(rest) or _OUTCOME.match(rest):
        return False
    return not _SUBSTATUS.match(rest)


def _command_name(text: str) -> str | None:
    """The name a command printed before a build gives it: ``docker build -t TAG``,
    ``docker buildx bake TARGET``, compose's `` Image NAME Building``."""
    command = _DOCKER_BUILD.search(text)
    if command is not None:
        # Of several tags the last ("-t app:$SHA -t app:latest"); one echoed before the
        # shell expanded it ("$CI_COMMIT_SHA") says less than the "naming to" line.
        tags = _TAG.findall(text[command.start() :])
        tag = tags[-1] if tags else command.group(1)
        return tag if "$" not in tag else None
    compose = _COMPOSE_IMAGE.match(text)
    if compose is not None:
        return compose.group(1)
    bake = _DOCKER_BAKE.search(text)
    if bake is None:
        return None
    words = bake.group(1).split()
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = "=" not in word and word in _BAKE_VALUE_FLAGS
        elif re.match(r"^[\w.-]+$", word):
            return word
        else:
            return None
    return None


def _names_vertex(rest: str) -> bool:
    """The first line of a vertex not seen before is its name, unless a log or outcome."""
    return bool(rest) and rest != "..." and not _LOG.match(rest) and not _OUTCOME.match(rest)


def _is_exporter(name: str) -> bool:
    return bool(re.match(r"^(?:\[[^\]]*\] )?exporting to ", name))


def split_builds(lines: Iterable[LogLine]) -> list[PlainBuildLines]:
    splitter = PlainSplitter()
    splitter.feed(lines)
    return splitter.builds()
