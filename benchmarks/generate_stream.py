"""Generate a large, realistic BuildKit ``rawjson`` progress stream, deterministically.

The stream imitates what ``docker buildx build --progress=rawjson`` prints for a big
multi-stage build, after the recorded streams in ``sample_builds/``:

- internal vertices first: ``[internal] load build definition from Dockerfile``,
  ``[internal] load .dockerignore``, ``[internal] load metadata for …`` (one per base
  image), ``[internal] load build context`` with "transferring context" sub-progress;
- many stages (``stage-0`` … ``stage-N``) of ``--steps-per-stage`` steps, named like
  BuildKit names them (``[stage-12  3/25] RUN make -j2``: the index padded to the
  width of the count), with real ``inputs`` edges: the previous step of the stage,
  the last step of a ``FROM <stage>``, the source of ``COPY --from`` and the build
  context for ``COPY``; stages ``FROM`` the same image share one FROM vertex;
- vertex snapshots as BuildKit sends them: every vertex announced (no ``started``)
  in bulk once the definition is loaded, then ``started``, then ``completed``; 30%
  of the stages are warm, cached (``cached: true`` with ``started ==
  completed``) up to the first step whose inputs changed; a few steps run twice (two
  intervals); steps are scheduled on 8 simulated workers as their inputs complete;
- step output as base64 ``data`` in ``logs`` entries, chunked like process output
  (single lines of ~100 B and pipe buffers up to 4 KiB), stdout and stderr, batched
  a few per SolveStatus message, each with its own nanosecond timestamp;
- sub-progress (``statuses``) for image pulls, the build context and some COPY steps;
- ``exporting to image`` at the end, then a couple of plain-text lines (warnings);
  with ``--fail``, a late RUN step fails instead, what runs then is cancelled, what
  would follow never starts, and the stream ends with ``ERROR: failed to solve: …``.

Layouts: buildx 0.13 style by default (Go ``json.Encoder`` with ``SetIndent("", "  ")``:
each object indented over many lines, ``{`` and ``}`` at column zero, HTML characters
escaped as ``\\u003c``…), or one object per line with ``--one-line`` (buildx ≥ 0.15).
Timestamps are RFC 3339 with nanoseconds in UTC, trailing zeros trimmed like Go's
``RFC3339Nano``.

The total size is steered by ``--megabytes`` (logs fill what the graph does not): the
indented layout lands within a few percent of it; the one-line layout of the same
seed holds exactly the same events in ~6% fewer bytes. Same arguments, same bytes.

    python benchmarks/generate_stream.py benchmarks/out/big.rawjson --steps 5000 --megabytes 110
"""

from __future__ import annotations

import argparse
import base64
import heapq
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

NS = 1_000_000_000
MS = 1_000_000
START_TIME_NS = int(datetime(2026, 3, 2, 9, 14, 7, tzinfo=UTC).timestamp()) * NS + 123_456_789

BASE_IMAGES = (
    "docker.io/library/debian:bookworm",
    "docker.io/library/golang:1.22-bookworm",
    "docker.io/library/node:20-bookworm-slim",
    "docker.io/library/python:3.12-slim",
    "docker.io/library/rust:1.78",
)
RUN_COMMANDS = (
    "make -j2",
    "apt-get update && apt-get install -y --no-install-recommends build-essential ca-certificates",
    "pip install --no-cache-dir -r requirements.txt",
    "npm ci --no-audit --no-fund",
    "go build -trimpath -o /out/app ./cmd/app",
    "cargo build --release --locked",
    "./configure --prefix=/usr && make -j2 && make install DESTDIR=/out",
    "python -m pytest -q tests/",
    'echo "built $(date)" > /etc/build-info && ls -la /out',
    "npm run build -- --mode production",
    "go test ./... 2>&1 | tee /tmp/test.log",
    "make check && strip /out/bin/*",
)
COPY_SOURCES = ("src/ ./src/", "package.json package-lock.json ./", "go.mod go.sum ./", ". .")
WORKDIRS = ("/src", "/app", "/build", "/workspace")
EXIT_ERROR = 'process "/bin/sh -c {command}" did not complete successfully: exit code: 2'

# Lines that real build output is made of; chunks are runs of consecutive pool lines.
LINE_TEMPLATES = (
    "gcc -O2 -g -Wall -Wextra -fPIC -Iinclude -c src/{mod}/{file}.c -o build/{mod}/{file}.o",
    "  CC      {mod}/{file}.o",
    "  LD      {mod}/built-in.a",
    "src/{mod}/{file}.c:{line}:{col}: warning: unused variable 'tmp{n}' [-Wunused-variable]",
    "[{pct:3d}%] Building CXX object {mod}/CMakeFiles/{file}.dir/{file}.cpp.o",
    "Collecting {pkg}=={major}.{minor}.{patch}",
    "  Downloading {pkg}-{major}.{minor}.{patch}-py3-none-any.whl ({size} kB)",
    "Get:{n} http://mirror.invalid/debian bookworm/main amd64 lib{pkg}{major} amd64 "
    "{major}.{minor}-{patch} [{size} kB]",
    "Setting up lib{pkg}{major}:amd64 ({major}.{minor}-{patch}) ...",
    "Unpacking lib{pkg}{major}:amd64 ({major}.{minor}-{patch}) ...",
    "npm warn deprecated {pkg}@{major}.{minor}.{patch}: This package is no longer supported.",
    "   Compiling {pkg} v{major}.{minor}.{patch}",
    "go: downloading github.com/{pkg}/{file} v{major}.{minor}.{patch}",
    "=== RUN   Test{File}_{n}",
    "--- PASS: Test{File}_{n} (0.{patch:02d}s)",
    "tests/test_{file}.py::test_{mod}_{n} PASSED                                    [{pct:3d}%]",
)
WORDS = (
    "core", "net", "http", "json", "yaml", "crypto", "fs", "io", "sched", "mm", "auth",
    "parser", "lexer", "codegen", "runtime", "storage", "cache", "proto", "grpc", "util",
)  # fmt: skip


@dataclass(eq=False, slots=True)
class Vertex:
    digest: str
    name: str
    kind: str
    """internal, from, run, copy, workdir or export."""
    inputs: list[Vertex] = field(default_factory=list)
    """Edges the stream reports."""
    waits: list[Vertex] = field(default_factory=list)
    """Edges the simulated solver respects without reporting them (time order)."""
    cached: bool = False
    duration: int = 0
    two_runs: bool = False
    log_weight: float = 0.0
    intervals: list[tuple[int, int]] = field(default_factory=list)
    end: int = 0
    error: str | None = None
    dropped: bool = False
    """Never started: the build failed first."""


@dataclass(slots=True)
class Plan:
    vertices: list[Vertex]
    steps: int
    """Distinct Dockerfile-step vertices."""
    stages: int


# -- timestamps ------------------------------------------------------------------------

_SECOND_TEXT: dict[int, str] = {}


def rfc3339nano(time_ns: int) -> str:
    """Go's ``time.RFC3339Nano`` in UTC: nanoseconds with trailing zeros trimmed."""
    seconds, nanos = divmod(time_ns, NS)
    prefix = _SECOND_TEXT.get(seconds)
    if prefix is None:
        prefix = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _SECOND_TEXT[seconds] = prefix
    if not nanos:
        return prefix + "Z"
    return f"{prefix}.{nanos:09d}".rstrip("0") + "Z"


# -- the build graph -------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digest(self) -> str:
        return f"sha256:{self.rng.getrandbits(256):064x}"

    def plan(self, min_steps: int, steps_per_stage: int, fail: bool) -> Plan:
        rng = self.rng
        definition = Vertex(
            self.digest(), "[internal] load build definition from Dockerfile", "internal"
        )
        definition.duration = 28 * MS
        ignore = Vertex(self.digest(), "[internal] load .dockerignore", "internal")
        ignore.duration = 21 * MS
        ignore.waits = [definition]
        vertices = [definition, ignore]
        metadata: dict[str, Vertex] = {}
        for image in BASE_IMAGES:
            meta = Vertex(self.digest(), f"[internal] load metadata for {image}", "internal")
            meta.duration = rng.randint(400, 1600) * MS
            meta.waits = [ignore]
            metadata[image] = meta
            vertices.append(meta)
        context = Vertex(self.digest(), "[internal] load build context", "internal")
        context.duration = rng.randint(200, 900) * MS
        context.waits = [ignore]
        vertices.append(context)

        from_vertices: dict[str, Vertex] = {}
        last_steps: list[Vertex] = []  # last vertex of each stage
        unreferenced: list[int] = []  # stages nothing depends on yet
        steps = 0
        stage = 0
        while steps < min_steps or unreferenced:
            final = steps >= min_steps
            count = steps_per_stage
            if final:
                count = max(steps_per_stage, len(unreferenced) + 3)
            width = len(str(count))
            label = f"stage-{stage}"

            def name(
                index: int, text: str, label: str = label, count: int = count, width: int = width
            ) -> str:
                return f"[{label} {index:>{width}}/{count}] {text}"

            warm = stage > 0 and rng.random() < 0.3
            # Cache hits stop at the first step whose inputs changed (a COPY of sources).
            bust_at = rng.randint(3, count) if warm else 0
            previous: Vertex
            parent_stage = rng.randrange(max(0, stage - 8), stage) if stage > 2 else None
            if not final and parent_stage is not None and rng.random() < 0.2:
                # FROM another stage: no vertex of its own, step 2 builds on that stage.
                previous = last_steps[parent_stage]
                if parent_stage in unreferenced:
                    unreferenced.remove(parent_stage)
            else:
                image = rng.choice(BASE_IMAGES)
                shared = from_vertices.get(image)
                if shared is None:
                    pinned = f"{image}@sha256:{rng.getrandbits(256):064x}"
                    shared = Vertex(self.digest(), name(1, f"FROM {pinned}"), "from")
                    shared.duration = rng.randint(800, 6000) * MS
                    shared.waits = [metadata[image]]
                    from_vertices[image] = shared
                    vertices.append(shared)
                    steps += 1
                previous = shared
            copies_from = 0 if stage == 0 else rng.choice((0, 0, 1, 1, 2))
            from_slots = set(rng.sample(range(3, count + 1), min(copies_from, count - 2)))
            if final:
                from_slots = set(range(3, 3 + len(unreferenced)))
            for index in range(2, count + 1):
                roll = rng.random()
                inputs = [previous]
                if index in from_slots and last_steps:
                    if unreferenced:
                        source = unreferenced.pop(rng.randrange(len(unreferenced)))
                    else:
                        source = rng.randrange(len(last_steps))
                    inputs.append(last_steps[source])
                    text = f"COPY --from=stage-{source} /out/ /opt/stage-{source}/"
                    kind = "copy"
                elif index == 2 and roll < 0.5:
                    text, kind = f"WORKDIR {rng.choice(WORKDIRS)}", "workdir"
                elif roll < 0.25:
                    text, kind = f"COPY {rng.choice(COPY_SOURCES)}", "copy"
                    inputs.append(context)
                elif roll < 0.28:
                    text, kind = (
                        f"ADD --chmod=755 scripts/tool-{stage}-{index}.sh /usr/local/bin/",
                        "copy",
                    )
                    inputs.append(context)
                else:
                    text, kind = f"RUN {rng.choice(RUN_COMMANDS)}", "run"
                vertex = Vertex(self.digest(), name(index, text), kind, inputs=inputs)
                vertex.waits = [metadata[BASE_IMAGES[0]]]
                # A step is a cache hit only if what it builds on is (or is an image).
                vertex.cached = (
                    warm
                    and index < bust_at
                    and all(v.cached or v.kind in ("from", "internal") for v in inputs)
                )
                if kind == "run":
                    vertex.duration = int(min(240.0, rng.lognormvariate(0.3, 1.2)) * NS)
                    vertex.log_weight = rng.lognormvariate(0.0, 1.3)
                    vertex.two_runs = not vertex.cached and rng.random() < 0.04
                elif kind == "copy":
                    vertex.duration = rng.randint(15, 900) * MS
                else:
                    vertex.duration = rng.randint(8, 40) * MS
                vertices.append(vertex)
                steps += 1
                previous = vertex
            last_steps.append(previous)
            unreferenced.append(stage)
            stage += 1
            if final:
                unreferenced.remove(stage - 1)
                break

        export = Vertex(self.digest(), "exporting to image", "export")
        export.duration = rng.randint(2000, 9000) * MS
        export.waits = [last_steps[-1]]
        vertices.append(export)
        self._schedule(vertices, jobs=8)
        if fail:
            self._fail(vertices)
        return Plan(vertices, steps, stage)

    def _schedule(self, vertices: list[Vertex], jobs: int) -> None:
        """List scheduling on ``jobs`` workers: the vertex ready first runs first.

        Cache hits take no worker. Ready times only grow, so one pass suffices.
        """
        rng = self.rng
        order = {id(v): i for i, v in enumerate(vertices)}
        waiting = {id(v): len(v.inputs) + len(v.waits) for v in vertices}
        dependents: dict[int, list[Vertex]] = {id(v): [] for v in vertices}
        for vertex in vertices:
            for dependency in vertex.inputs + vertex.waits:
                dependents[id(dependency)].append(vertex)
        ready: list[tuple[int, int, Vertex]] = [
            (START_TIME_NS, order[id(v)], v) for v in vertices if not waiting[id(v)]
        ]
        workers = [START_TIME_NS] * jobs
        while ready:
            at, _, vertex = heapq.heappop(ready)
            at += rng.randint(200_000, 4 * MS)
            if vertex.cached:
                vertex.intervals = [(at, at)]
            else:
                start = max(at, heapq.heappop(workers))
                if vertex.two_runs:
                    # Cache-key computation first, then the real run: two intervals.
                    first_end = start + rng.randint(5, 60) * MS
                    second = first_end + rng.randint(10, 300) * MS
                    vertex.intervals = [(start, first_end), (second, second + vertex.duration)]
                else:
                    vertex.intervals = [(start, start + vertex.duration)]
                heapq.heappush(workers, vertex.intervals[-1][1])
            vertex.end = vertex.intervals[-1][1]
            for dependent in dependents[id(vertex)]:
                waiting[id(dependent)] -= 1
                if not waiting[id(dependent)]:
                    latest = max(v.end for v in dependent.inputs + dependent.waits)
                    heapq.heappush(ready, (latest, order[id(dependent)], dependent))

    def _fail(self, vertices: list[Vertex]) -> None:
        """Fail a late RUN step; cancel what runs at that moment, drop what would follow."""
        runs = [v for v in vertices if v.kind == "run" and not v.cached]
        failing = runs[int(len(runs) * 0.9)]
        command = failing.name.split("] RUN ", 1)[1]
        failing.error = EXIT_ERROR.format(command=command)
        moment = failing.end
        for vertex in vertices:
            if vertex is failing:
                continue
            first_start = vertex.intervals[0][0]
            if first_start > moment or (first_start == moment and not vertex.cached):
                vertex.dropped = True
            elif vertex.end > moment:
                vertex.intervals = [(s, min(e, moment)) for s, e in vertex.intervals if s <= moment]
                vertex.end = moment
                vertex.error = "context canceled"


# -- events and messages ---------------------------------------------------------------

# Events are (time, sequence, kind, payload): kind 0 vertex snapshot, 1 status, 2 log.
EventTuple = tuple[int, int, int, Any]


class StreamWriter:
    def __init__(self, gen: Generator, plan: Plan, one_line: bool, megabytes: float) -> None:
        self.rng = gen.rng
        self.plan = plan
        self.one_line = one_line
        self.target_bytes = int(megabytes * 1024 * 1024)
        self.events: list[EventTuple] = []
        self.sequence = 0
        self.pool = _line_pool(self.rng, 20_000)
        # Prefix sums of line lengths (pool doubled so a run never wraps).
        self.offsets = [0]
        for line in self.pool + self.pool:
            self.offsets.append(self.offsets[-1] + len(line))

    def add(self, at: int, kind: int, payload: Any) -> None:
        self.events.append((at, self.sequence, kind, payload))
        self.sequence += 1

    def snapshot(self, vertex: Vertex, **times: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"digest": vertex.digest}
        if vertex.inputs:
            entry["inputs"] = [v.digest for v in vertex.inputs]
        entry["name"] = vertex.name
        for key, value in times.items():
            entry[key] = value
        return entry

    def vertex_events(self) -> None:
        vertices = self.plan.vertices
        definition = vertices[0]
        announced_at = definition.end + 2 * MS
        for position, vertex in enumerate(vertices):
            # The definition and .dockerignore are announced as they start; the solver
            # announces the whole graph in bulk once the definition is loaded.
            if position < 2:
                at = vertex.intervals[0][0] - 100_000
            else:
                at = announced_at + position * 20_000
            self.add(at, 0, self.snapshot(vertex))
            if vertex.dropped:
                continue
            if vertex.cached:
                t = rfc3339nano(vertex.intervals[0][0])
                self.add(vertex.end, 0, self.snapshot(vertex, started=t, completed=t, cached=True))
                continue
            for number, (start, end) in enumerate(vertex.intervals):
                started = rfc3339nano(start)
                self.add(start, 0, self.snapshot(vertex, started=started))
                last = number == len(vertex.intervals) - 1
                times: dict[str, Any] = {"started": started, "completed": rfc3339nano(end)}
                if last and vertex.error:
                    times["error"] = vertex.error
                self.add(end, 0, self.snapshot(vertex, **times))
            self.status_events(vertex)

    def status_events(self, vertex: Vertex) -> None:
        rng = self.rng
        start, end = vertex.intervals[-1]
        if vertex.name == "[internal] load build context":
            total = rng.randint(20, 400) * 1024 * 1024
            self._progress(vertex, "transferring context:", "transferring", start, end, total, 8)
        elif vertex.kind == "from":
            for _ in range(rng.randint(3, 7)):
                layer = f"sha256:{rng.getrandbits(256):064x}"
                size = rng.randint(100_000, 60_000_000)
                self._progress(vertex, layer, "", start, end, size, 6)
                self._progress(vertex, f"extracting {layer}", "", start, end, size, 2)
        elif vertex.kind == "copy" and rng.random() < 0.3:
            total = rng.randint(10_000, 50_000_000)
            self._progress(vertex, f"copy {vertex.digest[7:19]}", "copying", start, end, total, 4)
        elif vertex.kind == "export":
            self._progress(vertex, "exporting layers", "", start, end, 0, 1)
            image = f"sha256:{rng.getrandbits(256):064x}"
            self._progress(vertex, f"writing image {image}", "", end - 40 * MS, end, 0, 1)
            naming = "naming to docker.io/library/kitprof-bench:latest"
            self._progress(vertex, naming, "", end - 5 * MS, end, 0, 1)

    def _progress(
        self, vertex: Vertex, status_id: str, name: str, start: int, end: int, total: int, n: int
    ) -> None:
        started = rfc3339nano(start)
        for k in range(1, n + 1):
            at = start + (end - start) * k // (n + 1)
            entry: dict[str, Any] = {"id": status_id, "vertex": vertex.digest}
            if name:
                entry["name"] = name
            if total:
                entry["total"] = total
            entry["current"] = total * k // n
            entry["timestamp"] = rfc3339nano(at)
            entry["started"] = started
            if k == n:
                entry["completed"] = rfc3339nano(at)
            self.add(at, 1, entry)

    def log_events(self) -> None:
        """Spread the byte budget left by the graph over the RUN steps' output.

        The budget is reckoned in the indented layout whatever the output layout, so
        that both layouts of a seed hold the very same events (the one-line file is a
        few percent smaller).
        """
        rng = self.rng
        non_log = sum(len(_indented({"vertexes": [e[3]]})) for e in self.events if e[2] == 0)
        non_log += sum(len(_indented({"statuses": [e[3]]})) for e in self.events if e[2] == 1)
        sample = {"vertex": "sha256:" + "0" * 64, "stream": 1, "data": "", "timestamp": "x" * 30}
        # Each entry costs its base64 plus its framing; a message holds ~3 entries.
        framing = len(_indented({"logs": [sample, sample, sample]})) // 3
        budget = max(0, self.target_bytes - non_log - 400)
        runs = [v for v in self.plan.vertices if v.kind == "run" and not v.cached and not v.dropped]
        weights = sum(v.log_weight for v in runs) or 1.0
        pool_size = len(self.pool)
        carry = 0  # what the last chunk of the previous step overshot its share by
        for vertex in runs:
            share = int(budget * vertex.log_weight / weights) + carry
            chunks: list[tuple[int, int, int]] = []  # (first line, lines, stream)
            while share > 0:
                first = rng.randrange(pool_size)
                if rng.random() < 0.55:
                    lines = 1  # a line flushed on its own
                else:
                    # A full pipe buffer: lines up to 0.5–4 KiB.
                    limit = rng.randint(512, 4096)
                    lines = 1
                    while self.offsets[first + lines + 1] - self.offsets[first] <= limit:
                        lines += 1
                size = self.offsets[first + lines] - self.offsets[first]
                share -= 4 * ((size + 2) // 3) + framing
                chunks.append((first, lines, 2 if rng.random() < 0.15 else 1))
            carry = share
            start, end = vertex.intervals[-1]
            span = max(1, end - start)
            times = sorted(start + rng.randrange(span) for _ in chunks)
            for at, (first, lines, stream) in zip(times, chunks, strict=True):
                self.add(at, 2, (vertex.digest, stream, first, lines))

    def _encode(self, message: dict[str, Any]) -> bytes:
        if self.one_line:
            data = orjson.dumps(message)
        else:
            data = orjson.dumps(message, option=orjson.OPT_INDENT_2)
        # Go's json.Encoder escapes HTML characters; none can occur outside strings.
        if b"<" in data or b">" in data or b"&" in data:
            data = data.replace(b"&", b"\\u0026").replace(b"<", b"\\u003c")
            data = data.replace(b">", b"\\u003e")
        return data + b"\n"

    def write(self, out: BinaryIO, fail: bool) -> None:
        rng = self.rng
        self.events.sort(key=lambda e: (e[0], e[1]))
        pool = self.pool + self.pool
        batch: dict[int, list[Any]] = {0: [], 1: [], 2: []}
        batch_digests: set[str] = set()
        batch_start = 0
        limit = 1
        write = out.write
        for at, _, kind, payload in self.events:
            digest: str = payload["digest"] if kind == 0 else payload[0] if kind == 2 else ""
            size = len(batch[0]) + len(batch[1]) + len(batch[2])
            if size and (
                size >= limit
                or at - batch_start > 50 * MS
                or (kind == 0 and digest in batch_digests)
            ):
                write(self._encode(_message(batch)))
                batch = {0: [], 1: [], 2: []}
                batch_digests.clear()
                size = 0
            if not size:
                batch_start = at
                # Logs arrive a few per message; the bulk announcement in larger batches.
                limit = rng.choice((1, 1, 2, 3, 4, 6)) if kind else rng.randint(4, 12)
            if kind == 2:
                vertex, stream, first, lines = payload
                data = base64.b64encode("".join(pool[first : first + lines]).encode()).decode()
                payload = {"vertex": vertex, "stream": stream, "data": data}
                payload["timestamp"] = rfc3339nano(at)
            elif kind == 0:
                batch_digests.add(digest)
            batch[kind].append(payload)
        if any(batch.values()):
            write(self._encode(_message(batch)))
        if fail:
            failing = next(
                v for v in self.plan.vertices if v.error and v.error != "context canceled"
            )
            write(f"ERROR: failed to solve: {failing.error}\n".encode())
        else:
            write(b"1 warning found (use docker --debug to expand):\n")
            write(b" - JSONArgsRecommended: JSON arguments recommended for CMD (line 4210)\n")


def _indented(message: dict[str, Any]) -> bytes:
    return orjson.dumps(message, option=orjson.OPT_INDENT_2)


def _message(batch: dict[int, list[Any]]) -> dict[str, Any]:
    message: dict[str, Any] = {}
    for kind, key in ((0, "vertexes"), (1, "statuses"), (2, "logs")):
        if batch[kind]:
            message[key] = batch[kind]
    return message


def _line_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for _ in range(size):
        template = rng.choice(LINE_TEMPLATES)
        file = rng.choice(WORDS) + "_" + rng.choice(WORDS)
        line = template.format(
            mod=rng.choice(WORDS),
            file=file,
            File=file.title().replace("_", ""),
            pkg=rng.choice(WORDS) + rng.choice(("", "-utils", "lib", "-sys", "js")),
            line=rng.randint(1, 4000),
            col=rng.randint(1, 80),
            n=rng.randint(1, 999),
            pct=rng.randint(0, 100),
            major=rng.randint(0, 12),
            minor=rng.randint(0, 40),
            patch=rng.randint(0, 99),
            size=rng.randint(4, 90_000),
        )
        pool.append(line + "\n")
    return pool


def generate(
    path: Path,
    *,
    steps: int = 5000,
    megabytes: float = 110.0,
    steps_per_stage: int = 25,
    one_line: bool = False,
    fail: bool = False,
    seed: int = 1,
) -> Plan:
    """Write a stream to ``path``; return the plan it was made from."""
    gen = Generator(seed)
    plan = gen.plan(steps, steps_per_stage, fail)
    writer = StreamWriter(gen, plan, one_line, megabytes)
    writer.vertex_events()
    writer.log_events()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        writer.write(out, fail)
    partial.replace(path)
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="file to write")
    parser.add_argument("--steps", type=int, default=5000, help="minimum Dockerfile steps")
    parser.add_argument(
        "--megabytes",
        type=float,
        default=110.0,
        help="approximate size of the indented layout (MiB)",
    )
    parser.add_argument("--steps-per-stage", type=int, default=25)
    parser.add_argument("--one-line", action="store_true", help="buildx >= 0.15 layout")
    parser.add_argument("--fail", action="store_true", help="a step fails near the end")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    plan = generate(
        args.out,
        steps=args.steps,
        megabytes=args.megabytes,
        steps_per_stage=args.steps_per_stage,
        one_line=args.one_line,
        fail=args.fail,
        seed=args.seed,
    )
    size = args.out.stat().st_size
    print(
        f"{args.out}: {size / 1024 / 1024:.1f} MiB, {plan.steps} steps in {plan.stages} stages, "
        f"{len(plan.vertices)} vertices ({time.perf_counter() - began:.1f}s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
