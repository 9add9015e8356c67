"""``python -m profiler`` is ``kitprof``."""

from profiler.launch import main

main()
