"""Host usage read from Docker's records: what the strip shows, when the host was
CPU-bound, and the cores a build's steps had.

``sample_builds/cpu-bound/modern/cold.dockerbuild`` is a real build recorded on a
2-core machine with two CPU-bound stages side by side (scripts/record-cpu-bound).
Its samples are read here a second way, straight from the record's provenance JSON,
so the facts are checked against the file and not against kitprof's own reading.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from profiler.analysis import analyze
from profiler.analysis.host_usage import (
    CPU_BOUND_PERCENT,
    cpu_bound_windows,
    critical_path_cpu_bound,
    host_cpus,
    host_series,
    load_over,
    load_over_steps,
)
from profiler.model import Build
from profiler.record import HostSample
from profiler.sources import read_build

SAMPLE = Path(__file__).resolve().parents[2] / "sample_builds" / "cpu-bound"
COLD = SAMPLE / "modern" / "cold.dockerbuild"
METADATA = "https://mobyproject.org/buildkit@v1#metadata"


def raw_samples(path: Path) -> list[dict[str, Any]]:
    """``sysUsage`` as the record stores it: the provenance blob of the OCI layout."""
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(path.read_bytes()))) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if b'"sysUsage"' in data:
                return list(json.loads(data)["metadata"][METADATA]["sysUsage"])
    raise AssertionError("no sysUsage in the record")


def epoch(sample: dict[str, Any]) -> float:
    return datetime.fromisoformat(sample["timestamp"].replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def cold() -> Build:
    return read_build(COLD)


def test_the_series_is_every_sample_of_the_record(cold: Build) -> None:
    raw = raw_samples(COLD)
    series = host_series(cold)
    assert len(series) == len(raw) >= 3
    origin = cold.started_at.timestamp() if cold.started_at else 0.0
    assert series.time == pytest.approx([epoch(s) - origin for s in raw], abs=1e-3)
    for sample, used in zip(raw, series.memory_used_percent, strict=True):
        memory = sample["memoryStat"]
        expected = 100 * (memory["total"] - memory["available"]) / memory["total"]
        assert used == pytest.approx(expected)
    assert series.cpu_pressure == tuple(s["cpuPressure"]["some"]["avg10"] for s in raw)
    # Busy: the non-idle share of the counters' growth since the previous sample.
    for before, after, busy in zip(raw, raw[1:], series.cpu_busy_percent[1:], strict=False):
        growth = {
            k: after["cpuStat"][k] - before["cpuStat"].get(k, 0)
            for k in after["cpuStat"]
            if k not in ("guest", "guestNice")
        }
        total = sum(growth.values())
        expected = 100 * (total - growth["idle"] - growth["iowait"]) / total
        assert busy == pytest.approx(expected)
    assert series.cpu_busy_percent[0] is None


def test_the_cores_are_measured_from_the_counters(cold: Build) -> None:
    raw = raw_samples(COLD)
    first, second = raw[0], raw[1]
    grown = sum(
        second["cpuStat"][k] - first["cpuStat"][k]
        for k in second["cpuStat"]
        if k not in ("guest", "guestNice")
    )
    measured = grown / (epoch(second) - epoch(first))
    assert host_cpus(cold) == round(measured)
    assert host_cpus(cold) == 2  # RECORDED.md: recorded on a 2-core machine


def test_the_cpu_bound_window_covers_the_critical_installs(cold: Build) -> None:
    windows = cpu_bound_windows(cold)
    assert windows, "every core was busy while app's installs ran"
    installs = [s for s in cold if "installing toolchain" in s.name]
    assert len(installs) == 2
    on_path = critical_path_cpu_bound(cold)
    for step in installs:
        assert step.digest in analyze(cold).critical_path
        # The bound spans cover (almost all of) each install's running time.
        covered = sum(
            max(0.0, min(b, step.end or 0.0) - max(a, step.start or 0.0)) for a, b in on_path
        )
        assert covered >= 0.9 * step.duration


def test_the_load_over_the_installs_is_what_the_samples_say(cold: Build) -> None:
    installs = [s for s in cold if "installing toolchain" in s.name]
    load = load_over_steps(cold, installs)
    assert load is not None and load.cpu_bound
    assert load.cpus == 2
    assert load.idle_cpus == pytest.approx(2 * (100 - load.busy_percent) / 100)
    # Two RUN steps ran most of the window (an install, and heavy beside it).
    assert 1.0 < load.run_steps <= 2.0
    assert 1 <= load.cpus_for_build <= 2


def with_samples(build: Build, busy: list[float | None], every: float = 2.0) -> Build:
    assert build.record is not None
    samples = tuple(
        HostSample(
            time=index * every,
            cpu_busy_percent=value,
            iowait_percent=0.0 if value is not None else None,
            memory_used_kib=1000,
            memory_total_kib=4000,
            cpu_pressure=None,
            memory_pressure=None,
            io_pressure=None,
            cpus=4.0 if index else None,
        )
        for index, value in enumerate(busy)
    )
    return replace(build, record=replace(build.record, host_usage=samples))


def test_the_load_is_weighted_by_time_over_the_window(cold: Build) -> None:
    build = with_samples(cold, [None, 50.0, 100.0, 20.0])  # 0-2: 50 %, 2-4: 100 %, 4-6: 20 %
    load = load_over(build, 1.0, 5.0)  # 1 s at 50, 2 s at 100, 1 s at 20
    assert load is not None
    assert load.busy_percent == pytest.approx((50 + 200 + 20) / 4)
    assert load.cpus == 4
    assert not load.cpu_bound
    assert cpu_bound_windows(build) == [(2.0, 4.0)]
    assert load_over(build, 10.0, 12.0) is None  # no sample covers it


def test_other_load_takes_cores_from_the_build(cold: Build) -> None:
    build = with_samples(cold, [None] + [CPU_BOUND_PERCENT + 10] * 6)
    load = load_over(build, 0.0, 12.0)
    assert load is not None and load.cpu_bound
    # 4 cores, all busy, at most 2 RUN steps of this build: the rest was something else.
    assert load.run_steps <= 2.0
    assert load.other_cpus == pytest.approx(4 * 1.0 - load.run_steps)
    assert load.cpus_for_build == max(1, round(4 - load.other_cpus))


def test_a_stream_without_a_record_has_no_samples() -> None:
    build = read_build(SAMPLE / "modern" / "cold.rawjson")
    assert len(host_series(build)) == 0
    assert host_cpus(build) is None
    assert cpu_bound_windows(build) == []
    assert load_over(build, 0.0, 5.0) is None


def test_analyze_json_names_the_cores_and_the_cpu_bound_spans(cold: Build) -> None:
    from profiler.render.json_report import report_dict

    report = report_dict(cold, analyze(cold))
    assert report["host_cpus"] == host_cpus(cold) == 2
    assert report["host_cpu_bound"] == [
        [pytest.approx(a, abs=1e-3), pytest.approx(b, abs=1e-3)] for a, b in cpu_bound_windows(cold)
    ]
    assert report["host_cpu_bound_on_critical_path"]
    assert all(sample["cpus"] is None or sample["cpus"] > 1.5 for sample in report["host_usage"])
    stream = read_build(SAMPLE / "modern" / "cold.rawjson")
    plain = report_dict(stream, analyze(stream))
    assert plain["host_cpus"] is None and plain["host_cpu_bound"] == []
