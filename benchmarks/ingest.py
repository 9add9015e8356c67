"""Ingest benchmark: kitprof's read + full analysis against a bare orjson parse.

Generates (or reuses, cached in ``benchmarks/out/``) a large realistic rawjson stream
in both layouts, then measures in this process, best and median of ``--runs`` (the cases
interleaved round by round, garbage collected before each):

- **orjson baseline**: the bare cost of parsing the same bytes with orjson, split into
  objects the cheapest obvious way. ``data = path.read_bytes()``, then

  - indented layout (buildx ≤ 0.14): ``end = data.find(b"\\n}\\n", start)`` and
    ``orjson.loads(view[start:end + 2])`` for each object (``view`` a memoryview of
    ``data``: no copy), ``start = end + 3``;
  - one-line layout (buildx ≥ 0.15): ``end = data.find(b"\\n", start)`` and
    ``orjson.loads(view[start:end])`` for each line that starts with ``{``.

  Every decoded object is dropped at once; the trailing text lines are skipped.
- **kitprof**: ``analyze(read_build(path))``, what ``kitprof analyze`` does before it
  renders, also split into its two halves.

Also reported, for scale: ``orjson.loads`` alone on objects already split in memory.

Memory is measured in a fresh subprocess per case, so that one case's heap does not
hide the next one's: the peak resident set minus the resident set after imports
(``VmHWM`` and ``VmRSS`` from /proc/self/status), and separately (slower, in another
subprocess) the peak of Python allocations seen by ``tracemalloc``. Both are given
as multiples of the input size.

    python benchmarks/ingest.py               # table
    python benchmarks/ingest.py --json        # one JSON object
    python benchmarks/ingest.py --megabytes 20 --runs 3 --layout one-line
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks.generate_stream import generate  # noqa: E402
from profiler.analysis import analyze  # noqa: E402
from profiler.sources import read_build  # noqa: E402

LAYOUTS = ("indented", "one-line")
MIB = 1024 * 1024
GOAL_TIME_RATIO = 1.5
GOAL_MEMORY_RATIO = 3.0


# -- the workloads -----------------------------------------------------------------------


def orjson_baseline(path: Path) -> int:
    """Bare orjson parse of the file (see the module docstring); returns the object count."""
    data = path.read_bytes()
    view = memoryview(data)
    loads = orjson.loads
    find = data.find
    count = 0
    start = 0
    if data.startswith(b"{\n"):
        while (end := find(b"\n}\n", start)) != -1:
            loads(view[start : end + 2])
            count += 1
            start = end + 3
    else:
        while (end := find(b"\n", start)) != -1:
            if data[start] == 0x7B:  # "{"
                loads(view[start:end])
                count += 1
            start = end + 1
    return count


def split_objects(path: Path) -> list[bytes]:
    """The objects of the stream as separate bytes, for timing ``orjson.loads`` alone."""
    data = path.read_bytes()
    if data.startswith(b"{\n"):
        parts = data.split(b"\n}\n")
        return [part + b"\n}" for part in parts[:-1]]
    return [line for line in data.split(b"\n") if line.startswith(b"{")]


def kitprof_ingest(path: Path) -> Any:
    build = read_build(path)
    return build, analyze(build)


# -- timing ------------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run (CPU: this thread's own, which waiting for a
    core on a busy machine does not inflate)."""
    gc.collect()
    began, began_cpu = time.perf_counter(), time.thread_time()
    result = work()
    elapsed, cpu = time.perf_counter() - began, time.thread_time() - began_cpu
    del result  # freeing the result is not part of the time
    return elapsed, cpu


def time_stream(path: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every run's wall-clock and CPU time for each case, the cases interleaved round
    by round.

    Interleaving keeps the ratios fair on a shared machine whose load drifts: a busy
    minute slows every case of a round, not all the runs of one case.
    """
    objects = split_objects(path)
    build = read_build(path)

    def loads_only() -> None:
        loads = orjson.loads
        for item in objects:
            loads(item)

    cases: dict[str, Callable[[], object]] = {
        "orjson_loads_only": loads_only,
        "orjson_baseline": lambda: orjson_baseline(path),
        "kitprof_read": lambda: read_build(path),
        "kitprof_analyze": lambda: analyze(build),
        "kitprof_read_analyze": lambda: kitprof_ingest(path),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, work in cases.items():
            wall, used = timed(work)
            times[name].append(wall)
            cpu[name].append(used)
    return times, cpu


# -- memory, in subprocesses ---------------------------------------------------------------


def _status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in bytes.

    VmHWM, the peak resident set, belongs to the process image and restarts at exec;
    ``getrusage().ru_maxrss`` would not do: Linux carries it over from the parent
    across fork and exec, so a child would report the benchmark's own peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(case: str, mode: str, path: Path) -> dict[str, int]:
    """Run one case once in this (fresh) process and report its memory."""
    work: Callable[[], object] = {
        "orjson": lambda: orjson_baseline(path),
        "kitprof": lambda: kitprof_ingest(path),
    }[case]
    gc.collect()
    if mode == "tracemalloc":
        tracemalloc.start()
        result = work()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"tracemalloc_peak": peak, "tracemalloc_retained": current}
    before = _status_bytes("VmRSS")
    result = work()
    retained = _status_bytes("VmRSS") - before
    peak = _status_bytes("VmHWM")
    del result
    return {"rss_before": before, "rss_peak_delta": peak - before, "rss_retained": retained}


def measure_memory(path: Path, case: str, mode: str) -> dict[str, int]:
    output = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", case, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, int] = json.loads(output)
    return result


# -- streams and machine ------------------------------------------------------------------


def stream_path(out_dir: Path, layout: str, steps: int, megabytes: float, seed: int) -> Path:
    """The cached stream for these parameters; regenerated when the generator changes."""
    source = (HERE / "generate_stream.py").read_bytes()
    key = hashlib.sha256(source + repr((layout, steps, megabytes, seed)).encode()).hexdigest()
    path = out_dir / f"stream-{layout}-{steps}steps-{megabytes:g}MiB-{key[:10]}.rawjson"
    if not path.exists():
        began = time.perf_counter()
        generate(path, steps=steps, megabytes=megabytes, one_line=layout == "one-line", seed=seed)
        print(
            f"generated {path.name} ({time.perf_counter() - began:.1f}s)",
            file=sys.stderr,
        )
    return path


def machine() -> dict[str, Any]:
    model = "unknown"
    memory = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_bytes": memory,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "orjson": orjson.__version__,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


# -- the report -----------------------------------------------------------------------------


def _round_ratios(times: dict[str, list[float]]) -> list[float]:
    kitprof, baseline = times["kitprof_read_analyze"], times["orjson_baseline"]
    return [k / b for k, b in zip(kitprof, baseline, strict=True)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    layouts = LAYOUTS if args.layout == "both" else (args.layout,)
    report: dict[str, Any] = {
        "machine": machine(),
        "runs": args.runs,
        "goals": {"time_ratio": GOAL_TIME_RATIO, "memory_ratio": GOAL_MEMORY_RATIO},
        "streams": [],
    }
    for layout in layouts:
        path = stream_path(args.out_dir, layout, args.steps, args.megabytes, args.seed)
        size = path.stat().st_size
        build = read_build(path)
        shape = {
            "steps": sum(1 for step in build if step.kind.value == "step"),
            "vertices": len(build),
            "log_chunks": sum(len(step.logs) for step in build),
        }
        del build
        print(f"timing {layout} ({size / MIB:.0f} MiB)...", file=sys.stderr)
        times, cpu = time_stream(path, args.runs)
        seconds = {name: min(values) for name, values in times.items()}
        medians = {name: statistics.median(values) for name, values in times.items()}
        cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
        # Ratio of the two cases within each round (run back to back), then the median.
        round_ratios = _round_ratios(times)
        cpu_ratios = _round_ratios(cpu)
        entry: dict[str, Any] = {
            "layout": layout,
            "file": str(path),
            "bytes": size,
            **shape,
            "seconds": seconds,
            "median_seconds": medians,
            "time_ratio_median": statistics.median(round_ratios),
            "time_ratio_rounds": round_ratios,
            "cpu_median_seconds": cpu_medians,
            "cpu_ratio_median": statistics.median(cpu_ratios),
            "cpu_ratio_rounds": cpu_ratios,
            "mb_per_second": {name: size / MIB / value for name, value in seconds.items()},
            "time_ratio": seconds["kitprof_read_analyze"] / seconds["orjson_baseline"],
            "time_ratio_to_loads_only": (
                seconds["kitprof_read_analyze"] / seconds["orjson_loads_only"]
            ),
        }
        if not args.skip_memory:
            print(f"memory {layout}...", file=sys.stderr)
            memory: dict[str, Any] = {}
            for case in ("orjson", "kitprof"):
                figures = measure_memory(path, case, "rss")
                figures.update(measure_memory(path, case, "tracemalloc"))
                memory[case] = {
                    **figures,
                    "rss_peak_ratio": figures["rss_peak_delta"] / size,
                    "tracemalloc_peak_ratio": figures["tracemalloc_peak"] / size,
                }
            entry["memory"] = memory
        report["streams"].append(entry)
    return report


def print_table(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(
        f"machine: {info['cpus']} CPUs ({info['cpus_usable']} usable), {info['cpu_model']}, "
        f"{(info['memory_bytes'] or 0) / 2**30:.0f} GiB; {info['system']}; "
        f"Python {info['python']}, orjson {info['orjson']}; "
        f"load average {' '.join(f'{x:.2f}' for x in info['load_average'])} before, "
        f"{' '.join(f'{x:.2f}' for x in info.get('load_average_after', ()))} after; "
        f"{report['runs']} runs, interleaved"
    )
    for entry in report["streams"]:
        seconds, rate = entry["seconds"], entry["mb_per_second"]
        print()
        print(
            f"{entry['layout']} layout: {entry['bytes'] / MIB:.1f} MiB, {entry['steps']:,} steps "
            f"({entry['vertices']:,} vertices), {entry['log_chunks']:,} log chunks"
        )
        rows = [
            ("orjson.loads alone, objects pre-split", "orjson_loads_only"),
            ("orjson baseline: read + split + loads", "orjson_baseline"),
            ("kitprof read_build", "kitprof_read"),
            ("kitprof analyze (on the Build)", "kitprof_analyze"),
            ("kitprof read_build + analyze", "kitprof_read_analyze"),
        ]
        medians = entry["median_seconds"]
        print(f"  {'(best of the runs; median)':<40} {'best':>7}    {'MiB/s':>7}        median")
        for label, key in rows:
            best = f"{seconds[key]:7.3f} s  {rate[key]:7.0f} MiB/s"
            print(f"  {label:<40} {best}  {medians[key]:7.3f} s")
        goal = report["goals"]["time_ratio"]
        verdict = "met" if entry["time_ratio"] <= goal else "MISSED"
        rounds = entry["time_ratio_rounds"]
        print(
            f"  time ratio kitprof / baseline: {entry['time_ratio']:.2f}x of the best runs, "
            f"{entry['time_ratio_median']:.2f}x median of {len(rounds)} rounds "
            f"({min(rounds):.2f}-{max(rounds):.2f}) "
            f"(goal <= {goal}x: {verdict}); / loads alone: "
            f"{entry['time_ratio_to_loads_only']:.2f}x"
        )
        rounds = entry["cpu_ratio_rounds"]
        print(
            f"  CPU time ratio kitprof / baseline: {entry['cpu_ratio_median']:.2f}x median of "
            f"{len(rounds)} rounds ({min(rounds):.2f}-{max(rounds):.2f}); CPU s: baseline "
            f"{entry['cpu_median_seconds']['orjson_baseline']:.3f}, kitprof "
            f"{entry['cpu_median_seconds']['kitprof_read_analyze']:.3f}"
        )
        memory = entry.get("memory")
        if memory:
            goal = report["goals"]["memory_ratio"]
            for case in ("orjson", "kitprof"):
                figures = memory[case]
                print(
                    f"  memory {case:<8} peak RSS +{figures['rss_peak_delta'] / MIB:6.0f} MiB "
                    f"({figures['rss_peak_ratio']:.2f}x input), retained "
                    f"{figures['rss_retained'] / MIB:5.0f} MiB; tracemalloc peak "
                    f"{figures['tracemalloc_peak'] / MIB:6.0f} MiB "
                    f"({figures['tracemalloc_peak_ratio']:.2f}x)"
                )
            worst = max(
                memory["kitprof"]["rss_peak_ratio"], memory["kitprof"]["tracemalloc_peak_ratio"]
            )
            verdict = "met" if worst <= goal else "MISSED"
            print(f"  kitprof peak memory {worst:.2f}x input (goal < {goal}x: {verdict})")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _, case, mode, path = argv
        print(json.dumps(child(case, mode, Path(path))))
        return 0
    parser = argparse.ArgumentParser(description="kitprof ingest benchmark")
    parser.add_argument("--layout", choices=(*LAYOUTS, "both"), default="both")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--megabytes", type=float, default=110.0, help="stream size (MiB)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7, help="runs of each case")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    report = run(args)
    report["benchmark_seconds"] = time.perf_counter() - began
    report["machine"]["load_average_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
