"""A builder's own build history, through ``docker buildx history`` (buildx ≥ 0.23).

BuildKit keeps a record of every build; ``docker buildx history ls`` lists them and
``history export`` writes one as a ``.dockerbuild`` file, which kitprof reads like a
stream (:mod:`profiler.sources.dockerbuild`). This module lists and exports; it
never reads a record itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from profiler.errors import KitprofError

if TYPE_CHECKING:
    from profiler.capture.command import BuildCommand
    from profiler.environment import DockerInfo

HISTORY_TIMEOUT = 60.0
EXPORT_ATTEMPTS = 3
EXPORT_RETRY_SECONDS = 1.0
MIN_BUILDX = (0, 23)
"""``history export`` appeared in buildx 0.23 (``history ls`` in 0.20)."""
_LONG_AGO = datetime.min.replace(tzinfo=UTC)
CLOCK_SLACK = timedelta(seconds=2)
"""A record is created a moment after the command starts: allow the clocks this much."""


class HistoryError(KitprofError):
    """The builder's history cannot be listed or exported."""


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    ref: str
    """The record's id, as ``history export``/``inspect`` take it (the last part of
    ``builder/node/id``)."""
    name: str
    """What buildx names the build: the context (and target, Dockerfile) it built."""
    status: str
    created_at: datetime | None


def _docker(options: Sequence[str], args: Sequence[str], timeout: float) -> str:
    argv = ["docker", *options, "buildx", *args]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise HistoryError("no docker client on PATH") from None
    except subprocess.TimeoutExpired:
        raise HistoryError(f"`{' '.join(argv)}` did not answer in {timeout:.0f} s") from None
    if result.returncode != 0:
        problem = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise HistoryError(f"`{' '.join(argv)}` failed: {problem}")
    return result.stdout


def check_buildx(options: Sequence[str] = ()) -> str:
    """The buildx version; :class:`HistoryError` with the fix if it is older than 0.23."""
    words = _docker(options, ["version"], HISTORY_TIMEOUT).split()
    found = words[1] if len(words) > 1 else "?"
    if not _new_enough(found):
        raise HistoryError(
            f"buildx {found} cannot export its build records: `docker buildx history "
            "export` needs buildx 0.23 or newer (Docker Desktop 4.40+, or the docker-buildx "
            "plugin from https://github.com/docker/buildx/releases)"
        )
    return found


def list_records(builder: str | None = None, options: Sequence[str] = ()) -> list[HistoryRecord]:
    """The builder's records, newest first."""
    args = ["history", "ls", "--format", "json", "--no-trunc"]
    if builder:
        args += ["--builder", builder]
    records = []
    for line in _docker(options, args, HISTORY_TIMEOUT).splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise HistoryError(
                f"`docker buildx history ls` printed something else: {line[:80]}"
            ) from None
        records.append(
            HistoryRecord(
                ref=str(row.get("ref", "")).rsplit("/", 1)[-1],
                name=str(row.get("name", "")),
                status=str(row.get("status", "")),
                created_at=_time(row.get("created_at")),
            )
        )
    return sorted(records, key=lambda r: r.created_at or _LONG_AGO, reverse=True)


def export_record(
    ref: str | Sequence[str], out: Path, builder: str | None = None, options: Sequence[str] = ()
) -> Path:
    """``docker buildx history export --finalize REF… -o OUT`` (several refs: one file
    holding a record each, as a bake's).

    Retried: a record being finalized by another export at that moment is briefly
    reported as not found.
    """
    refs = [ref] if isinstance(ref, str) else list(ref)
    args = ["history", "export", "--finalize", *refs, "-o", str(out)]
    if builder:
        args += ["--builder", builder]
    for attempt in range(EXPORT_ATTEMPTS):
        try:
            _docker(options, args, HISTORY_TIMEOUT)
            return out
        except HistoryError:
            if attempt == EXPORT_ATTEMPTS - 1:
                raise
            time.sleep(EXPORT_RETRY_SECONDS)
    return out


def select(records: Iterable[HistoryRecord], refs: Sequence[str]) -> list[HistoryRecord]:
    """The records ``refs`` name (an id, a full ``builder/node/id`` or a unique prefix)."""
    known = list(records)
    chosen = []
    for wanted in refs:
        short = wanted.rsplit("/", 1)[-1]
        matches = [r for r in known if r.ref == short] or [
            r for r in known if r.ref.startswith(short)
        ]
        if len(matches) != 1:
            problem = "no record" if not matches else f"{len(matches)} records"
            verb = "matches" if len(matches) < 2 else "match"
            raise HistoryError(f"{problem} of this builder {verb} {wanted!r}")
        chosen.append(matches[0])
    return chosen


def records_of_run(
    records: Iterable[HistoryRecord],
    started: datetime,
    ended: datetime,
    context: str | None = None,
) -> list[HistoryRecord]:
    """The records a build command made: created while it ran (a bake makes several).

    On a daemon others build on too, a record of the same moment may be another's:
    with a known local context, only records named after that directory are kept.
    """
    window = [
        r
        for r in records
        if r.created_at is not None and started - CLOCK_SLACK <= r.created_at <= ended
    ]
    if context and Path(context).is_dir():
        base = Path(context).resolve().name
        named = [r for r in window if base in re.split(r"[/ ()]", r.name)]
        window = named
    return sorted(window, key=lambda r: r.created_at or _LONG_AGO)


_RECORDING_TOOLS = frozenset(
    {"docker buildx build", "docker buildx bake", "docker build", "docker compose build"}
)
_DOCKER_OPTION_FLAGS = {"context": "--context", "host": "--host", "config": "--config"}


def history_refs_of_run(
    command: BuildCommand,
    docker: DockerInfo | None,
    started: datetime,
    context: Path | None,
) -> list[str] | None:
    """The history records a ``kitprof run`` build made, so a run and its record join.

    ``None`` when not knowable: another tool, no daemon, buildx older than 0.23. Never
    raises: the run is what matters.
    """
    version = docker.buildx_version if docker is not None else None
    if command.tool.value not in _RECORDING_TOOLS or not version or not _new_enough(version):
        return None
    try:
        records = list_records(command.builder, _client_options(command))
    except HistoryError:
        return None
    found = records_of_run(records, started, datetime.now(UTC), str(context) if context else None)
    return [record.ref for record in found]


def export_run_records(command: BuildCommand, refs: Sequence[str], out: Path) -> Path | None:
    """Docker's records of a run's builds (:func:`history_refs_of_run`), exported into
    one ``.dockerbuild`` file at ``out``; ``None`` when there is none or the export
    fails. Never raises: the run is what matters."""
    if not refs:
        return None
    try:
        return export_record(refs, out, command.builder, _client_options(command))
    except HistoryError:
        return None


def _client_options(command: BuildCommand) -> list[str]:
    """The docker client options of the build command that select its daemon."""
    return [
        part
        for key, value in command.docker_options.items()
        if key in _DOCKER_OPTION_FLAGS
        for part in (_DOCKER_OPTION_FLAGS[key], value)
    ]


def _new_enough(version: str) -> bool:
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.lstrip("v"))[:2])
    return len(numbers) == 2 and numbers >= MIN_BUILDX


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    # Python < 3.12 takes at most 6 fraction digits; Go writes up to 9.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
