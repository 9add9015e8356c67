"""Benchmark the build history: 10,000 runs of 200 steps, on SQLite and PostgreSQL.

Fills a database through the real ``Store.ingest`` (parse, analyse, compress, one
transaction per run) with a deterministic series of CI builds of one Dockerfile, then
times what users wait for:

- ``ingest``: storing one more 200-step run into the full history (warm process);
- ``runs``: the newest 20 runs, as ``kitprof runs`` lists them (also by branch/label);
- ``trends``: the last 50 runs with their stages through ``trends()`` (the command's
  default), and all 10,000;
- ``check``: the regression gate for the newest run (baseline of 10);
- the same commands end to end as subprocesses (Python start-up included).

    python benchmarks/history.py                      # SQLite, in a temporary folder
    python benchmarks/history.py --backend postgresql --postgres-url postgresql://…
    python benchmarks/history.py --runs 2000 --keep /tmp/hist   # reuse a filled database

Targets (issue 5): runs and trends under 300 ms, one ingest under 100 ms, on SQLite;
(issue 15) the trend of the whole history, every stage, under 300 ms on SQLite and
500 ms on PostgreSQL (CPU time), beside the path before schema 6 in the same process.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from profiler.analysis import trends as trends_module  # noqa: E402
from profiler.analysis.trends import (  # noqa: E402
    RunMetrics,
    StageMetrics,
    check_regression,
    trends,
)
from profiler.store import Store, run_context  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=UTC)
STAGES = 10
STEPS_PER_STAGE = 20  # 10 × 20 = 200 Dockerfile steps (+ 4 internal vertices)
BRANCHES = ("main", "main", "main", "develop", "feature/cache")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def synthetic_stream(index: int) -> bytes:
    """Run ``index`` of the series: a one-line rawjson stream of 200 steps.

    Ten stages of twenty steps; stage k starts when stage k-1 is half done, so a few
    run in parallel. Durations wobble by ±8 % from run to run; most runs find the
    first steps of most stages cached; every 97th run loses the cache of a stage.
    """
    rng = random.Random(index)
    start = T0 + timedelta(minutes=10 * index)
    events: list[dict[str, Any]] = []

    def vertex(digest: str, name: str, begin: float, end: float, **extra: Any) -> None:
        body = {"digest": digest, "name": name, **extra}
        events.append({"vertexes": [body]})
        events.append({"vertexes": [{**body, "started": _stamp(start + timedelta(seconds=begin))}]})
        events.append(
            {
                "vertexes": [
                    {
                        **body,
                        "started": _stamp(start + timedelta(seconds=begin)),
                        "completed": _stamp(start + timedelta(seconds=end)),
                    }
                ]
            }
        )

    vertex("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.05)
    vertex("sha256:ign", "[internal] load .dockerignore", 0.05, 0.08)
    vertex("sha256:meta", "[internal] load metadata for docker.io/library/debian:12", 0.08, 0.6)
    vertex("sha256:ctx", "[internal] load build context", 0.6, 0.9)
    cold_stage = index % STAGES if index % 97 == 0 else -1
    clock = 0.9
    # Stage k waits for the middle of stage k-1 (as a COPY --from of its output would).
    handoff = "sha256:ctx"
    for stage in range(STAGES):
        name = f"stage-{stage:02d}"
        cached_steps = 0 if stage == cold_stage else rng.choice((0, 4, 8, 12))
        t = clock
        previous = handoff
        for step in range(1, STEPS_PER_STAGE + 1):
            digest = f"sha256:{index}-{stage}-{step}"
            position = f"{step:>2}/{STEPS_PER_STAGE}"
            if step == 1:
                text = "FROM docker.io/library/debian:12"
            elif step % 5 == 0:
                text = f"COPY src/{name}/part{step} /app/{step}"
            else:
                text = f"RUN make -C {name} target-{step}"
            base = 0.4 + 0.15 * ((stage * 7 + step * 3) % 11)
            duration = base * rng.uniform(0.92, 1.08)
            extra: dict[str, Any] = {"inputs": [previous]}
            if 1 < step <= cached_steps:
                extra["cached"] = True
                duration = 0.0
            vertex(digest, f"[{name} {position}] {text}", t, t + duration, **extra)
            previous = digest
            t += duration
            if step == STEPS_PER_STAGE // 2:
                clock = t
                handoff = digest
    end = max(clock, t)
    vertex("sha256:export", "exporting to image", end, end + 1.5)
    return b"".join(orjson.dumps(event) + b"\n" for event in events)


def context_of(index: int) -> Any:
    return run_context(
        {
            "git": {"commit": f"{index:040x}", "branch": BRANCHES[index % len(BRANCHES)]},
            "command": ["docker", "buildx", "build", "--progress=rawjson", "."],
        },
        labels={"arch": "amd64" if index % 4 else "arm64", "runner": f"r{index % 3}"},
    )


def fill(store: Store, runs: int, report: Callable[[str], None]) -> None:
    have = store.count()
    if have >= runs:
        report(f"database already holds {have} runs")
        return
    began = time.perf_counter()
    for index in range(have, runs):
        store.ingest(synthetic_stream(index), context=context_of(index))
        if (index + 1) % 1000 == 0:
            rate = (index + 1 - have) / (time.perf_counter() - began)
            report(f"  {index + 1} runs ({rate:.0f}/s)")
    report(f"filled {runs - have} runs in {time.perf_counter() - began:.0f}s")


def timed(work: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Wall-clock milliseconds (median, p95, max) and the median CPU time of this
    process: on a shared machine the CPU time shows what other load added."""
    work()  # warm caches and connections once, as a process that already ran would
    samples = []
    cpu = []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        work()
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
        "max_ms": round(samples[-1], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def measure(store: Store, db: str, runs: int, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # New streams, made before the clock starts: generating one is not ingesting it.
    # (Indexes after the history's: later moments, plausible dates, never stored yet.)
    first = store.count() + 1000
    fresh = iter([synthetic_stream(first + n) for n in range(repeat + 1)])
    results["ingest"] = timed(lambda: store.ingest(next(fresh), context=context_of(0)), repeat)
    results["runs_newest_20"] = timed(lambda: store.runs(limit=20), repeat)
    results["runs_branch_20"] = timed(lambda: store.runs(branch="develop", limit=20), repeat)
    results["runs_label_20"] = timed(lambda: store.runs(labels={"arch": "arm64"}, limit=20), repeat)
    results["trends_last_50"] = timed(lambda: trends(store.history(limit=50)), repeat)
    results["trends_main_last_50"] = timed(
        lambda: trends(store.history(branch="main", limit=50)), repeat
    )
    results["trends_stage_last_50"] = timed(
        lambda: trends(store.history(limit=50, stage="stage-03"), stage="stage-03"), repeat
    )
    results["trends_last_1000"] = timed(lambda: trends(store.history(limit=1000)), repeat)
    results["trends_all"] = timed(lambda: trends(store.history()), max(3, repeat // 5))
    results["trends_all_one_stage"] = timed(
        lambda: trends(store.history(stage="stage-03"), stage="stage-03"), max(3, repeat // 5)
    )
    # The whole history, split: reading it, and the trend of what was read; and the
    # same before schema 6 (stage rows joined, statistics in pure Python), the baseline.
    whole = store.history()
    results["history_all"] = timed(lambda: store.history(), max(3, repeat // 5))
    results["trend_of_all"] = timed(lambda: trends(whole), max(3, repeat // 5))
    results["history_all_before_v6"] = timed(lambda: old_history(store), max(3, repeat // 5))
    with pure_python_statistics():
        results["trend_of_all_before_v6"] = timed(lambda: trends(whole), max(3, repeat // 5))
        results["trends_all_before_v6"] = timed(
            lambda: trends(old_history(store)), max(3, repeat // 5)
        )
    assert trends(old_history(store)) == trends(whole), "the two paths disagree"

    def check() -> None:
        record = store.resolve("latest", branch="main")
        history = store.history(branch="main", before=record, limit=10)
        check_regression(store.metrics(record.id), history)

    results["check"] = timed(check, repeat)
    results["cli"] = {
        command: _cli_time(db, *arguments)
        for command, arguments in (
            ("kitprof runs", ("runs",)),
            ("kitprof trends", ("trends",)),
            ("kitprof trends --last 0", ("trends", "--last", "0")),
            ("kitprof trends --last 0 --json", ("trends", "--last", "0", "--json")),
            ("kitprof check latest", ("check", "latest")),
        )
    }
    # The start-up every kitprof command pays before doing anything, for reference.
    results["cli"]["kitprof --help"] = _process_time([sys.executable, "-m", "profiler", "--help"])
    results["cli"]["python -c pass"] = _process_time([sys.executable, "-c", "pass"])
    return results


@contextmanager
def pure_python_statistics() -> Iterator[None]:
    """Trends computed as before numpy took the long series (the same results)."""
    saved = trends_module.LONG_SERIES
    trends_module.LONG_SERIES = sys.maxsize
    try:
        yield
    finally:
        trends_module.LONG_SERIES = saved


def _cli_time(db: str, *arguments: str) -> dict[str, float]:
    return _process_time([sys.executable, "-m", "profiler", *arguments, "--db", db])


def _process_time(command: list[str], repeat: int = 5) -> dict[str, float]:
    """Wall time of a whole process, and its CPU time (user + system), which other
    load on a shared machine inflates less."""
    samples = []
    cpu = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, cwd=REPO)
        samples.append((time.perf_counter() - began) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def old_history(
    store: Store,
    *,
    branch: str | None = None,
    labels: dict[str, str] | None = None,
    limit: int | None = None,
    stage: str | None = None,
) -> list[RunMetrics]:
    """``Store.history`` as it was before schema 6 (joining the stages rows): the
    baseline the packed figures are timed against, and the reference
    ``tests/store/test_history.py`` checks them with."""
    from sqlalchemy import select

    from profiler.store.filters import run_filters
    from profiler.store.schema import runs, stages

    conditions = run_filters(branch, labels, None, None)
    conditions.append(runs.c.status.in_(["success"]))
    columns = (
        runs.c.id, runs.c.started_at, runs.c.status, runs.c.wall_seconds,
        runs.c.critical_path_seconds, runs.c.sequential_seconds, runs.c.lower_bound_seconds,
        runs.c.cache_hit_ratio, runs.c.git_branch, runs.c.git_commit,
    )  # fmt: skip
    stage_columns = (
        stages.c.run_id, stages.c.label, stages.c.busy_seconds, stages.c.sequential_seconds,
        stages.c.critical_path_seconds, stages.c.steps, stages.c.cached,
    )  # fmt: skip
    if limit is None:
        run_query = select(*columns).where(*conditions)
        stage_query = select(*stage_columns).join(runs, runs.c.id == stages.c.run_id)
        stage_query = stage_query.where(*conditions)
    else:
        chosen = (
            select(runs.c.id)
            .where(*conditions)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
        )
        run_query = select(*columns).where(runs.c.id.in_(chosen))
        stage_query = select(*stage_columns).where(stages.c.run_id.in_(chosen))
    if stage is not None:
        stage_query = stage_query.where(stages.c.label == stage)
    with store.connection() as connection:
        run_rows = connection.execute(run_query.order_by(runs.c.started_at, runs.c.id)).all()
        stage_rows = connection.execute(stage_query.order_by(stages.c.position)).all()
    by_run: dict[int, dict[str, StageMetrics]] = {}
    for run_id, label, busy, sequential, critical, count, cached in stage_rows:
        by_run.setdefault(run_id, {})[label] = StageMetrics(
            busy, sequential, critical, count, cached
        )
    return [
        RunMetrics(
            run_id=row[0],
            started_at=row[1].replace(tzinfo=UTC),
            status=row[2],
            wall_seconds=row[3],
            critical_path_seconds=row[4],
            sequential_seconds=row[5],
            lower_bound_seconds=row[6],
            cache_hit_ratio=row[7],
            git_branch=row[8],
            git_commit=row[9],
            stages=by_run.get(row[0], {}),
        )
        for row in run_rows
    ]


def copy_history(source: Path, db: str, report: Callable[[str], None]) -> None:
    """Copy every row of a SQLite history into an empty database, at the SQLite file's
    schema version (a later ``Store`` open migrates the copy as it would the original)."""
    from sqlalchemy import create_engine, inspect, select, text

    from profiler.store.engine import database_url, make_engine
    from profiler.store.migrations import current_version, upgrade
    from profiler.store.schema import metadata

    reader = create_engine(f"sqlite:///{source}")
    with reader.connect() as connection:
        version = current_version(connection)
    writer = make_engine(database_url(db))
    upgrade(writer, target=version)
    with reader.connect() as src, writer.begin() as dst:
        if dst.execute(text("SELECT count(*) FROM runs")).scalar():
            report("the database already holds runs: not copied")
            return
        for table in metadata.sorted_tables:
            if table.name == "kitprof_schema" or not inspect(src).has_table(table.name):
                continue
            names = [column["name"] for column in inspect(src).get_columns(table.name)]
            began, count = time.perf_counter(), 0
            # Through the table's types: SQLite's 0/1 and date strings become bools and
            # datetimes, as the other backend wants them.
            rows = src.execute(select(*(table.c[name] for name in names)))
            while chunk := rows.fetchmany(20_000):
                dst.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in chunk])
                count += len(chunk)
            report(f"  {table.name}: {count} rows in {time.perf_counter() - began:.0f}s")
        if dst.dialect.name == "postgresql":
            dst.execute(text("SELECT setval('runs_id_seq', (SELECT max(id) FROM runs))"))
    reader.dispose()
    writer.dispose()


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.backend == "sqlite":
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            yield f"sqlite:///{Path(args.keep) / 'history.db'}"
            return
        with tempfile.TemporaryDirectory(prefix="kitprof-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'history.db'}"
        return
    if not args.postgres_url:
        raise SystemExit("--postgres-url is needed (e.g. from scripts/setup-postgres)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = args.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = args.keep or f"kitprof_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not args.keep:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", help="a role that may create databases")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--keep", help="SQLite folder / PostgreSQL database name to fill once and reuse"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--copy-from",
        type=Path,
        metavar="SQLITE_FILE",
        help="fill the (empty) database with the rows of a filled SQLite history instead "
        "of ingesting each run again: the same rows, in minutes instead of an hour",
    )
    args = parser.parse_args(argv)

    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with database(args) as db:
        if args.copy_from:
            copy_history(args.copy_from, db, report)
        began = time.perf_counter()
        store = Store(db)  # brings the schema to the latest version (timed: migrations)
        opened_ms = round((time.perf_counter() - began) * 1000, 1)
        with store:
            figures = run_benchmark(args, db, store, opened_ms, report)
    text = orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


def run_benchmark(
    args: argparse.Namespace, db: str, store: Store, opened_ms: float, report: Callable[[str], None]
) -> dict[str, Any]:
    report(f"{args.backend}: {store.url} (opened in {opened_ms} ms)")
    fill(store, args.runs, report)
    return {
        "backend": args.backend,
        "open_ms_with_migrations": opened_ms,
        "runs": store.count(),
        "steps_per_run": STAGES * STEPS_PER_STAGE,
        "results": measure(store, db, args.runs, args.repeat),
    }


if __name__ == "__main__":
    sys.exit(main())
