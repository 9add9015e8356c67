"""Errors of the history store; all are :class:`~profiler.errors.KitprofError` (exit 1)."""

from __future__ import annotations

from profiler.errors import KitprofError


class StoreError(KitprofError):
    """The history database cannot be opened, migrated, read or written."""


class RunNotFound(StoreError):
    """A run reference (id, ``latest``, ``latest~N``) matches no stored run."""
