"""Whole process ``kitprof analyze --json`` of a large stream against a bare parse of it.

Both are whole processes, from ``exec`` to exit, run pair by pair (B A [A'] B A [A'] …
after a warm-up, so that drift in the machine's load hits every case of a pair
alike), timed from outside by the operating system's accounting of each finished
process (``os.wait4``: user + sys CPU, peak resident set) and by the wall clock:

- **B, the bare parse**: a script doing what ``benchmarks/ingest.py`` calls the orjson
  baseline (read the file, split it into objects, ``orjson.loads`` each);
- **A**: ``python -m profiler analyze --json STREAM`` of the tree this script is in
  (``PYTHONPATH`` set to it), its output written to a file;
- **A'** (``--before TREE``): the same command of another tree of kitprof, e.g. a
  worktree of main; ``--check`` then also requires the two outputs to be identical,
  byte for byte.

Reported: the median CPU of each, the median of the per-pair ratios A/B, their range,
wall ratios (noisy on a loaded machine) and peak RSS. ``--parts`` adds, in one process
per tree, the CPU of the analysis, the suggestion pass and the JSON report of the
already-read Build as multiples of the bare parse timed in that same process (median
of 5 rounds, the cycle collector left as the command leaves it).

Every tree is byte-compiled first (``compileall``, as pip does at install): with
``PYTHONDONTWRITEBYTECODE`` set, a module without its ``.pyc`` is compiled at every
start. The default stream is the ingest benchmark's indented 110 MiB one (made in
``benchmarks/out/`` if missing).

    python benchmarks/analyze_process.py                         # ~1 minute
    python benchmarks/analyze_process.py --before ../main --check --parts --pairs 7
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BARE_SCRIPT = """\
import sys
import orjson

data = open(sys.argv[1], "rb").read()
view = memoryview(data)
loads, find, start = orjson.loads, data.find, 0
if data.startswith(b"{\\n"):
    while (end := find(b"\\n}\\n", start)) != -1:
        loads(view[start : end + 2])
        start = end + 3
else:
    while (end := find(b"\\n", start)) != -1:
        if data[start] == 0x7B:
            loads(view[start:end])
        start = end + 1
"""

PARTS_SCRIPT = """\
import gc, json, statistics, sys, time
from pathlib import Path
import orjson
from benchmarks.ingest import orjson_baseline
from profiler.analysis import analyze
from profiler.dockerfile import recorded_dockerfile
from profiler.render.analyze import numbered_report
from profiler.sources import read_build
from profiler.suggest import suggest

path = Path(sys.argv[1])
rows = {"bare": [], "analysis": [], "suggestions": [], "report": []}
for _ in range(int(sys.argv[2])):
    gc.collect()
    began = time.thread_time()
    orjson_baseline(path)
    rows["bare"].append(time.thread_time() - began)
    build = read_build(path)
    began = time.thread_time()
    analysis = analyze(build)
    analysed = time.thread_time()
    found = suggest(build, recorded_dockerfile(build))
    suggested = time.thread_time()
    orjson.dumps(numbered_report(build, analysis, found, 1))
    reported = time.thread_time()
    rows["analysis"].append(analysed - began)
    rows["suggestions"].append(suggested - analysed)
    rows["report"].append(reported - suggested)
    del build, analysis, found
print(json.dumps({name: statistics.median(values) for name, values in rows.items()}))
"""


def run_process(argv: list[str], env: dict[str, str], stdout: Path, cwd: Path) -> dict[str, float]:
    """One whole process: its CPU (user + sys), wall time and peak RSS, from ``wait4``.

    ``cwd`` matters: ``python -m``/``-c`` put the working directory first on the path.
    """
    with stdout.open("wb") as out:
        began = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read() if process.stderr else b""
        if process.stderr:
            process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {stderr.decode()}")
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def environment(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def default_stream() -> Path:
    from benchmarks.ingest import stream_path

    return stream_path(HERE / "out", "indented", 5000, 110, 1)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    trees = {"A": ROOT}
    if args.before is not None:
        trees["A'"] = args.before.resolve()
    for tree in trees.values():
        compileall.compile_dir(tree / "profiler", quiet=1)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        bare = directory / "bare.py"
        bare.write_text(BARE_SCRIPT)
        commands = {
            "B": ([sys.executable, str(bare), str(args.stream)], environment(None), directory)
        }
        for name, tree in trees.items():
            argv = [sys.executable, "-m", "profiler", "analyze", "--json", str(args.stream)]
            commands[name] = (argv, environment(tree), tree)
        outputs = {name: directory / f"{name}.out" for name in commands}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        loads = [os.getloadavg()[0]]
        for pair in range(args.pairs + 1):  # the first is a warm-up
            for name, (argv, env, cwd) in commands.items():
                result = run_process(argv, env, outputs[name], cwd)
                if pair:
                    runs[name].append(result)
            loads.append(os.getloadavg()[0])
        identical = None
        if args.check and "A'" in outputs:
            identical = outputs["A"].read_bytes() == outputs["A'"].read_bytes()
    report: dict[str, Any] = {
        "stream": str(args.stream),
        "stream_mib": args.stream.stat().st_size / 2**20,
        "pairs": args.pairs,
        "load_average": [min(loads), max(loads)],
        "cases": {},
        "identical_output": identical,
    }
    for name, results in runs.items():
        cpu = [r["cpu"] / b["cpu"] for r, b in zip(results, runs["B"], strict=True)]
        wall = [r["wall"] / b["wall"] for r, b in zip(results, runs["B"], strict=True)]
        report["cases"][name] = {
            "cpu_seconds": statistics.median(r["cpu"] for r in results),
            "wall_seconds": statistics.median(r["wall"] for r in results),
            "rss_mib": statistics.median(r["rss_mib"] for r in results),
            "cpu_ratio": statistics.median(cpu),
            "cpu_ratio_range": [min(cpu), max(cpu)],
            "wall_ratio": statistics.median(wall),
        }
    if args.parts:
        report["parts"] = {name: parts(tree, args.stream) for name, tree in trees.items()}
    return report


def parts(tree: Path, stream: Path) -> dict[str, float]:
    """CPU seconds of each part in one process of ``tree``, and each over the bare parse."""
    env = environment(tree)
    # The tree's own profiler, with this tree's benchmarks for the baseline.
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(ROOT)])
    done = subprocess.run(
        [sys.executable, "-c", PARTS_SCRIPT, str(stream), "5"],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds: dict[str, float] = json.loads(done.stdout)
    return {
        **seconds,
        **{f"{k}_ratio": v / seconds["bare"] for k, v in seconds.items() if k != "bare"},
    }


def print_report(report: dict[str, Any]) -> None:
    low, high = report["load_average"]
    print(
        f"{report['stream_mib']:.1f} MiB stream, {report['pairs']} pairs, "
        f"load average {low:.1f}-{high:.1f}"
    )
    print(f"{'':4} {'CPU s':>7} {'CPU / B':>8} {'range':>13} {'wall / B':>9} {'RSS MiB':>8}")
    for name, case in report["cases"].items():
        low_ratio, high_ratio = case["cpu_ratio_range"]
        print(
            f"{name:4} {case['cpu_seconds']:7.2f} {case['cpu_ratio']:7.2f}x "
            f"{low_ratio:6.2f}-{high_ratio:4.2f}x {case['wall_ratio']:8.2f}x "
            f"{case['rss_mib']:8.0f}"
        )
    if report["identical_output"] is not None:
        print("outputs identical:", report["identical_output"])
    for name, seconds in report.get("parts", {}).items():
        print(
            f"{name} in one process (x bare parse {seconds['bare']:.3f} s): "
            f"analysis {seconds['analysis_ratio']:.2f}x, "
            f"suggestions {seconds['suggestions_ratio']:.2f}x, "
            f"report {seconds['report_ratio']:.2f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("stream", nargs="?", type=Path, help="default: the 110 MiB stream")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another kitprof tree, timed as A'")
    parser.add_argument("--check", action="store_true", help="A and A' must print the same")
    parser.add_argument("--parts", action="store_true", help="analysis/suggestions/report")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    args.stream = (default_stream() if args.stream is None else args.stream).resolve()
    report = measure(args)
    print_report(report)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if report["identical_output"] is False:
        print("Error: A and A' printed different reports", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
