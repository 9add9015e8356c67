"""Docker's build records in the history, on both backends: a run read back from the
store keeps what its record said (LLB edges, layer sizes, the failure's location),
whether the record was the stored stream or a file kept beside a rawjson stream.

Nothing of it is a column: the store re-reads the stored bytes (``Store.build``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from profiler.analysis import analyze
from profiler.analysis.compare import compare_builds
from profiler.cli import app
from profiler.names import StepKind
from profiler.sources import read_build
from profiler.store import Store
from profiler.store.context import RunContext
from profiler.store.files import RECORD

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
COLD = SAMPLES / "parallel-stages" / "modern" / "cold"
SECRET = SAMPLES / "secret-mount" / "modern" / "secret"
FAILED = SAMPLES / "failing-test" / "modern" / "failed"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


def test_a_stored_record_keeps_its_sizes_edges_and_failure_location(store: Store) -> None:
    cold = store.ingest(COLD.with_suffix(".dockerbuild")).run_id
    failed = store.ingest(FAILED.with_suffix(".dockerbuild")).run_id
    read_back = store.build(cold)
    direct = read_build(COLD.with_suffix(".dockerbuild"))
    assert read_back.record is not None and direct.record is not None
    assert read_back.record.layer_sizes == direct.record.layer_sizes
    sizes = analyze(read_back).sizes
    assert sizes is not None and sizes.image == 1083591 + 188 + 193 + 158 + 29
    assert [s.inputs for s in read_back] == [s.inputs for s in direct]
    failure = analyze(store.build(failed)).failure
    assert failure is not None and failure.location is not None
    assert failure.location.label() == "Dockerfile:13"


def test_a_bake_record_keeps_each_targets_sizes(store: Store) -> None:
    results = store.ingest_builds(SAMPLES / "bake-two-targets" / "modern" / "bake.dockerbuild")
    for result in results:
        sizes = analyze(store.build(result.run_id)).sizes
        assert sizes is not None and sizes.image == 1083920
        assert sizes.stage(result.build_name, "base") == 1083591 + 92 + 150 + 29


def test_a_record_kept_beside_a_rawjson_stream_is_joined_to_it(store: Store) -> None:
    record = COLD.with_suffix(".dockerbuild").read_bytes()
    run = store.ingest(COLD.with_suffix(".rawjson"), context=RunContext(files={RECORD: record}))
    build = store.build(run.run_id)
    assert build.source_format == "rawjson"
    assert build.record is not None and build.record.ref == "9o6vwka4b83xk1wl64mw6b1an"
    (exporter,) = [s for s in build if s.kind is StepKind.EXPORTER]
    assert [build.step(d).name[:11] for d in exporter.inputs] == ["[final 5/5]"]
    sizes = analyze(build).sizes
    assert sizes is not None and sizes.image == 1084159


def test_a_kept_record_of_another_build_is_not_joined(store: Store) -> None:
    other = SECRET.with_suffix(".dockerbuild").read_bytes()
    run = store.ingest(COLD.with_suffix(".rawjson"), context=RunContext(files={RECORD: other}))
    build = store.build(run.run_id)
    assert build.record is None
    assert any("of another build" in note for note in build.notes)
    broken = store.ingest(
        SECRET.with_suffix(".rawjson"), context=RunContext(files={RECORD: b"not a record"})
    )
    assert any("was not read" in note for note in store.build(broken.run_id).notes)


def test_compare_of_two_stored_records_reports_size_changes(store: Store, db_url: str) -> None:
    a = store.ingest(COLD.with_suffix(".dockerbuild")).run_id
    b = store.ingest(SECRET.with_suffix(".dockerbuild")).run_id
    comparison = compare_builds(store.build(a), store.build(b))
    assert comparison.sizes is not None
    # parallel-stages' image: base + 188 + 193 + 158 + 29; secret-mount's: base + 162 + 29
    assert comparison.sizes.image_delta == (162 + 29) - (188 + 193 + 158 + 29)
    result = CliRunner().invoke(app, ["compare", str(a), str(b), "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    sizes = json.loads(result.stdout)["sizes"]
    assert sizes["image"] == {"a": 1084159, "b": 1083782, "delta": -377}
    # the FROM is the same image in both (matched by image): it did not change size
    assert not any("FROM" in change["key"] for change in sizes["steps"])
    assert {"key": "[stage-1] COPY --from=deps /app/ /app/", "stage": "stage-1", "a": None,
            "b": 162, "delta": 162} in sizes["steps"]  # fmt: skip
    assert {c["stage"]: c["delta"] for c in sizes["stages"]} == {
        "base": -1083591, "deps": 1083591, "final": -568, "stage-1": 191,
    }  # fmt: skip
