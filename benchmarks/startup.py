"""Start-up of ``kitprof`` commands against Python's own (a benchmark, not a test).

Each case runs the whole process, from ``exec`` to exit, alternating with a bare
``python -c pass`` of the same interpreter (A B A B …, so that drift in the machine's
load hits both alike), and reports the median wall time of each and the median of
the per-pair ratios A/B:

- ``--version`` and ``--help``;
- ``analyze`` of a small sample (parallel-stages/cold.rawjson, 34 KB);
- ``runs`` on a SQLite history of the 15 sample streams, made once in a temporary
  directory;
- ``typer floor``: the framework alone, a typer app of one command with an argument
  and an option that prints one line with rich: what any typer command pays before
  kitprof does anything.

Output goes to /dev/null. The package is byte-compiled first (``compileall``, as pip
does at install): with ``PYTHONDONTWRITEBYTECODE`` set, a module without its ``.pyc``
is compiled at every start. ``--kitprof`` runs another build of kitprof (for a before
and after): ``--kitprof "python -m profiler" --tree DIR`` with ``PYTHONPATH=DIR``.
``--imports`` prints where each case's import time goes instead, summed by package
(self times of ``python -X importtime``, median of 5 runs, kitprof's own modules by
subpackage).

    python benchmarks/startup.py                    # ~1 minute, 20 pairs a case
    python benchmarks/startup.py --runs 40 --json startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_builds"
SMALL = SAMPLES / "parallel-stages" / "cold.rawjson"
GOALS = {"--version": 2.0, "--help": 2.0, "analyze": 4.0, "runs": 4.0, "typer floor": 0.0}
FLOOR = """
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(name: str, count: int = 1) -> None:
    from rich.console import Console

    Console().print(f"{name} {count}")


app()
"""


def _wall(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def _history(directory: Path, kitprof: list[str], env: dict[str, str]) -> str:
    url = f"sqlite:///{directory / 'history.sqlite'}"
    streams = sorted(str(path) for path in SAMPLES.glob("*/*.rawjson"))
    subprocess.run(
        [*kitprof, "ingest", "--no-ci", *streams],
        env={**env, "KITPROF_DB": url},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return url


def _import_times(command: Sequence[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds of import time by package (self times, so nothing counts twice)."""
    result = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    totals: dict[str, float] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        parts = name.split(".")
        group = ".".join(parts[:2]) if parts[0] == "profiler" else parts[0]
        totals[group] = totals.get(group, 0.0) + int(self_us) / 1e6
    return totals


def imports(kitprof: list[str], rounds: int = 5, top: int = 12) -> None:
    """Where each case's import time goes, by package."""
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KITPROF_DB", None)
    if kitprof[0] != sys.executable:
        kitprof = [sys.executable, "-m", "profiler"]  # -X importtime needs the interpreter
    with tempfile.TemporaryDirectory() as tmp:
        history_env = {**env, "KITPROF_DB": _history(Path(tmp), kitprof, env)}
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"], env),
            ("--version", [*kitprof, "--version"], env),
            ("--help", [*kitprof, "--help"], env),
            ("analyze", [*kitprof, "analyze", str(SMALL)], env),
            ("runs", [*kitprof, "runs"], history_env),
        ]
        for name, command, case_env in cases:
            runs = [_import_times(command, case_env) for _ in range(rounds)]
            groups = {group for run in runs for group in run}
            median = {g: statistics.median(run.get(g, 0.0) for run in runs) for g in groups}
            total = sum(median.values())
            print(f"{name}: {total * 1000:.0f} ms of imports")
            for group, seconds in sorted(median.items(), key=lambda item: -item[1])[:top]:
                print(f"  {seconds * 1000:7.1f} ms  {group}")


def measure(kitprof: list[str], runs: int, warmup: int = 2) -> list[dict[str, object]]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KITPROF_DB", None)
    baseline = [sys.executable, "-c", "pass"]
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        history_env = {**env, "KITPROF_DB": _history(Path(tmp), kitprof, env)}
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR)
        cases = [
            ("--version", [*kitprof, "--version"], env),
            ("--help", [*kitprof, "--help"], env),
            ("analyze", [*kitprof, "analyze", str(SMALL)], env),
            ("runs", [*kitprof, "runs"], history_env),
            ("typer floor", [sys.executable, str(floor), "x"], env),
        ]
        for name, command, case_env in cases:
            for _ in range(warmup):
                _wall(command, case_env)
                _wall(baseline, env)
            a, b = [], []
            for _ in range(runs):
                a.append(_wall(command, case_env))
                b.append(_wall(baseline, env))
            ratios = [x / y for x, y in zip(a, b, strict=True)]
            results.append(
                {
                    "case": name,
                    "kitprof_seconds": statistics.median(a),
                    "python_seconds": statistics.median(b),
                    "ratio": statistics.median(ratios),
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "goal": GOALS[name],
                }
            )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="pairs a case (default 20)")
    parser.add_argument(
        "--kitprof",
        default=None,
        help="the command to time (default: the kitprof beside this Python)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--imports", action="store_true", help="where import time goes")
    parser.add_argument(
        "--tree", type=Path, default=ROOT, help="the source tree to byte-compile (default: this)"
    )
    args = parser.parse_args(argv)
    packages = [str(args.tree / name) for name in ("profiler", "dashboard")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True)
    beside = Path(sys.executable).parent / "kitprof"
    found = str(beside) if beside.exists() else shutil.which("kitprof")
    kitprof = shlex.split(args.kitprof) if args.kitprof else [found or "kitprof"]
    if kitprof[0] == "python":
        kitprof[0] = sys.executable
    if args.imports:
        imports(kitprof)
        return
    results = measure(kitprof, args.runs)
    print(f"{'case':<12} {'kitprof':>9} {'python':>9} {'ratio':>7} {'min-max':>11} {'goal':>5}")
    for row in results:
        spread = f"{row['ratio_min']:.1f}-{row['ratio_max']:.1f}x"
        goal = f"{row['goal']:.0f}x" if row["goal"] else "-"
        print(
            f"{row['case']!s:<12} {row['kitprof_seconds']:>8.3f}s {row['python_seconds']:>8.3f}s"
            f" {row['ratio']:>6.1f}x {spread:>11} {goal:>5}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
