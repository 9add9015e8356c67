"""``python -m profiler`` is ``kitprof``."""

from profiler.cli import main

main()
