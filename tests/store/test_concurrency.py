"""Eight ``kitprof ingest`` processes writing into one new database at the same time.

Each process ingests runs of its own and one stream that all of them ingest: every
run must be there once, the shared one exactly once, and no process may fail or print
a locking error. The database starts empty, so the processes also race to create the
schema.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from profiler.store import Store
from profiler.store.schema import run_streams, runs, stages, steps
from tests.store.builds import app_build

PROCESSES = 8
RUNS_PER_PROCESS = 5


def test_eight_processes_ingest_at_once(db_url: str, tmp_path: Path) -> None:
    # GIVEN streams for each process, and one stream every process has
    shared = tmp_path / "shared.rawjson"
    shared.write_bytes(app_build(at=-3600.0).one_line())
    batches: list[list[Path]] = []
    for process in range(PROCESSES):
        batch = []
        for index in range(RUNS_PER_PROCESS):
            path = tmp_path / f"p{process}-{index}.rawjson"
            at = (process * RUNS_PER_PROCESS + index) * 60.0
            path.write_bytes(app_build(at=at, slow=2.0 + index * 0.25).one_line())
            batch.append(path)
        batch.insert(RUNS_PER_PROCESS // 2, shared)
        batches.append(batch)
    env = {key: value for key, value in os.environ.items() if key != "KITPROF_DB"}
    # WHEN eight processes ingest them into the same new database at once
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "profiler", "ingest", "--db", db_url, "--json", "--no-ci"]
            + [str(path) for path in batch],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for batch in batches
    ]
    outputs = [process.communicate(timeout=120) for process in running]
    # THEN every process succeeded without a word on stderr
    for process, (_out, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        assert err.decode() == ""
    reports = [json.loads(out) for out, _ in outputs]
    assert all(report["errors"] == [] for report in reports)
    # … each unique stream became one run and the shared stream exactly one
    created_shared = [
        entry
        for report in reports
        for entry in report["ingested"]
        if entry["file"] == str(shared) and entry["created"]
    ]
    assert len(created_shared) == 1
    shared_ids = {
        entry["run_id"]
        for report in reports
        for entry in report["ingested"]
        if entry["file"] == str(shared)
    }
    assert len(shared_ids) == 1
    expected = PROCESSES * RUNS_PER_PROCESS + 1
    with Store(db_url) as store, store.connection() as connection:
        count = connection.execute(select(func.count()).select_from(runs)).scalar_one()
        distinct = connection.execute(
            select(func.count(func.distinct(runs.c.stream_sha256)))
        ).scalar_one()
        streams = connection.execute(select(func.count()).select_from(run_streams)).scalar_one()
        step_rows = connection.execute(select(func.count()).select_from(steps)).scalar_one()
        stage_rows = connection.execute(select(func.count()).select_from(stages)).scalar_one()
    assert count == distinct == streams == expected
    # … and every run is whole: 7 steps and 6 stages each
    assert (step_rows, stage_rows) == (7 * expected, 6 * expected)


def _ingest_worker(db_url: str, streams: list[bytes], barrier: Any, results: Any) -> None:
    try:
        barrier.wait(timeout=60)
        # Opening after the barrier: all eight also race to create the schema.
        with Store(db_url) as store:
            outcome = [(r.run_id, r.created, r.sha256) for r in map(store.ingest, streams)]
        results.put(("ok", outcome))
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))


def test_eight_processes_released_together_lose_and_duplicate_nothing(db_url: str) -> None:
    # GIVEN eight processes, released at the same instant, each with 12 runs of its
    # own and the same shared stream in the middle
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    shared = app_build(at=-3600.0).one_line()
    per_process = 12
    workers = []
    for process in range(PROCESSES):
        streams = [
            app_build(at=(process * per_process + index) * 60.0, slow=1.5 + index / 8).one_line()
            for index in range(per_process)
        ]
        streams.insert(per_process // 2, shared)
        workers.append(
            context.Process(target=_ingest_worker, args=(db_url, streams, barrier, results))
        )
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    # THEN none failed, nothing is lost and nothing duplicated
    assert [kind for kind, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    entries = [entry for _, outcome in outcomes for entry in outcome]
    shared_entries = [entry for entry in entries if entry[2] == entries_sha(shared)]
    assert len(shared_entries) == PROCESSES
    assert len({run_id for run_id, _, _ in shared_entries}) == 1
    assert sum(created for _, created, _ in shared_entries) == 1
    with Store(db_url) as store:
        assert store.count() == PROCESSES * per_process + 1
        assert len({r.stream_sha256 for r in store.runs(limit=None)}) == store.count()


def entries_sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
