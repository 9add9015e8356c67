"""Start-up of ``kitprof`` commands against Python's own (a benchmark, not a test).

Each case runs the whole process, from ``exec`` to exit, alternating with a bare
``python -c pass`` of the same interpreter (A B A B …, so that drift in the machine's
load hits both alike), and reports the median wall time of each and the median of
the per-pair ratios A/B, then the same for CPU time (user + system of the finished
process, as the operating system counts it: the figure to read on a loaded machine):

- ``--version`` and ``--help``;
- ``analyze`` of a small sample (parallel-stages/cold.rawjson, 34 KB), as the
  terminal report and as ``--json``;
- ``runs`` and ``trends`` on a SQLite history of the 15 sample streams, made once in
  a temporary directory;
- ``typer floor``: the framework alone, a typer app of one command with an argument
  and an option that prints one line with rich: what any typer command pays before
  kitprof does anything.

Output goes to /dev/null. The package is byte-compiled first (``compileall``, as pip
does at install): with ``PYTHONDONTWRITEBYTECODE`` set, a module without its ``.pyc``
is compiled at every start. ``--kitprof`` runs another build of kitprof (for a before
and after): ``--kitprof "python -m profiler" --tree DIR`` with ``PYTHONPATH=DIR``;
the commands run in DIR, since ``python -m`` puts the working directory first on the
module path. ``--imports`` prints where each case's import time goes instead, summed
by package (self times of ``python -X importtime``, median of 5 runs, kitprof's own
modules by subpackage).

    python benchmarks/startup.py                    # ~2 minutes, 20 pairs a case
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
GOALS = {
    "--version": 2.0,
    "--help": 2.0,
    "analyze": 4.0,
    "analyze --json": 4.0,
    "runs": 4.0,
    "trends": 0.0,
    "typer floor": 0.0,
}
FLOOR = """
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(name: str, count: int = 1) -> None:
    from rich.console import Console

    Console().print(f"{name} {count}")


app()
"""


def _timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one whole process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return wall, usage.ru_utime + usage.ru_stime


def _history(directory: Path, kitprof: list[str], env: dict[str, str], cwd: Path) -> str:
    url = f"sqlite:///{directory / 'history.sqlite'}"
    streams = sorted(str(path) for path in SAMPLES.glob("*/*.rawjson"))
    subprocess.run(
        [*kitprof, "ingest", "--no-ci", *streams],
        env={**env, "KITPROF_DB": url},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return url


def _import_times(command: Sequence[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Seconds of import time by package (self times, so nothing counts twice)."""
    result = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        cwd=cwd,
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


def _cases(
    kitprof: list[str], env: dict[str, str], history_env: dict[str, str]
) -> list[tuple[str, list[str], dict[str, str]]]:
    return [
        ("--version", [*kitprof, "--version"], env),
        ("--help", [*kitprof, "--help"], env),
        ("analyze", [*kitprof, "analyze", str(SMALL)], env),
        ("analyze --json", [*kitprof, "analyze", "--json", str(SMALL)], env),
        ("runs", [*kitprof, "runs"], history_env),
        ("trends", [*kitprof, "trends"], history_env),
    ]


def imports(kitprof: list[str], tree: Path, rounds: int = 5, top: int = 12) -> None:
    """Where each case's import time goes, by package."""
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KITPROF_DB", None)
    if kitprof[0] != sys.executable:
        kitprof = [sys.executable, "-m", "profiler"]  # -X importtime needs the interpreter
    with tempfile.TemporaryDirectory() as tmp:
        history_env = {**env, "KITPROF_DB": _history(Path(tmp), kitprof, env, tree)}
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"], env),
            *_cases(kitprof, env, history_env),
        ]
        for name, command, case_env in cases:
            runs = [_import_times(command, case_env, tree) for _ in range(rounds)]
            groups = {group for run in runs for group in run}
            median = {g: statistics.median(run.get(g, 0.0) for run in runs) for g in groups}
            total = sum(median.values())
            print(f"{name}: {total * 1000:.0f} ms of imports")
            for group, seconds in sorted(median.items(), key=lambda item: -item[1])[:top]:
                print(f"  {seconds * 1000:7.1f} ms  {group}")


def _summary(a: list[float], b: list[float]) -> dict[str, float]:
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return {
        "kitprof": statistics.median(a),
        "python": statistics.median(b),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def measure(kitprof: list[str], runs: int, tree: Path, warmup: int = 2) -> list[dict[str, object]]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KITPROF_DB", None)
    baseline = [sys.executable, "-c", "pass"]
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        history_env = {**env, "KITPROF_DB": _history(Path(tmp), kitprof, env, tree)}
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR)
        cases = [
            *_cases(kitprof, env, history_env),
            ("typer floor", [sys.executable, str(floor), "x"], env),
        ]
        for name, command, case_env in cases:
            for _ in range(warmup):
                _timed(command, case_env, tree)
                _timed(baseline, env, tree)
            a, b = [], []
            for _ in range(runs):
                a.append(_timed(command, case_env, tree))
                b.append(_timed(baseline, env, tree))
            wall = _summary([x[0] for x in a], [y[0] for y in b])
            cpu = _summary([x[1] for x in a], [y[1] for y in b])
            results.append(
                {
                    "case": name,
                    "kitprof_seconds": wall["kitprof"],
                    "python_seconds": wall["python"],
                    "ratio": wall["ratio"],
                    "ratio_min": wall["ratio_min"],
                    "ratio_max": wall["ratio_max"],
                    "kitprof_cpu_seconds": cpu["kitprof"],
                    "python_cpu_seconds": cpu["python"],
                    "cpu_ratio": cpu["ratio"],
                    "cpu_ratio_min": cpu["ratio_min"],
                    "cpu_ratio_max": cpu["ratio_max"],
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
    tree = args.tree.resolve()
    packages = [str(tree / name) for name in ("profiler", "dashboard")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True)
    beside = Path(sys.executable).parent / "kitprof"
    found = str(beside) if beside.exists() else shutil.which("kitprof")
    kitprof = shlex.split(args.kitprof) if args.kitprof else [found or "kitprof"]
    if kitprof[0] == "python":
        kitprof[0] = sys.executable
    if args.imports:
        imports(kitprof, tree)
        return
    results = measure(kitprof, args.runs, tree)
    print(
        f"{'case':<15} {'kitprof':>8} {'python':>7} {'ratio':>6} {'min-max':>10}"
        f" {'cpu':>7} {'python':>7} {'ratio':>6} {'min-max':>10} {'goal':>5}"
    )
    for row in results:
        wall = f"{row['ratio_min']:.1f}-{row['ratio_max']:.1f}x"
        cpu = f"{row['cpu_ratio_min']:.1f}-{row['cpu_ratio_max']:.1f}x"
        goal = f"{row['goal']:.0f}x" if row["goal"] else "-"
        print(
            f"{row['case']!s:<15} {row['kitprof_seconds']:>7.3f}s {row['python_seconds']:>6.3f}s"
            f" {row['ratio']:>5.1f}x {wall:>10} {row['kitprof_cpu_seconds']:>6.3f}s"
            f" {row['python_cpu_seconds']:>6.3f}s {row['cpu_ratio']:>5.1f}x {cpu:>10} {goal:>5}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
