"""The ``kitprof`` console script (and ``python -m profiler``).

``kitprof --version`` is answered here, before typer and rich are imported: CI steps
and shell loops call it, and the whole CLI costs several times Python's own start-up.
Everything else goes to :func:`profiler.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from profiler import __version__

        sys.stdout.write(f"kitprof {__version__}\n")
        return
    from profiler.cli import main as cli_main

    cli_main()
