"""How much of an input kitprof reads before refusing it: memory stays bounded.

An input is read as it streams, never whole; what it produces (the Build, and for the
history a gzip copy of the stream) grows with the build, not with the bytes. Two
limits stop a hostile or broken input (``/dev/zero``, a gzip bomb, a runaway log)
long before a CI runner runs out of memory, with a one-line error and nothing stored:

- ``max_bytes``: bytes of the stream after gunzip (default 2 GiB, far above the
  largest real builds: a 5,000-step build with verbose logs is ~100 MB);
- ``max_steps``: vertices in one build (default 200,000).

``KITPROF_MAX_BYTES`` / ``KITPROF_MAX_STEPS`` raise (or lower) them for every command;
``--max-bytes`` does for one command.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass

from profiler.errors import InputError, StreamError

DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_STEPS = 200_000
MAX_BYTES_ENV = "KITPROF_MAX_BYTES"
MAX_STEPS_ENV = "KITPROF_MAX_STEPS"

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


class InputTooLarge(StreamError):
    """The input goes beyond a reading limit: refused, nothing stored."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_steps: int = DEFAULT_MAX_STEPS


_chosen: ContextVar[Limits | None] = ContextVar("kitprof_limits", default=None)


def parse_size(text: str) -> int:
    """``2G``, ``500MiB``, ``1.5g``, ``1048576`` → bytes (units are powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size (e.g. 500M, 2G, 1048576)")
    number, unit = match.groups()
    size = int(float(number) * _UNITS[unit.lower()])
    if size <= 0:
        raise ValueError(f"{text!r} is not a positive size")
    return size


def current_limits() -> Limits:
    """The limits in force: set by :func:`set_limits`, else from the environment."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    return Limits(
        max_bytes=_from_env(MAX_BYTES_ENV, DEFAULT_MAX_BYTES),
        max_steps=_from_env(MAX_STEPS_ENV, DEFAULT_MAX_STEPS),
    )


def set_limits(*, max_bytes: int | None = None, max_steps: int | None = None) -> None:
    """Change the limits for the rest of this context (the CLI: for the command)."""
    base = current_limits()
    _chosen.set(
        Limits(
            max_bytes=max_bytes if max_bytes is not None else base.max_bytes,
            max_steps=max_steps if max_steps is not None else base.max_steps,
        )
    )


def too_many_bytes(label: str, limit: int) -> InputTooLarge:
    return InputTooLarge(
        f"{label} holds more than {_human(limit)} of stream (after gunzip): refused, "
        f"nothing stored. Raise the limit with --max-bytes or {MAX_BYTES_ENV} if it "
        "really is one build"
    )


def too_many_steps(label: str, steps: int, limit: int) -> InputTooLarge:
    return InputTooLarge(
        f"{label} holds a build of {steps:,} steps, more than {limit:,}: refused, nothing "
        f"stored. Raise the limit with {MAX_STEPS_ENV} if it really is one build"
    )


def _from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return parse_size(value)
    except ValueError as error:
        raise InputError(f"{name}: {error}") from None


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"
