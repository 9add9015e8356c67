"""Exports: a Build (and its analysis) in the formats of the tools people already use.

One module a format, each a pure function of the model returning text or bytes:

- :mod:`~profiler.export.chrome_trace`: Trace Event Format JSON for Perfetto and
  ``chrome://tracing``;
- :mod:`~profiler.export.html`: one self-contained HTML report (plotly inline);
- :mod:`~profiler.export.markdown`: a CI job summary (``$GITHUB_STEP_SUMMARY``,
  GitLab notes) with a Mermaid ``gantt`` of the stages;
- :mod:`~profiler.export.tabular`: the steps frame as CSV or Parquet.

:data:`FORMATS` is the one table of them (name, file suffixes, writer, what the writer
needs): ``kitprof export --format``, the guess from ``-o``'s suffix and :func:`export`
all read it. Adding a format is a module, an :class:`ExportFormat` member and a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis, analyze
from profiler.model import Build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile
    from profiler.suggest import SuggestionReport


class ExportFormat(StrEnum):
    CHROME_TRACE = "chrome-trace"
    HTML = "html"
    MARKDOWN = "markdown"
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def spec(self) -> FormatSpec:
        return FORMATS[self]

    @property
    def suffix(self) -> str:
        """The suffix of a file written in this format (the first of its suffixes)."""
        return self.spec.suffixes[0]

    @property
    def binary(self) -> bool:
        """Not text: never written to a terminal."""
        return self.spec.binary


@dataclass(frozen=True, slots=True)
class ExportInput:
    """Everything a writer may read; a row of :data:`FORMATS` says what it needs."""

    build: Build
    analysis: BuildAnalysis
    suggestions: SuggestionReport | None
    title: str | None


@dataclass(frozen=True, slots=True)
class FormatSpec:
    suffixes: tuple[str, ...]
    """File suffixes that name the format, the one written first."""
    writer: Callable[[ExportInput], bytes]
    binary: bool = False
    """Not text: never written to a terminal."""
    needs_suggestions: bool = False
    """The writer shows the suggestions (computed only for these formats)."""
    title: bool = False
    """The writer uses ``--title``."""


# Each writer imports its module when called: plotly (html) and pyarrow (parquet)
# are paid for only by the format that uses them.


def _chrome_trace(data: ExportInput) -> bytes:
    from profiler.export.chrome_trace import chrome_trace_json

    return chrome_trace_json(data.build, data.analysis)


def _html(data: ExportInput) -> bytes:
    from profiler.export.html import html_report

    return html_report(data.build, data.analysis, data.suggestions, title=data.title).encode()


def _markdown(data: ExportInput) -> bytes:
    from profiler.export.markdown import markdown_summary

    summary = markdown_summary(data.build, data.analysis, data.suggestions, title=data.title)
    return summary.encode()


def _csv(data: ExportInput) -> bytes:
    from profiler.export.tabular import steps_csv

    return steps_csv(data.build, data.analysis).encode()


def _parquet(data: ExportInput) -> bytes:
    from profiler.export.tabular import steps_parquet

    return steps_parquet(data.build, data.analysis)


FORMATS: dict[ExportFormat, FormatSpec] = {
    ExportFormat.CHROME_TRACE: FormatSpec((".trace.json", ".json"), _chrome_trace),
    ExportFormat.HTML: FormatSpec((".html", ".htm"), _html, needs_suggestions=True, title=True),
    ExportFormat.MARKDOWN: FormatSpec(
        (".md", ".markdown"), _markdown, needs_suggestions=True, title=True
    ),
    ExportFormat.CSV: FormatSpec((".csv",), _csv),
    ExportFormat.PARQUET: FormatSpec((".parquet",), _parquet, binary=True),
}


def format_for_path(path: PurePath) -> ExportFormat | None:
    """The format a file name's suffix names (``.trace.json`` and ``.json`` both name
    chrome-trace), or None."""
    name = path.name.lower()
    matches = [
        (len(suffix), fmt)
        for fmt, spec in FORMATS.items()
        for suffix in spec.suffixes
        if name.endswith(suffix)
    ]
    return max(matches)[1] if matches else None


def suggestions_for(build: Build, dockerfile: Dockerfile | None = None) -> SuggestionReport:
    """The suggestions the HTML and Markdown exports show (the same as `kitprof suggest`)."""
    from profiler.suggest import suggest

    return suggest(build, dockerfile)


def export(
    build: Build,
    fmt: ExportFormat,
    *,
    analysis: BuildAnalysis | None = None,
    suggestions: SuggestionReport | None = None,
    with_suggestions: bool = True,
    title: str | None = None,
) -> bytes:
    """The build in format ``fmt``, as the bytes of the file to write.

    ``suggestions`` (for html and markdown) default to :func:`suggestions_for` the build;
    ``with_suggestions=False`` leaves them out (the report says they were not computed).
    """
    spec = FORMATS[fmt]
    if not with_suggestions:
        suggestions = None
    elif spec.needs_suggestions and suggestions is None:
        suggestions = suggestions_for(build)
    data = ExportInput(build, analysis or analyze(build), suggestions, title)
    return spec.writer(data)


__all__ = [
    "FORMATS",
    "ExportFormat",
    "ExportInput",
    "FormatSpec",
    "export",
    "format_for_path",
    "suggestions_for",
]
