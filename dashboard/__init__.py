"""The kitprof Dash dashboard (a later issue).

It reads the history store and ``profiler.figures``; it never parses streams itself.
"""
