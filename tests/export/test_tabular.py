"""CSV and Parquet of the steps frame: the same rows, read back."""

from __future__ import annotations

import csv
import io

import pandas as pd

from profiler.export.tabular import steps_csv, steps_parquet
from tests.export.samples import PLAIN_LOGS, SAMPLES, read

COLUMNS = [
    "digest", "name", "kind", "target", "platform", "stage", "index", "count",
    "instruction", "text", "start", "end", "duration", "cached", "status", "error",
    "on_critical_path", "log_chunks", "inputs", "build_started_at", "approximate",
]  # fmt: skip


def test_csv_has_one_row_per_step() -> None:
    build, _ = read(SAMPLES / "parallel-stages" / "cold.rawjson")
    rows = list(csv.DictReader(io.StringIO(steps_csv(build))))
    assert list(rows[0]) == COLUMNS
    assert [row["digest"] for row in rows] == [step.digest for step in build]
    backend = next(row for row in rows if "[backend 2/3]" in row["name"])
    assert backend["on_critical_path"] == "True" and float(backend["duration"]) >= 4.0
    assert (backend["index"], backend["count"]) == ("2", "3")
    # inputs: space-separated digests
    assert backend["inputs"].split() == list(build.step(backend["digest"]).inputs)
    assert rows[0]["build_started_at"].startswith("2026-") and rows[0]["approximate"] == "False"


def test_parquet_round_trips() -> None:
    build, _ = read(SAMPLES / "bake-two-targets" / "bake.rawjson")
    frame = pd.read_parquet(io.BytesIO(steps_parquet(build)))
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(build)
    assert set(frame["target"].dropna()) == {"api", "web"}
    for _, row in frame.iterrows():
        assert list(row["inputs"]) == list(build.step(row["digest"]).inputs)
    assert frame["inputs"].map(len).max() >= 1


def test_a_plain_log_is_flagged_approximate() -> None:
    build, _ = read(PLAIN_LOGS / "cancelled.plain")
    frame = pd.read_csv(io.StringIO(steps_csv(build)))
    assert frame["approximate"].all()
    assert frame["build_started_at"].isna().all()  # no timestamps in the log
