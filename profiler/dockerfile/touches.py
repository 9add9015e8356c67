"""What steps touch: the sources a COPY/ADD reads, the paths a RUN writes."""

from __future__ import annotations

import functools
import itertools
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from profiler.dockerfile.words import parse_flags, split_words, strip_flags

# --------------------------------------------------------------------------- what steps touch


@dataclass(frozen=True, slots=True)
class CopySpec:
    """The operands of a ``COPY``/``ADD``: flags, sources and destination."""

    flags: tuple[tuple[str, str | None], ...]
    sources: tuple[str, ...]
    destination: str

    def flag(self, name: str) -> str | None:
        values = [value for key, value in self.flags if key == name]
        return values[-1] if values else None

    @property
    def whole_context(self) -> bool:
        """Copies the whole build context (``COPY . .``): any edit invalidates it."""
        return self.flag("from") is None and any(
            posixpath.normpath(source) in {".", "/"} for source in self.sources
        )


@functools.lru_cache(maxsize=4096)
def copy_spec(text: str) -> CopySpec | None:
    """Parse ``COPY [flags] src… dest`` (as a step name or instruction text shows it).

    Kept for the texts seen last (a CopySpec is immutable): the suggestion finders
    and the cache analysis ask about every step of a build, and builds repeat lines.
    """
    keyword, _, arguments = text.strip().partition(" ")
    if keyword.upper() not in {"COPY", "ADD"}:
        return None
    arguments = arguments.strip()
    if arguments.startswith("["):
        words = _json_words(arguments)
    else:
        words = split_words(strip_flags(arguments))
    if len(words) < 2:
        return None
    return CopySpec(flags=parse_flags(arguments), sources=tuple(words[:-1]), destination=words[-1])


def _json_words(arguments: str) -> list[str]:
    import json

    try:
        loaded = json.loads(arguments)
    except ValueError:
        return []
    return [str(word) for word in loaded] if isinstance(loaded, list) else []


def resolve(path: str, workdir: str) -> str:
    """An absolute, normalised path for ``path`` used in ``workdir``."""
    return posixpath.normpath(posixpath.join(workdir or "/", path))


# Where a RUN step's writes do not survive, or do not matter, in the image.
_SCRATCH_PATHS = ("/dev", "/proc", "/sys", "/tmp", "/run", "/var/tmp")
_SHELL_SPLIT = re.compile(r"&&|\|\||;|\||\n|\$\(|\)|`")
_SHELL_KEYWORDS = frozenset(
    {"do", "then", "else", "elif", "{", "(", "!", "time", "exec", "sudo", "env"}
)
_REDIRECT = re.compile(r"(?<![<&0-9])\d?>{1,2}(?!&)\s*([^\s;&|<>()]+)")
_OUTPUT_FLAGS = frozenset(
    {"-o", "--output", "-O", "--prefix", "--target", "-C", "--directory", "-d", "--root"}
)


def written_paths(command: str, workdir: str = "/") -> list[str]:
    """Paths a shell command visibly writes, as a minimal set of absolute paths.

    A heuristic, good enough to propose ``COPY --from`` lines: directories made with
    ``mkdir``, files written by redirections, ``touch``, the destination of ``cp``,
    ``mv``, ``install``, ``ln``, ``git clone``, ``tar -C``, and ``-o``/``--prefix``
    style options. Scratch places (``/tmp``, ``/dev``…) and paths with unexpanded
    variables are left out; a path inside another one found is folded into it.
    """
    found: list[str] = []
    for match in _REDIRECT.finditer(command):
        found.append(match.group(1))
    for part in _SHELL_SPLIT.split(command):
        words = split_words(part.replace(">", " > "))
        while words and (words[0] in _SHELL_KEYWORDS or "=" in words[0].split("/")[0]):
            words = words[1:]
        if not words:
            continue
        program = posixpath.basename(words[0])
        args = [w for w in words[1:] if w not in {">", ">>"}]
        operands = [w for w in args if not w.startswith("-")]
        if program == "mkdir" or program == "touch":
            found.extend(operands)
        elif program in {"cp", "mv", "install", "ln", "rsync"} and len(operands) >= 2:
            found.append(operands[-1])
        elif program == "install" and "-d" in args:
            found.extend(operands)
        elif program == "git" and operands[:1] == ["clone"] and len(operands) >= 3:
            found.append(operands[-1])
        for flag, value in itertools.pairwise(args):
            if flag in _OUTPUT_FLAGS:
                found.append(value)
        for arg in args:
            name, equals, value = arg.partition("=")
            if equals and name in _OUTPUT_FLAGS | {"DESTDIR", "PREFIX"}:
                found.append(value)
    paths: list[str] = []
    for raw in found:
        if not raw or raw.startswith("&") or "://" in raw:
            continue
        path = _before_variables(resolve(raw, workdir))
        if path is None or path == "/":
            continue
        if any(path == p or path.startswith(p + "/") for p in _SCRATCH_PATHS):
            continue
        paths.append(path)
    return minimal_cover(paths)


def _before_variables(path: str) -> str | None:
    parts = []
    for part in path.split("/"):
        if any(c in part for c in "$*?[`{"):
            break
        parts.append(part)
    kept = "/".join(parts) or "/"
    # "/opt/$NAME" -> "/opt" is still useful; a bare top-level guess is not.
    if kept != path and kept.count("/") < 2:
        return None
    return kept


def minimal_cover(paths: Iterable[str]) -> list[str]:
    """The paths, without those inside another one, in first-seen order."""
    unique = list(dict.fromkeys(paths))
    return [
        path
        for path in unique
        if not any(other != path and path.startswith(other.rstrip("/") + "/") for other in unique)
    ]


def mentions_path(text: str, path: str) -> bool:
    """Whether ``text`` names ``path``, a directory above it, or something inside it."""
    path = posixpath.normpath(path)
    if path == "/":
        return True
    for token in re.findall(r"/[^\s'\";&|<>()`$]*", text):
        token = posixpath.normpath(token)
        if token == "/":
            continue
        if token == path or path.startswith(token + "/") or token.startswith(path + "/"):
            return True
    return False
