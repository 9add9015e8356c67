"""The ``kitprof`` console script (and ``python -m profiler``).

``kitprof --version`` is answered here, before typer and rich are imported: CI steps
and shell loops call it, and the whole CLI costs several times Python's own start-up.
Everything else goes to :func:`profiler.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"] and _print_version():
        return
    from profiler.cli import main as cli_main

    cli_main()


def _print_version() -> bool:
    """Print the version; False if standard output cannot take it (closed, a pipe whose
    reader left): the CLI then answers, and reports that as it reports any output."""
    from profiler import __version__

    try:
        sys.stdout.write(f"kitprof {__version__}\n")
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):  # AttributeError: sys.stdout is None
        return False
    return True
