"""Take the context manifest of a build (:mod:`profiler.context_manifest`) as it starts.

Only what the Dockerfile's COPY/ADD sources (and ``RUN --mount=type=bind`` without
``from``) match is listed and hashed, ``.dockerignore`` honoured as BuildKit honours it,
so a large repository whose image copies a few folders costs a few folders. A file
whose size, mtime, ctime and inode are those of the previous manifest of the same
context is not hashed again, if its ctime is safely older than when that manifest was
taken (git's "racy" rule: a write in the same clock tick as the previous look could
leave the stat unchanged). The previous manifest is kept in kitprof's data directory.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiler.context_manifest import (
    ContextManifest,
    ManifestSource,
    clean_source,
    component_regex,
    has_wildcards,
)
from profiler.dockerfile import Dockerfile, DockerfileError, copy_spec, expand, read_dockerfile
from profiler.dockerfile.ignore import IgnoreMatcher, ignore_file, read_patterns
from profiler.dockerfile.parse import arg_defaults
from profiler.errors import KitprofError

RACY_SECONDS = 2.0
"""A stat is trusted only for files last changed this long before the previous look."""


class ManifestError(KitprofError):
    """The context or its Dockerfile cannot be read: no manifest for this run."""


def context_sources(dockerfile: Dockerfile, build_args: Mapping[str, str]) -> list[ManifestSource]:
    """Every instruction that reads the build context, and the sources it names.

    ``COPY``/``ADD`` without ``--from`` (URLs and heredocs left out) and ``RUN`` with a
    bind mount of the context. Sources are expanded with the Dockerfile's ``ARG``
    defaults, overridden by ``build_args``.
    """
    values: dict[str, str] = {}
    for instruction in dockerfile.global_args:
        values.update(arg_defaults(instruction))
    found: list[ManifestSource] = []
    for stage in dockerfile.stages:
        scope = dict(values)
        for instruction in stage.instructions:
            if instruction.keyword == "ARG":
                scope.update(arg_defaults(instruction))
                continue
            patterns = _instruction_sources(instruction.keyword, instruction)
            if not patterns:
                continue
            merged = {**scope, **build_args}
            found.append(
                ManifestSource(
                    stage=stage.label,
                    line=instruction.start_line,
                    instruction=instruction.text.splitlines()[0],
                    patterns=tuple(expand(pattern, merged) for pattern in patterns),
                )
            )
    return found


def _instruction_sources(keyword: str, instruction: Any) -> list[str]:
    if keyword in {"COPY", "ADD"}:
        if instruction.flag("from") or instruction.heredocs:
            return []
        spec = copy_spec(instruction.text)
        if spec is None:
            return []
        return [
            source
            for source in spec.sources
            if "://" not in source and not source.startswith("git@") and not source.startswith("<<")
        ]
    if keyword == "RUN":
        sources = []
        for mount in instruction.flag_values("mount"):
            options = dict(part.partition("=")[::2] for part in mount.split(",") if part)
            if options.get("type", "bind") != "bind" or options.get("from"):
                continue
            sources.append(options.get("source") or options.get("src") or ".")
        return sources
    return []


@dataclass
class _Scan:
    root: Path
    ignore: IgnoreMatcher
    previous: Mapping[str, Mapping[str, Any]]
    trusted_before_ns: int
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    hashed: int = 0
    reused: int = 0
    bytes_hashed: int = 0

    def take(self, pattern: str) -> int:
        """Add what one cleaned source matches; return how many files that is."""
        before = len(self.files)
        for relative in self._expand(pattern):
            self._add(relative, top=True)
        return len(self.files) - before

    def _expand(self, pattern: str) -> Iterator[str]:
        if pattern == ".":
            yield ""
            return
        if not has_wildcards(pattern):
            if not self.ignore.ignored(pattern):
                yield pattern
            return
        candidates = [""]
        for part in pattern.split("/"):
            following: list[str] = []
            for base in candidates:
                if not has_wildcards(part):
                    following.append(f"{base}/{part}" if base else part)
                    continue
                try:
                    names = sorted(os.listdir(self.root / base))
                except OSError:
                    continue
                regex = component_regex(part)
                following.extend(
                    f"{base}/{name}" if base else name for name in names if regex.match(name)
                )
            candidates = [c for c in following if not self.ignore.ignored(c)]
        yield from candidates

    def _add(self, relative: str, top: bool = False, info: os.stat_result | None = None) -> None:
        path = f"{self.root}/{relative}" if relative else str(self.root)
        if info is None:
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                return  # the build will say the source is missing
            except OSError as error:
                self.files[relative] = {"error": error.strerror or str(error)}
                return
        if stat.S_ISDIR(info.st_mode):
            self._walk(relative)
        elif stat.S_ISLNK(info.st_mode):
            entry: dict[str, Any] = {"symlink": os.readlink(path)}
            if top:
                # A source that is itself a link is followed by COPY.
                try:
                    target = os.stat(path)
                except OSError as error:
                    entry["error"] = error.strerror or str(error)
                else:
                    if stat.S_ISREG(target.st_mode):
                        entry.update(self._regular(relative, path, target))
            self.files[relative] = entry
        elif stat.S_ISREG(info.st_mode):
            self.files[relative] = self._regular(relative, path, info)
        else:
            self.files[relative] = {"type": _kind(info.st_mode), "mode": _mode(info.st_mode)}

    def _walk(self, relative: str) -> None:
        directory = f"{self.root}/{relative}" if relative else str(self.root)
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self.files[relative or "."] = {"error": error.strerror or str(error)}
            return
        ignore = self.ignore
        skip = ignore.ignored_inside if ignore else None
        prefix = f"{relative}/" if relative else ""
        for entry in entries:
            child = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as error:
                self.files[child] = {"error": error.strerror or str(error)}
                continue
            if stat.S_ISDIR(info.st_mode):
                if not ignore.prunes(child):
                    self._walk(child)
            elif skip is None or not skip(child):
                if stat.S_ISREG(info.st_mode):
                    self.files[child] = self._regular(child, entry.path, info)
                else:
                    self._add(child, info=info)

    def _regular(self, relative: str, path: str, info: os.stat_result) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "mode": _mode(info.st_mode),
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "ctime_ns": info.st_ctime_ns,
            "ino": info.st_ino,
        }
        old = self.previous.get(relative)
        if (
            old is not None
            and info.st_ctime_ns < self.trusted_before_ns
            and old.get("sha256")
            and old.get("size") == info.st_size
            and old.get("mtime_ns") == info.st_mtime_ns
            and old.get("ctime_ns") == info.st_ctime_ns
            and old.get("ino") == info.st_ino
        ):
            entry["sha256"] = old["sha256"]
            self.reused += 1
            return entry
        try:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as error:
            return {"error": error.strerror or str(error), "mode": entry["mode"]}
        entry["sha256"] = digest
        self.hashed += 1
        self.bytes_hashed += info.st_size
        return entry


@functools.lru_cache(maxsize=64)
def _mode(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


def take_manifest(
    context: str | os.PathLike[str],
    dockerfile: str | os.PathLike[str] | None = None,
    build_args: Mapping[str, str] | None = None,
    previous: ContextManifest | None = None,
) -> ContextManifest:
    """The manifest of ``context`` for the Dockerfile ``dockerfile`` (default
    ``context/Dockerfile``). ``previous`` (an earlier manifest of the same context)
    lets unchanged files skip hashing. A file that cannot be read is listed with its
    ``error``; a context or Dockerfile that cannot be read raises :class:`ManifestError`.
    """
    started = time.perf_counter()
    taken_ns = time.time_ns()
    root = Path(context)
    if not root.is_dir():
        raise ManifestError(f"the build context {root} is not a directory")
    dockerfile_path = Path(dockerfile) if dockerfile is not None else root / "Dockerfile"
    try:
        parsed = read_dockerfile(dockerfile_path)
    except DockerfileError as error:
        raise ManifestError(f"{dockerfile_path}: {error}") from None
    except KitprofError as error:
        raise ManifestError(str(error)) from None
    ignore_path = ignore_file(root, dockerfile_path)
    patterns: list[str] = []
    if ignore_path is not None:
        try:
            patterns = read_patterns(ignore_path.read_text(encoding="utf-8", errors="replace"))
        except OSError as error:
            raise ManifestError(f"cannot read {ignore_path}: {error.strerror or error}") from None
    trusted = 0
    if previous is not None:
        trusted = int(previous.stats.get("taken_ns", 0)) - int(RACY_SECONDS * 1e9)
    scan = _Scan(
        root=root,
        ignore=IgnoreMatcher(patterns),
        previous=previous.files if previous is not None else {},
        trusted_before_ns=trusted,
    )
    sources = []
    for source in context_sources(parsed, build_args or {}):
        matched = sum(scan.take(clean_source(pattern)) for pattern in source.patterns)
        sources.append(
            ManifestSource(source.stage, source.line, source.instruction, source.patterns, matched)
        )
    errors = sum(1 for entry in scan.files.values() if "error" in entry)
    return ContextManifest(
        files=scan.files,
        sources=tuple(sources),
        dockerfile=_relative(dockerfile_path, root),
        ignore_file=_relative(ignore_path, root) if ignore_path is not None else None,
        stats={
            "files": len(scan.files),
            "hashed": scan.hashed,
            "reused": scan.reused,
            "bytes_hashed": scan.bytes_hashed,
            "unreadable": errors,
            "seconds": round(time.perf_counter() - started, 4),
            "taken_ns": taken_ns,
        },
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def unreadable(manifest: ContextManifest) -> list[str]:
    """``path: reason`` of every file the manifest could not read."""
    files = manifest.files
    return [f"{path}: {entry['error']}" for path, entry in files.items() if "error" in entry]


@dataclass(frozen=True, slots=True)
class RunManifest:
    """What ``kitprof run`` keeps of the context: the manifest and the Dockerfile."""

    manifest: ContextManifest | None
    dockerfile_text: bytes | None
    problem: str | None = None
    """Why there is no manifest, or which files could not be read."""


def run_manifest(
    context_dir: Path | None,
    argv: list[str] | tuple[str, ...],
    cwd: Path,
    environ: Mapping[str, str] | None = None,
) -> RunManifest:
    """The context manifest of a build command about to run in ``cwd`` (never raises:
    a run without a manifest is still a run)."""
    from profiler.buildargs import build_options
    from profiler.capture.paths import data_dir, make_private_dir, private_opener

    if context_dir is None:
        return RunManifest(None, None)
    options = build_options(argv, os.environ if environ is None else environ)
    if options.dockerfile == "-":
        return RunManifest(None, None)
    dockerfile = (
        (cwd / options.dockerfile) if options.dockerfile else context_dir / "Dockerfile"
    ).resolve()
    key = hashlib.sha256(f"{context_dir.resolve()}\0{dockerfile}".encode()).hexdigest()[:20]
    cache = data_dir() / "manifests" / f"{key}.json"
    previous: ContextManifest | None = None
    try:
        previous = ContextManifest.from_json(cache.read_bytes())
    except (OSError, KitprofError):
        previous = None
    try:
        manifest = take_manifest(context_dir, dockerfile, options.build_args, previous)
        text = dockerfile.read_bytes()
    except ManifestError as error:
        return RunManifest(None, None, str(error))
    except OSError as error:
        return RunManifest(None, None, f"cannot read {dockerfile}: {error.strerror or error}")
    try:
        make_private_dir(cache.parent)
        temporary = cache.with_name(cache.name + f".{os.getpid()}.tmp")
        with open(temporary, "wb", opener=private_opener) as handle:
            handle.write(manifest.to_json())
        temporary.replace(cache)
    except OSError:
        pass  # only a cache: the next manifest hashes everything again
    bad = unreadable(manifest)
    problem = None
    if bad:
        problem = f"cannot read {len(bad)} file(s) of the context ({bad[0]}" + (
            ", …)" if len(bad) > 1 else ")"
        )
    return RunManifest(manifest, text, problem)
