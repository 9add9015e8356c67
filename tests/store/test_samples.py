"""Every recorded sample build goes into the history and comes back intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
STREAMS = sorted(SAMPLES.glob("*/*.rawjson")) + sorted(SAMPLES.glob("*/*.rawjson.gz"))
STATUSES = {"success", "failed", "cancelled", "incomplete"}


def expected_status(path: Path) -> str | None:
    """The status the sample's expected.json implies (None if it says nothing)."""
    expected = path.parent / "expected.json"
    if not expected.is_file():
        return None
    facts = json.loads(expected.read_text()).get("streams", {}).get(path.name)
    if facts is None or "exit_code" not in facts:
        return None
    if facts["exit_code"] == 0:
        return "success"
    if facts.get("failed_step_count", 0) > 0:
        return "failed"
    # Exit 137: the whole process group was killed mid-build, steps left running.
    return "incomplete" if facts["exit_code"] == 137 else "cancelled"


def expected_targets(path: Path) -> list[str]:
    """The bake targets the sample's expected.json names, in order of appearance."""
    expected = path.parent / "expected.json"
    if not expected.is_file():
        return []
    facts = json.loads(expected.read_text()).get("streams", {}).get(path.name, {})
    return list(facts.get("targets", []))


@pytest.mark.skipif(not STREAMS, reason="no recorded sample streams yet")
def test_every_sample_is_stored_whole(db_url: str) -> None:
    with Store(db_url) as store:
        for path in STREAMS:
            results = store.ingest_builds(path)
            # A bake session of several targets is a run per target, named after it.
            targets = expected_targets(path)
            assert [r.build_name for r in results] == (targets if len(targets) > 1 else [None])
            for result in results:
                record = store.run(result.run_id)
                assert record.status in STATUSES
                expected = expected_status(path)
                if expected is not None:
                    assert record.status == expected, path
                raw = store.stream(result.run_id)
                assert store.build(result.run_id).steps, path
                if path.suffix != ".gz":
                    assert raw == path.read_bytes()
        before = [
            (r.id, r.status, r.wall_seconds, r.cache_hit_ratio) for r in store.runs(limit=None)
        ]
        assert store.reanalyze().failures == ()
        after = [
            (r.id, r.status, r.wall_seconds, r.cache_hit_ratio) for r in store.runs(limit=None)
        ]
        assert after == before
