"""Digests of what kitprof reads from many inputs, to check a performance change.

Prints one line per case: the input, how it was fed (whole, in chunks of N bytes,
or mutated), and a digest of ``repr`` of each Build, of every step's logs and log
lines, and of the analysis (or the error). Run it over the tree before and over
the tree after, with the ``profiler`` of each first on ``PYTHONPATH``, and compare:

    PYTHONPATH=<tree before> python benchmarks/same_builds.py > before.txt
    PYTHONPATH=. python benchmarks/same_builds.py > after.txt
    cmp before.txt after.txt

Inputs: every sample in ``sample_builds/`` and ``tests/``, plus the files named on
the command line (generated streams, the benchmark's). Each is read whole, then in
chunks of 1 (up to 200 KB), 7, 100, 4096 and 997 bytes (only 997 beyond 5 MB), then
``--mutations`` random mutations of it (seeded: cuts, noise, CRLF, timestamps removed
or made odd, ``stream`` as text, ``data`` as a number, broken digests), each read
whole and in chunks of 997 bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import random
import sys
from collections.abc import Callable
from pathlib import Path

from profiler.analysis import analyze
from profiler.errors import KitprofError
from profiler.model import Build
from profiler.sources import read_builds
from profiler.sources.rawjson import read_rawjson_chunks

SUFFIXES = (".rawjson", ".gz", ".json", ".jsonl", ".log", ".txt", ".plain", ".dockerbuild", ".zip")
CHUNK_SIZES = (1, 7, 100, 4096, 997)
BIG = 5_000_000


def digest(build: Build) -> str:
    hashed = hashlib.sha256(repr(build).encode())
    for step in build.steps:
        hashed.update(repr(step.logs).encode())
        hashed.update(repr(step.log_lines()).encode())
    try:
        hashed.update(repr(analyze(build)).encode())
    except Exception as error:  # the failure is part of the result
        hashed.update(f"analyze failed: {type(error).__name__} {error}".encode())
    return hashed.hexdigest()[:16]


def outcome(data: bytes, chunk: int | None) -> str:
    try:
        if chunk is None:
            return ",".join(digest(build) for build in read_builds(data))
        pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
        return digest(read_rawjson_chunks(pieces))
    except KitprofError as error:
        return f"error {type(error).__name__}: {error}"
    except Exception as error:  # an unexpected failure must match too
        return f"exception {type(error).__name__}: {error}"


def _replace_after(data: bytes, at: int, key: bytes, make: Callable[[bytes], bytes]) -> bytes:
    found = data.find(key, at)
    return data if found == -1 else data[:found] + make(data[found:])


def mutated(data: bytes, rng: random.Random) -> tuple[int, bytes]:
    kind = rng.randrange(8)
    at = rng.randrange(len(data))
    if kind == 0:
        return kind, data[:at]
    if kind == 1:
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 10)))
        return kind, data[:at] + noise + data[at + rng.randrange(1, 40) :]
    if kind == 2:
        return kind, data.replace(b"\n", b"\r\n")
    if kind == 3:
        return kind, data.replace(b'"timestamp":', b'"timestampX":', rng.randrange(1, 5))
    if kind == 4:
        return kind, _replace_after(data, at, b'"stream":', lambda s: b'"stream":"x","s":' + s[9:])
    if kind == 5:
        odd = rng.choice([b"0001", b"9999", b"1999", b"zzzz", b"2026-01-01T00:00:00"])
        return kind, _replace_after(data, at, b'"timestamp":"', lambda s: s[:13] + odd + s[17:])
    if kind == 6:
        return kind, _replace_after(data, at, b'"data":"', lambda s: b'"data":3,"y":"' + s[8:])
    return kind, _replace_after(data, at, b'"vertex":"', lambda s: s[:10] + b"sha256:zz" + s[10:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="more inputs")
    parser.add_argument("--mutations", type=int, default=20, help="per input")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    samples = [*Path("sample_builds").rglob("*"), *Path("tests").rglob("*")]
    files = sorted(str(path) for path in samples if path.name.endswith(SUFFIXES))
    files += [str(path) for path in args.files]
    rng = random.Random(7)
    for name in files:
        data = Path(name).read_bytes()
        if data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
        print(f"{name} whole {outcome(data, None)}")
        for size in CHUNK_SIZES:
            if (size < 7 and len(data) > 200_000) or (len(data) > BIG and size != 997):
                continue
            print(f"{name} chunk{size} {outcome(data, size)}")
        if len(data) > BIG or not data:
            continue
        for number in range(args.mutations):
            kind, changed = mutated(data, rng)
            whole, chunked = outcome(changed, None), outcome(changed, 997)
            print(f"{name} mutation{number}.{kind} {whole} {chunked}")


if __name__ == "__main__":
    main()
