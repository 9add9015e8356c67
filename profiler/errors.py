"""The one family of errors the library raises; only the CLI turns them into exit codes."""

from __future__ import annotations


class KitprofError(Exception):
    """Base of every error kitprof reports to a user as a one-line message."""

    exit_code = 1


class StreamError(KitprofError):
    """The input is not a usable BuildKit progress stream (empty, garbage, wrong JSON)."""


class InputError(KitprofError):
    """An input file cannot be opened or read."""
