"""Launching Debian's Chromium under Playwright: shared by the browser tests and
benchmarks/dashboard.py, so both measure the same browser the same way."""

from __future__ import annotations

from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine has no network: without these Chromium keeps dialling out.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright: Any, executable: str) -> Any:
    """A headless Chromium (a Playwright ``Browser``) from the system's ``executable``."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
