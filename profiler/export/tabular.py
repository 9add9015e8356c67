"""The steps frame (:func:`~profiler.analysis.frames.steps_frame`) as CSV or Parquet.

One row per vertex, the columns documented on ``steps_frame``; times are seconds
from the build's start. In CSV the ``inputs`` list is written as space-separated
digests; Parquet keeps it a list of strings. Two columns are added for joining
exports of many builds: ``build_started_at`` (ISO 8601, UTC; empty when unknown,
e.g. a plain log without timestamps) and ``approximate`` (the build was
reconstructed from plain output).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis
from profiler.analysis.frames import steps_frame
from profiler.model import Build

if TYPE_CHECKING:
    import pandas as pd


def steps_table(build: Build, analysis: BuildAnalysis | None = None) -> pd.DataFrame:
    frame = steps_frame(build, analysis)
    # Step positions are whole numbers, missing for internal vertices: not floats.
    for column in ("index", "count"):
        frame[column] = frame[column].astype("Int64")
    frame["build_started_at"] = build.started_at.isoformat() if build.started_at else None
    frame["approximate"] = build.approximate
    return frame


def steps_csv(build: Build, analysis: BuildAnalysis | None = None) -> str:
    frame = steps_table(build, analysis)
    frame["inputs"] = [" ".join(inputs) for inputs in frame["inputs"]]
    return str(frame.to_csv(index=False, lineterminator="\n"))


def steps_parquet(build: Build, analysis: BuildAnalysis | None = None) -> bytes:
    buffer = io.BytesIO()
    steps_table(build, analysis).to_parquet(buffer, index=False)
    return buffer.getvalue()
