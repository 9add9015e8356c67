"""Exports: a Build (and its analysis) in the formats of the tools people already use.

One module a format, each a pure function of the model returning text or bytes:

- :mod:`~profiler.export.chrome_trace`: Trace Event Format JSON for Perfetto and
  ``chrome://tracing``;
- :mod:`~profiler.export.html`: one self-contained HTML report (plotly inline);
- :mod:`~profiler.export.markdown`: a CI job summary (``$GITHUB_STEP_SUMMARY``,
  GitLab notes) with a Mermaid ``gantt`` of the stages;
- :mod:`~profiler.export.tabular`: the steps frame as CSV or Parquet.

:func:`export` picks one by name, for the CLI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis, analyze
from profiler.model import Build

if TYPE_CHECKING:
    from profiler.analysis.suggest import SuggestionReport
    from profiler.dockerfile import Dockerfile


class ExportFormat(StrEnum):
    CHROME_TRACE = "chrome-trace"
    HTML = "html"
    MARKDOWN = "markdown"
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def suffix(self) -> str:
        return {
            ExportFormat.CHROME_TRACE: ".trace.json",
            ExportFormat.HTML: ".html",
            ExportFormat.MARKDOWN: ".md",
            ExportFormat.CSV: ".csv",
            ExportFormat.PARQUET: ".parquet",
        }[self]

    @property
    def binary(self) -> bool:
        """Not text: never written to a terminal."""
        return self is ExportFormat.PARQUET


def suggestions_for(build: Build, dockerfile: Dockerfile | None = None) -> SuggestionReport:
    """The suggestions the HTML and Markdown exports show (the same as `kitprof suggest`)."""
    from profiler.analysis.suggest import suggest

    return suggest(build, dockerfile)


def export(
    build: Build,
    fmt: ExportFormat,
    *,
    analysis: BuildAnalysis | None = None,
    suggestions: SuggestionReport | None = None,
    title: str | None = None,
) -> bytes:
    """The build in format ``fmt``, as the bytes of the file to write.

    ``suggestions`` (for html and markdown) default to :func:`suggestions_for` the build.
    """
    analysis = analysis or analyze(build)
    if fmt is ExportFormat.CHROME_TRACE:
        from profiler.export.chrome_trace import chrome_trace_json

        return chrome_trace_json(build, analysis)
    if fmt is ExportFormat.CSV:
        from profiler.export.tabular import steps_csv

        return steps_csv(build, analysis).encode("utf-8")
    if fmt is ExportFormat.PARQUET:
        from profiler.export.tabular import steps_parquet

        return steps_parquet(build, analysis)
    report = suggestions if suggestions is not None else suggestions_for(build)
    if fmt is ExportFormat.HTML:
        from profiler.export.html import html_report

        return html_report(build, analysis, report, title=title).encode("utf-8")
    from profiler.export.markdown import markdown_summary

    return markdown_summary(build, analysis, report, title=title).encode("utf-8")


__all__ = ["ExportFormat", "export", "suggestions_for"]
