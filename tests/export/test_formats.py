"""The one table of export formats: names, suffixes, writers, what each needs."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from profiler.export import FORMATS, ExportFormat, export, format_for_path
from profiler.sources import read_build
from tests.export.samples import SAMPLES

BUILD = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
MAGIC = {
    ExportFormat.CHROME_TRACE: b'{"traceEvents"',
    ExportFormat.HTML: b"<!DOCTYPE html>",
    ExportFormat.MARKDOWN: b"## t\n",  # the title given
    ExportFormat.CSV: b"digest,name,kind,",
    ExportFormat.PARQUET: b"PAR1",
}


def test_every_format_has_a_row_and_its_suffixes_name_it() -> None:
    assert set(FORMATS) == set(ExportFormat)
    for fmt, spec in FORMATS.items():
        assert fmt.suffix == spec.suffixes[0]
        for suffix in spec.suffixes:
            assert format_for_path(PurePath(f"out/Build{suffix.upper()}")) is fmt


def test_the_longest_suffix_wins_and_unknown_ones_name_nothing() -> None:
    assert format_for_path(PurePath("a.trace.json")) is ExportFormat.CHROME_TRACE
    assert format_for_path(PurePath("report.txt")) is None
    assert format_for_path(PurePath("json")) is None


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_each_writer_writes_its_format(fmt: ExportFormat) -> None:
    assert export(BUILD, fmt, title="t").startswith(MAGIC[fmt])
    assert fmt.binary is (fmt is ExportFormat.PARQUET)


def test_suggestions_are_left_out_when_asked() -> None:
    for fmt in (fmt for fmt, spec in FORMATS.items() if spec.needs_suggestions):
        assert b"Suggestions were not computed" in export(BUILD, fmt, with_suggestions=False)
        assert b"Suggestions were not computed" not in export(BUILD, fmt)
