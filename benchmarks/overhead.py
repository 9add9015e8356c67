"""Overhead of ``kitprof run`` on the real build it watches (a benchmark, not a test).

Runs the same real build bare (``docker buildx build --progress=rawjson … 2> file``)
and under ``kitprof run``, alternating (bare, kitprof, kitprof, bare, … so that drift
in the machine's load hits both alike), and reports medians:

- **cold**: a multi-stage build (~17 s on 2 cores: parallel branches, CPU work,
  sleeps, steady logs) with a fresh NONCE each run, so every step executes;
- **cached**: the same build again with a fixed NONCE: every step a cache hit (~1 s);
- **logs**: 26 parallel stages each printing ~2 MB over 13 s: a stream of ~68 MiB
  carrying ~50 MiB of step output (BuildKit here clips a step's output above
  ~200 KiB/s or 2 MiB, so volume comes from many steps at once; 40 stages at once trip
  BuildKit 0.8's "flightcontrol: exceeded retry timeout", moby/buildkit#1822);
- **replay**: a generated 50 MiB stream written as fast as a pipe takes it by a fake
  build command (no daemon): kitprof's throughput, and whether the writer ever
  waited for kitprof.

Three ratios, kitprof / bare, for each real build:

- ``command``: the build command's own wall time, from start to exit (bare: timed
  by this script around the command; kitprof: the ``wall_seconds`` kitprof records
  in run.json, also from start to exit). This is "does kitprof slow the build";
- ``buildkit``: the build's wall time by BuildKit's own timestamps (first vertex
  start to last completion), read from each saved stream;
- ``end to end``: what the user waits for, including kitprof's Python start-up
  (~0.3 s) and its analysis and report at the end.

kitprof's own CPU time (user + system of the kitprof process, start-up included)
and capture figures come from the run.json files. Needs a daemon
(scripts/setup-docker). Takes ~4 minutes with the defaults::

    python benchmarks/overhead.py                # all parts
    python benchmarks/overhead.py --parts cold --rounds 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from profiler.sources import read_build  # noqa: E402

COLD_DOCKERFILE = """\
# A realistic small build: base -> deps, compile, assets in parallel -> test -> final.
FROM kitprof/busybox:latest AS base
ARG NONCE
RUN echo "$NONCE" > /nonce \\
 && for p in 1 2 3 4 5 6; do echo "installing package $p/6"; sleep 0.5; done

FROM base AS deps
RUN for i in 1 2 3 4; do echo "resolving group $i"; \\
      dd if=/dev/urandom bs=1M count=24 2>/dev/null | sha256sum; done > /deps \\
 && cat /nonce >> /deps && sleep 1

FROM base AS compile
RUN for i in $(seq 1 24); do echo "compiling unit $i/24"; \\
      head -c 1500000 /dev/urandom | sha256sum; sleep 0.3; done && cat /nonce > /app

FROM base AS assets
RUN for i in $(seq 1 12); do echo "bundling chunk $i/12"; \\
      dd if=/dev/urandom bs=1M count=6 2>/dev/null | md5sum; sleep 0.25; done > /assets \\
 && cat /nonce >> /assets

FROM deps AS test
COPY --from=compile /app /app
RUN for i in $(seq 1 40); do echo "test_case_$i PASSED"; sleep 0.1; done && cat /app > /tested

FROM kitprof/busybox:latest
COPY --from=compile /app /app
COPY --from=test /tested /tested
COPY --from=assets /assets /assets
RUN echo "image ready"
"""

LOG_STAGE = """\
FROM base AS logs{index}
RUN for i in $(seq 1 25); do head -c 60000 /dev/urandom | base64; sleep 0.5; done > /dev/stdout \\
 && echo "{index} $(cat /nonce)" > /out
"""

REPLAY_WRITER = textwrap.dedent(
    """
    import os, sys, time
    data = open(sys.argv[1], "rb").read()
    began = time.perf_counter()
    view = memoryview(data)
    while view:
        view = view[os.write(2, view[:1 << 20]):]
    with open(sys.argv[2], "w") as out:
        out.write(str(time.perf_counter() - began))
    """
)


@dataclass
class Sample:
    mode: str
    command_seconds: float
    end_to_end_seconds: float
    buildkit_seconds: float | None
    stream_bytes: int
    kitprof_cpu_seconds: float | None = None
    max_backlog_bytes: int | None = None
    drain_seconds: float | None = None
    writer_seconds: float | None = None


@dataclass
class Part:
    name: str
    samples: list[Sample] = field(default_factory=list)

    def of(self, mode: str) -> list[Sample]:
        return [s for s in self.samples if s.mode == mode]

    def median(self, mode: str, attribute: str) -> float | None:
        values = [getattr(s, attribute) for s in self.of(mode)]
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None

    def ratio(self, attribute: str) -> float | None:
        bare, under = self.median("bare", attribute), self.median("kitprof", attribute)
        if bare is None or under is None or bare == 0:
            return None
        return under / bare

    def summary(self) -> dict[str, Any]:
        return {
            "part": self.name,
            "runs_per_mode": len(self.of("kitprof")),
            "bare_command_seconds": self.median("bare", "command_seconds"),
            "kitprof_command_seconds": self.median("kitprof", "command_seconds"),
            "command_ratio": self.ratio("command_seconds"),
            "buildkit_ratio": self.ratio("buildkit_seconds"),
            "end_to_end_ratio": self.ratio("end_to_end_seconds"),
            "end_to_end_extra_seconds": _difference(
                self.median("kitprof", "end_to_end_seconds"),
                self.median("bare", "end_to_end_seconds"),
            ),
            "kitprof_cpu_seconds": self.median("kitprof", "kitprof_cpu_seconds"),
            "stream_mib": (self.median("kitprof", "stream_bytes") or 0) / 1024 / 1024,
            "max_backlog_kib": (self.median("kitprof", "max_backlog_bytes") or 0) / 1024,
            "drain_seconds": self.median("kitprof", "drain_seconds"),
            "writer_seconds_bare": self.median("bare", "writer_seconds"),
            "writer_seconds_kitprof": self.median("kitprof", "writer_seconds"),
        }


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


class Bench:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tags: list[str] = []
        self.env = {**os.environ, "KITPROF_DATA_DIR": str(workdir / "data")}

    def build_argv(self, context: Path, nonce: str, *, kitprof: bool) -> list[str]:
        tag = f"kitprof-bench/{context.name}:{uuid.uuid4().hex[:10]}"
        self.tags.append(tag)
        argv = ["docker", "buildx", "build", "--network=none", "--build-arg", f"NONCE={nonce}"]
        argv += ["--tag", tag]
        if not kitprof:
            argv.insert(3, "--progress=rawjson")
        return [*argv, str(context)]

    def bare(self, argv: Sequence[str], stream: Path) -> Sample:
        with stream.open("wb") as err:
            began = time.perf_counter()
            result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err, check=False)
            wall = time.perf_counter() - began
        if result.returncode != 0:
            raise RunFailed(_last_line(stream, result.returncode))
        return Sample("bare", wall, wall, _buildkit_seconds(stream), stream.stat().st_size)

    def kitprof(self, argv: Sequence[str], stream: Path) -> Sample:
        command = [sys.executable, "-m", "profiler", "run", "--display", "plain"]
        command += ["--out", str(stream), "--", *argv]
        began = time.perf_counter()
        result = subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            check=False,
        )
        wall = time.perf_counter() - began
        if result.returncode != 0:
            raise RunFailed(_last_line(stream, result.returncode))
        info = json.loads(stream.with_name(stream.stem + ".run.json").read_text())
        capture = info["capture"]
        return Sample(
            "kitprof",
            info["wall_seconds"],
            wall,
            _buildkit_seconds(stream),
            capture["stream_bytes"],
            capture["cpu_seconds"],
            capture["max_backlog_bytes"],
            capture["drain_seconds"],
        )

    def cleanup(self) -> None:
        if self.tags:
            subprocess.run(
                ["docker", "image", "rm", "--force", *self.tags], capture_output=True, check=False
            )


def _last_line(stream: Path, code: int) -> str:
    lines = stream.read_bytes()[-2000:].decode(errors="replace").strip().splitlines()
    return f"exit {code}: {lines[-1] if lines else 'no output'}"


def _buildkit_seconds(stream: Path) -> float | None:
    """First start to last end by BuildKit's clock, FROM vertices left out.

    A FROM vertex of a base image is shared by every build of that image running on
    the daemon at the same time, and carries the times of whichever build started it:
    on a shared daemon it can start seconds before this build did.
    """
    try:
        build = read_build(stream)
    except Exception:  # a replayed or broken stream: no BuildKit wall time
        return None
    own = [step for step in build if step.parsed.instruction != "FROM"]
    starts = [step.start for step in own if step.start is not None]
    ends = [step.end for step in own if step.end is not None]
    return max(ends) - min(starts) if starts and ends else None


class RunFailed(Exception):
    pass


ATTEMPTS = 3
"""A shared daemon sometimes cancels a build (another session pruning the cache):
such a run is retried, and the retry counted in the output."""


def alternate(rounds: int, run: Callable[[str, int], Sample], part: Part) -> None:
    """bare, kitprof, kitprof, bare, bare, kitprof, …: each mode as often first as second."""
    for index in range(rounds):
        order = ("bare", "kitprof") if index % 2 == 0 else ("kitprof", "bare")
        for mode in order:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    sample = run(mode, index)
                    break
                except RunFailed as failure:
                    _say(f"{part.name:7} #{index + 1} {mode:8} attempt {attempt} failed: {failure}")
                    if attempt == ATTEMPTS:
                        raise SystemExit(f"{part.name}: {mode} failed {ATTEMPTS} times") from None
            part.samples.append(sample)
            _say(
                f"{part.name:7} #{index + 1} {mode:8} command {sample.command_seconds:6.2f}s  "
                f"end-to-end {sample.end_to_end_seconds:6.2f}s  "
                + (
                    f"kitprof cpu {sample.kitprof_cpu_seconds:.2f}s"
                    if sample.kitprof_cpu_seconds is not None
                    else ""
                )
            )


def part_cold(bench: Bench, rounds: int) -> Part:
    context = bench.workdir / "cold"
    context.mkdir()
    (context / "Dockerfile").write_text(COLD_DOCKERFILE)
    part = Part("cold")

    def run(mode: str, index: int) -> Sample:
        argv = bench.build_argv(context, uuid.uuid4().hex, kitprof=mode == "kitprof")
        stream = bench.workdir / f"cold-{index}-{mode}.rawjson"
        return bench.bare(argv, stream) if mode == "bare" else bench.kitprof(argv, stream)

    alternate(rounds, run, part)
    return part


def part_cached(bench: Bench, rounds: int) -> Part:
    context = bench.workdir / "cached"
    context.mkdir()
    (context / "Dockerfile").write_text(COLD_DOCKERFILE)
    nonce = uuid.uuid4().hex
    bench.bare(bench.build_argv(context, nonce, kitprof=False), bench.workdir / "warm.rawjson")
    part = Part("cached")

    def run(mode: str, index: int) -> Sample:
        argv = bench.build_argv(context, nonce, kitprof=mode == "kitprof")
        stream = bench.workdir / f"cached-{index}-{mode}.rawjson"
        return bench.bare(argv, stream) if mode == "bare" else bench.kitprof(argv, stream)

    alternate(rounds, run, part)
    return part


def part_logs(bench: Bench, rounds: int, stages: int) -> Part:
    context = bench.workdir / "logs"
    context.mkdir()
    lines = [
        "FROM kitprof/busybox:latest AS base",
        "ARG NONCE",
        'RUN echo "$NONCE" > /nonce',
        "",
    ]
    lines += [LOG_STAGE.format(index=index) for index in range(stages)]
    lines += ["FROM kitprof/busybox:latest"]
    lines += [f"COPY --from=logs{index} /out /out{index}" for index in range(stages)]
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    part = Part("logs")

    def run(mode: str, index: int) -> Sample:
        argv = bench.build_argv(context, uuid.uuid4().hex, kitprof=mode == "kitprof")
        stream = bench.workdir / f"logs-{index}-{mode}.rawjson"
        return bench.bare(argv, stream) if mode == "bare" else bench.kitprof(argv, stream)

    alternate(rounds, run, part)
    return part


def part_replay(bench: Bench, rounds: int, megabytes: float) -> Part:
    from benchmarks.generate_stream import generate

    source = bench.workdir / "replay-source.rawjson"
    generate(source, steps=2000, megabytes=megabytes)
    writer = bench.workdir / "writer.py"
    writer.write_text(REPLAY_WRITER)
    part = Part("replay")

    def run(mode: str, index: int) -> Sample:
        timing = bench.workdir / f"replay-{index}-{mode}.seconds"
        argv = [sys.executable, str(writer), str(source), str(timing)]
        stream = bench.workdir / f"replay-{index}-{mode}.rawjson"
        sample = bench.bare(argv, stream) if mode == "bare" else bench.kitprof(argv, stream)
        sample.writer_seconds = float(timing.read_text())
        return sample

    alternate(rounds, run, part)
    return part


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _format(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def report(parts: list[Part]) -> str:
    rows = [
        "| build | runs | bare | kitprof run | command ratio | BuildKit ratio | end-to-end "
        "ratio (+s) | kitprof CPU | stream | max backlog | drain |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for part in parts:
        s = part.summary()
        rows.append(
            f"| {part.name} | {s['runs_per_mode']} "
            f"| {_format(s['bare_command_seconds'], '.2f')} s "
            f"| {_format(s['kitprof_command_seconds'], '.2f')} s "
            f"| {_format(s['command_ratio'], '.3f')} "
            f"| {_format(s['buildkit_ratio'], '.3f')} "
            f"| {_format(s['end_to_end_ratio'], '.3f')} "
            f"(+{_format(s['end_to_end_extra_seconds'], '.2f')}) "
            f"| {_format(s['kitprof_cpu_seconds'], '.2f')} s "
            f"| {s['stream_mib']:.1f} MiB "
            f"| {s['max_backlog_kib']:.0f} KiB "
            f"| {_format(s['drain_seconds'], '.3f')} s |"
        )
    replay = next((p for p in parts if p.name == "replay"), None)
    if replay is not None:
        s = replay.summary()
        rows.append("")
        rows.append(
            f"replay: the writer took {_format(s['writer_seconds_bare'], '.2f')} s to write "
            f"{s['stream_mib']:.0f} MiB into a file and "
            f"{_format(s['writer_seconds_kitprof'], '.2f')} s into kitprof's pipe "
            f"(kitprof: {_format(s['kitprof_command_seconds'], '.2f')} s to save and parse it)."
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--parts",
        default="cold,cached,logs,replay",
        help="comma-separated: cold, cached, logs, replay",
    )
    parser.add_argument("--rounds", type=int, default=4, help="runs per mode, cold build")
    parser.add_argument("--cached-rounds", type=int, default=6, help="runs per mode, cached")
    parser.add_argument("--log-rounds", type=int, default=2, help="runs per mode, logs build")
    parser.add_argument("--log-stages", type=int, default=26, help="stages printing ~2 MB")
    parser.add_argument("--replay-mib", type=float, default=50.0, help="replayed stream size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="work (and keep the streams) in this new dir")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.parts.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(prefix="kitprof-overhead-") as tmp:
        workdir = Path(tmp)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=False)
            workdir = args.keep
        bench = Bench(workdir)
        parts: list[Part] = []
        try:
            if "cold" in wanted:
                parts.append(part_cold(bench, args.rounds))
            if "cached" in wanted:
                parts.append(part_cached(bench, args.cached_rounds))
            if "logs" in wanted:
                parts.append(part_logs(bench, args.log_rounds, args.log_stages))
            if "replay" in wanted:
                parts.append(part_replay(bench, 3, args.replay_mib))
        finally:
            bench.cleanup()
    print(report(parts))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "parts": [p.summary() for p in parts],
                    "samples": {p.name: [asdict(s) for s in p.samples] for p in parts},
                    "cpus": os.cpu_count(),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
