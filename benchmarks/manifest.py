"""How long ``kitprof run`` takes to take the context manifest of a large repository.

Generates a tree of N files (default 50,000: 500 folders of 100 files of 0.5–4 KiB,
plus a ``node_modules`` of 10,000 files the ``.dockerignore`` leaves out) and times
``take_manifest`` for two Dockerfiles: ``COPY . .`` (every file is hashed) and
``COPY src/ ./src/`` (a tenth of the tree). Each cold (nothing to reuse) and warm
(the previous manifest's hashes reused where the stat is unchanged and safely old).
The baseline, in the same process: walking the same files with ``os.walk`` and
``lstat`` (what any tool that lists the context pays).

    python benchmarks/manifest.py [--files 50000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from profiler.capture.manifest import RACY_SECONDS, take_manifest


def generate(root: Path, files: int, seed: int = 7) -> int:
    """The tree: ``src/`` holds a tenth of the files; returns the bytes written."""
    rng = random.Random(seed)
    per_folder = 100
    written = 0
    for index in range(files):
        folder = index // per_folder
        top = "src" if folder % 10 == 0 else "lib"
        path = root / top / f"pkg{folder:04d}" / f"file{index:06d}.py"
        if index % per_folder == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        data = rng.randbytes(rng.randint(512, 4096))
        path.write_bytes(data)
        written += len(data)
    ignored = root / "node_modules"
    for index in range(10_000):
        path = ignored / f"m{index // 100:03d}" / f"i{index:05d}.js"
        if index % 100 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 64)
    (root / ".dockerignore").write_text("node_modules\n**/*.pyc\n")
    return written


def walk_and_stat(root: Path) -> int:
    count = 0
    for folder, names, files in os.walk(root):
        if "node_modules" in names:
            names.remove("node_modules")
        for name in files:
            os.lstat(os.path.join(folder, name))
            count += 1
    return count


def timed(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_whycache(root: Path, site: str, runs: int, baseline: float) -> dict[str, object]:
    """whycache's own fingerprint of the same tree (every file .dockerignore keeps)."""
    sys.path.insert(0, site)
    from whycache.manifest import build_manifest  # type: ignore[import-not-found]

    manifest, stats = build_manifest(root)
    cold = timed(lambda: build_manifest(root), runs)
    prior = {"manifest": manifest, "stat": stats}
    warm = timed(lambda: build_manifest(root, prior), runs)
    return {
        "files_listed": len(manifest),
        "cold_seconds": round(cold, 3),
        "warm_seconds": round(warm, 3),
        "cold_over_baseline": round(cold / baseline, 2),
        "warm_over_baseline": round(warm / baseline, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--whycache",
        metavar="SITE_PACKAGES",
        help="also time whycache's build_manifest, installed in this site-packages "
        "folder (a throwaway venv: pip install whycache)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kitprof-manifest-bench-"))
    try:
        root = workdir / "repo"
        started = time.perf_counter()
        size = generate(root, args.files)
        generated = time.perf_counter() - started
        # Let the racy window pass: a warm manifest may then trust every stat.
        time.sleep(RACY_SECONDS + 0.2)
        baseline = timed(lambda: walk_and_stat(root), args.runs)
        results: dict[str, object] = {
            "files": args.files,
            "ignored_files": 10_000,
            "megabytes": round(size / 2**20, 1),
            "generate_seconds": round(generated, 2),
            "baseline_walk_stat_seconds": round(baseline, 3),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }
        for name, dockerfile in (
            ("copy_all", "FROM x\nCOPY . /app\n"),
            ("copy_src", "FROM x\nCOPY src/ /app/src/\n"),
        ):
            (root / "Dockerfile").write_text(dockerfile)
            first = take_manifest(root)
            cold = timed(lambda: take_manifest(root), args.runs)
            warm = timed(lambda first=first: take_manifest(root, previous=first), args.runs)  # type: ignore[misc]
            reused = take_manifest(root, previous=first).stats
            results[name] = {
                "files_listed": first.stats["files"],
                "cold_seconds": round(cold, 3),
                "warm_seconds": round(warm, 3),
                "warm_reused": reused["reused"],
                "cold_over_baseline": round(cold / baseline, 2),
                "warm_over_baseline": round(warm / baseline, 2),
                "manifest_kib": round(len(first.to_json()) / 1024),
            }
        if args.whycache:
            results["whycache"] = time_whycache(root, args.whycache, args.runs, baseline)
        if args.json:
            print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
        else:
            for key, value in results.items():
                print(f"{key:28} {value}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
