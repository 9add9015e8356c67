"""Zip archives of logs: GitHub Actions' "Download log archive", a CI artifact.

Every member is read as an input of its own; the builds of all of them are returned in
archive order. GitHub's archive holds each step's log twice (inside the job's log and
alone in the job's folder): a build already read from another member is left out.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Hashable
from typing import BinaryIO

from profiler.errors import StreamError
from profiler.model import Build
from profiler.sources.limits import InputTooLarge

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""A local file header, or the end record of an empty archive."""


def read_zip_builds(
    data: bytes, label: str, read: Callable[[BinaryIO], list[Build]]
) -> list[Build]:
    """The builds of every member of a zip archive; ``read`` reads one member, given
    as a file that decompresses as it is read (a zip bomb meets the reading limits as
    it streams, never whole in memory).

    Members without a build (the logs of other CI steps) are skipped; an archive with
    none at all raises :class:`StreamError` naming how many files it looked at.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise StreamError(f"{label} is not a valid zip archive: {error}") from None
    builds: list[Build] = []
    seen: set[Hashable] = set()
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        for info in members:
            try:
                with archive.open(info) as member:
                    found = read(member)  # type: ignore[arg-type]  # a binary file
            except InputTooLarge:
                raise
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
                raise StreamError(f"{label}: cannot read {info.filename}: {error}") from None
            except StreamError:
                continue  # the log of another step: no build in it
            for build in found:
                key = _fingerprint(build)
                if key not in seen:
                    seen.add(key)
                    builds.append(build)
    if not builds:
        raise StreamError(
            f"{label}: none of the {len(members)} files of this zip archive is a build log"
        )
    return builds


def _fingerprint(build: Build) -> Hashable:
    return (
        tuple((step.name, round(step.duration, 3), step.status) for step in build),
        build.messages,
    )
