"""Suggestions that add parallelism, priced again where the host was CPU-bound.

On ``sample_builds/cpu-bound`` (a real build on a 2-core machine: app's two
installs, one after the other, on the critical path while heavy ran beside them,
every core busy), splitting app assumes idle cores that were not there. The
``split`` record is the same build after that very suggestion
(scripts/record-cpu-bound builds its rewrite): the real saving. The price made with
the cores the host had free must be lower than the idle-core one, and closer to it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from profiler.analysis import analyze
from profiler.analysis.host_usage import load_over_steps
from profiler.dockerfile import recorded_dockerfile
from profiler.model import Build
from profiler.render.suggestions import report_dict, saving_with_free_cores
from profiler.sources import read_build
from profiler.suggest import Suggestion, SuggestOptions, suggest
from tests.analysis.test_host_usage import with_samples

SAMPLE = Path(__file__).resolve().parents[2] / "sample_builds" / "cpu-bound"


@pytest.fixture(scope="module")
def cold() -> Build:
    return read_build(SAMPLE / "modern" / "cold.dockerbuild")


def split_of(build: Build, options: SuggestOptions | None = None) -> Suggestion:
    report = suggest(build, recorded_dockerfile(build), options=options)
    found = [s for s in report if s.kind == "split-stage"]
    assert len(found) == 1, [s.kind for s in report]
    return found[0]


def test_the_split_is_priced_with_the_cores_the_host_had(cold: Build) -> None:
    split = split_of(cold)
    assert split.host is not None
    installs = [s for s in cold if s.digest in split.digests]
    load = load_over_steps(cold, installs)
    assert load is not None and load.cpu_bound
    assert split.host.cores == load.cpus_for_build
    assert split.host.host_cpus == load.cpus == 2
    assert split.host.busy_percent >= 90
    assert split.host.saving_seconds < split.estimated_saving_seconds
    assert split.host.sentence in split.assumptions
    # The plain "do not contend" assumption is replaced by what the record says.
    assert not any("do not contend" in a for a in split.assumptions)


def test_the_priced_saving_is_closer_to_the_real_rebuild(cold: Build) -> None:
    after = read_build(SAMPLE / "modern" / "split.dockerbuild")
    # The rebuild ran the suggested Dockerfile: app's installs in two stages.
    assert any("app-toolchain" in s.name for s in after)
    real = analyze(cold).wall_seconds - analyze(after).wall_seconds
    split = split_of(cold)
    assert split.host is not None
    idle, priced = split.estimated_saving_seconds, split.host.saving_seconds
    assert abs(priced - real) < abs(idle - real), (idle, priced, real)


def test_given_cores_are_used_as_given(cold: Build) -> None:
    split = split_of(cold, SuggestOptions(cores=2))
    assert split.host is None
    assert any("share 2 cores" in a for a in split.assumptions)


def test_an_idle_host_keeps_the_idle_core_price(cold: Build) -> None:
    quiet = with_samples(cold, [None] + [30.0] * 6)
    split = split_of(quiet)
    assert split.host is None
    assert any("do not contend" in a for a in split.assumptions)
    assert split.estimated_saving_seconds == split_of(cold).estimated_saving_seconds


def test_both_figures_are_shown_and_in_json(cold: Build) -> None:
    report = suggest(cold, recorded_dockerfile(cold))
    split = next(s for s in report if s.kind == "split-stage")
    assert split.host is not None
    line = saving_with_free_cores(split)
    assert line is not None and "with idle cores" in line and "this host had free" in line
    entry = next(e for e in report_dict(report)["suggestions"] if e["kind"] == "split-stage")
    assert entry["host_cpu"]["saving_seconds"] == pytest.approx(split.host.saving_seconds)
    assert entry["host_cpu"]["cores"] == split.host.cores
    assert entry["estimated_saving_seconds"] > entry["host_cpu"]["saving_seconds"]


def test_a_stream_without_samples_has_no_host_price() -> None:
    build = read_build(SAMPLE / "modern" / "cold.rawjson")
    report = suggest(build)
    assert all(s.host is None for s in report)
    assert all(e["host_cpu"] is None for e in report_dict(report)["suggestions"])


def test_a_record_without_samples_has_no_host_price(cold: Build) -> None:
    assert cold.record is not None
    bare = replace(cold, record=replace(cold.record, host_usage=()))
    assert split_of(bare).host is None
