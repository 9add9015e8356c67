"""A manifest of the build context: what each COPY/ADD source matched, with content hashes.

``kitprof run`` takes one as the build starts (:mod:`profiler.capture.manifest`) and
keeps it with the run (the ``context-manifest`` run file, JSON). ``compare`` reads two
of them to name the files a COPY saw change between two runs
(:mod:`profiler.analysis.cachemiss`). This module is the manifest as data: its JSON
form, and which of its paths a COPY source covers; it reads no file system.

JSON (``"version": 1``)::

    {"version": 1, "dockerfile": "Dockerfile", "ignore_file": ".dockerignore",
     "sources": [{"stage": "build", "line": 6, "instruction": "COPY app/ ./app/",
                  "patterns": ["app/"], "matched": 2}],
     "files": {"app/one.txt": {"sha256": "…", "mode": "0644", "size": 4},
               "app/latest": {"symlink": "one.txt"},
               "app/secret": {"error": "Permission denied"}},
     "stats": {"files": 3, "hashed": 1, "reused": 2, "bytes_hashed": 4, "seconds": 0.01}}

``files`` holds every file (and symlink) a source matched, once, by its path relative
to the context; a directory is represented by the files inside it.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from profiler.errors import InputError

MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class ManifestSource:
    """One instruction that reads the context, and the patterns it reads."""

    stage: str
    line: int
    instruction: str
    patterns: tuple[str, ...]
    """Its sources as the Dockerfile names them, build arguments expanded."""
    matched: int = 0
    """How many files of the context they matched."""


@dataclass(frozen=True, slots=True)
class ContextManifest:
    files: Mapping[str, Mapping[str, Any]]
    sources: tuple[ManifestSource, ...] = ()
    dockerfile: str | None = None
    ignore_file: str | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self, *, stat: bool = True) -> bytes:
        """The JSON form; ``stat=False`` leaves out what only the next scan of the same
        checkout uses (mtime, ctime, inode): what a run keeps in the history."""
        files = self.files if stat else {p: _without_stat(e) for p, e in self.files.items()}
        return orjson.dumps(
            {
                "version": MANIFEST_VERSION,
                "dockerfile": self.dockerfile,
                "ignore_file": self.ignore_file,
                "sources": [
                    {
                        "stage": source.stage,
                        "line": source.line,
                        "instruction": source.instruction,
                        "patterns": list(source.patterns),
                        "matched": source.matched,
                    }
                    for source in self.sources
                ],
                "files": {path: dict(entry) for path, entry in files.items()},
                "stats": dict(self.stats),
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @staticmethod
    def from_json(data: bytes | str) -> ContextManifest:
        """Read a manifest back; a file that is not one raises :class:`InputError`."""
        try:
            loaded = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise InputError(f"not a context manifest: {error}") from None
        if not isinstance(loaded, dict) or not isinstance(loaded.get("files"), dict):
            raise InputError("not a context manifest: no 'files' object")
        sources = tuple(
            ManifestSource(
                stage=str(item.get("stage", "")),
                line=int(item.get("line", 0)),
                instruction=str(item.get("instruction", "")),
                patterns=tuple(str(p) for p in item.get("patterns", ())),
                matched=int(item.get("matched", 0)),
            )
            for item in loaded.get("sources", ())
            if isinstance(item, dict)
        )
        return ContextManifest(
            files={
                str(path): entry
                for path, entry in loaded["files"].items()
                if isinstance(entry, dict)
            },
            sources=sources,
            dockerfile=loaded.get("dockerfile"),
            ignore_file=loaded.get("ignore_file"),
            stats=loaded.get("stats") or {},
        )

    def covered(self, patterns: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        """The manifest's files that ``patterns`` (COPY sources) take."""
        patterns = [clean_source(p) for p in patterns]
        return {
            path: entry
            for path, entry in self.files.items()
            if any(source_covers(p, path) for p in patterns)
        }


_STAT_KEYS = frozenset({"mtime_ns", "ctime_ns", "ino"})


def _without_stat(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in _STAT_KEYS}


def clean_source(pattern: str) -> str:
    """A COPY source as a context path: relative, cleaned, ``.`` for the root."""
    cleaned = posixpath.normpath("/" + pattern.strip()).lstrip("/")
    return cleaned or "."


@lru_cache(maxsize=512)
def component_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.DOTALL)


def has_wildcards(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def source_covers(pattern: str, path: str) -> bool:
    """Whether a COPY source (cleaned, :func:`clean_source`) takes the context file
    ``path``: the path itself, a file inside a directory it names, or one its
    wildcards (``filepath.Match``: per path component) match."""
    if pattern == ".":
        return True
    if not has_wildcards(pattern):
        return path == pattern or path.startswith(pattern + "/")
    wanted = pattern.split("/")
    parts = path.split("/")
    if len(parts) < len(wanted):
        return False
    return all(
        component_regex(want).match(part) is not None
        for want, part in zip(wanted, parts, strict=False)
    )


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    change: str
    """``added``, ``removed`` or ``modified``."""

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "change": self.change}


def changed_files(
    before: ContextManifest, after: ContextManifest, patterns: Iterable[str]
) -> tuple[FileChange, ...]:
    """Files that ``patterns`` take whose content, mode or kind differs between the two
    manifests (a file one manifest could not read counts as changed), sorted by path."""
    patterns = list(patterns)
    old = before.covered(patterns)
    new = after.covered(patterns)
    changes = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            changes.append(FileChange(path, "added"))
        elif path not in new:
            changes.append(FileChange(path, "removed"))
        elif _identity(old[path]) != _identity(new[path]) or "error" in old[path]:
            changes.append(FileChange(path, "modified"))
    return tuple(changes)


def _identity(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return (entry.get("sha256"), entry.get("mode"), entry.get("symlink"), entry.get("type"))
