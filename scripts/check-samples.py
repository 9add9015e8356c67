#!/usr/bin/env python3
"""Check the recorded sample streams in sample_builds/ against their expected.json.

Standard library only and independent of the profiler package on purpose: it is
the recording side's own proof that each stream holds the facts its expected.json
claims, so a re-recording (scripts/record-samples) that breaks a fact is noticed
at once.  It is not kitprof's parser.

    scripts/check-samples.py                  # check every sample
    scripts/check-samples.py parallel-stages  # check some
    scripts/check-samples.py --summary ...    # also print each step's duration

Exit status 0 when all facts hold, 1 otherwise.  The keys are documented in
sample_builds/README.md.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import sys
from datetime import datetime
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_builds"

# "[stage 2/4] RUN ...", "[2/4] RUN ...", bake: "[api base 2/4] RUN ..."
STEP_RE = re.compile(
    r"^\[(?:(?P<target>[^\s\]]+) )?(?P<stage>[^\s\]]+) +(?P<i>\d+)/(?P<n>\d+)\] (?P<cmd>.*)$", re.S
)
STEP_NOSTAGE_RE = re.compile(
    r"^\[(?:(?P<target>[^\s\]]+) )?\s*(?P<i>\d+)/(?P<n>\d+)\] (?P<cmd>.*)$", re.S
)


def parse_time(s: str | None) -> float | None:
    if not s:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        raise ValueError(f"bad timestamp {s!r}")
    base, frac, tz = m.groups()
    tz = "+00:00" if tz == "Z" else tz
    dt = datetime.fromisoformat(base + tz)
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def decode_stream(text: str) -> tuple[list[dict], list[str], bool]:
    """Objects, non-JSON lines, and whether the stream ends in a truncated object.

    Accepts both layouts: indented multi-line objects (buildx < 0.15) and one
    object per line (buildx >= 0.15)."""
    dec = json.JSONDecoder()
    objs: list[dict] = []
    other: list[str] = []
    truncated = False
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        if text[pos] == "{":
            try:
                obj, end = dec.raw_decode(text, pos)
            except json.JSONDecodeError:
                rest = text[pos:]
                if "\n}\n" not in rest and not rest.rstrip().endswith("}"):
                    truncated = True
                    break
                eol = text.find("\n", pos)
                eol = n if eol < 0 else eol
                other.append(text[pos:eol])
                pos = eol + 1
                continue
            objs.append(obj)
            pos = end
        else:
            eol = text.find("\n", pos)
            eol = n if eol < 0 else eol
            other.append(text[pos:eol])
            pos = eol + 1
    return objs, other, truncated


class Vertex:
    def __init__(self, digest: str):
        self.digest = digest
        self.name = ""
        self.names: list[str] = []
        self.inputs: list[str] = []
        self.cached = False
        self.error = ""
        self.intervals: dict[float, float | None] = {}
        self.started_seen = False
        self.logs: list[tuple[int, bytes]] = []

    def update(self, v: dict) -> None:
        name = v.get("name", "")
        if name and name not in self.names:
            self.names.append(name)
        if "started" not in v and self.started_seen:
            return  # an announcement never overwrites a started vertex
        self.name = name or self.name
        self.inputs = v.get("inputs", self.inputs) or self.inputs
        self.cached = bool(v.get("cached", False))
        self.error = v.get("error", "")
        st = parse_time(v.get("started"))
        if st is not None:
            self.started_seen = True
            self.intervals[st] = parse_time(v.get("completed"))

    @property
    def completed(self) -> bool:
        return bool(self.intervals) and all(c is not None for c in self.intervals.values())

    def duration(self) -> float:
        spans = sorted((s, c) for s, c in self.intervals.items() if c is not None)
        total, cur_s, cur_e = 0.0, None, None
        for s, e in spans:
            if cur_e is None or s > cur_e:
                if cur_e is not None:
                    total += cur_e - cur_s
                cur_s, cur_e = s, e
            else:
                cur_e = max(cur_e, e)
        if cur_e is not None:
            total += cur_e - cur_s
        return total

    def first_start(self) -> float | None:
        return min(self.intervals) if self.intervals else None

    def last_end(self) -> float | None:
        ends = [c for c in self.intervals.values() if c is not None]
        return max(ends) if ends else None

    def step(self) -> dict | None:
        m = STEP_RE.match(self.name)
        if m:
            return m.groupdict()
        m = STEP_NOSTAGE_RE.match(self.name)
        if m:
            d = m.groupdict()
            d["stage"] = ""
            return d
        return None

    def log_text(self) -> str:
        return b"".join(d for _, d in self.logs).decode("utf-8", "replace")


class Build:
    def __init__(self, path: Path):
        self.path = path
        self.text = read_text(path)
        self.objs, self.other_lines, self.truncated = decode_stream(self.text)
        self.vertices: dict[str, Vertex] = {}
        self.order: list[str] = []
        for obj in self.objs:
            for v in obj.get("vertexes") or []:
                d = v["digest"]
                if d not in self.vertices:
                    self.vertices[d] = Vertex(d)
                    self.order.append(d)
                self.vertices[d].update(v)
            for lg in obj.get("logs") or []:
                d = lg["vertex"]
                if d not in self.vertices:
                    self.vertices[d] = Vertex(d)
                    self.order.append(d)
                self.vertices[d].logs.append(
                    (lg.get("stream", 1), base64.b64decode(lg.get("data", "")))
                )

    @property
    def layout(self) -> str:
        first = self.text.lstrip()[:2]
        return "indented" if first in ("{\n", "{\r") else "one-line"

    def all(self) -> list[Vertex]:
        return [self.vertices[d] for d in self.order]

    def steps(self) -> list[Vertex]:
        return [v for v in self.all() if v.step() is not None]

    def stages(self) -> list[str]:
        out: list[str] = []
        for v in self.steps():
            for name in v.names:
                v2 = Vertex("x")
                v2.name = name
                st = v2.step()
                if st and st["stage"] and st["stage"] not in out:
                    out.append(st["stage"])
        return out

    def targets(self) -> list[str]:
        out: list[str] = []
        for v in self.all():
            for name in v.names:
                m = re.match(r"^\[([^\s\]]+)(?: [^\]]*)?\]", name)
                m2 = STEP_RE.match(name)
                t = None
                if m2 and m2.group("target"):
                    t = m2.group("target")
                elif (
                    m
                    and not STEP_RE.match(name)
                    and m.group(1) not in ("internal", "auth")
                    and (
                        re.match(r"^\[([^\s\]]+) internal\]", name)
                        or re.match(r"^\[([^\s\]]+)\] ", name)
                    )
                ):
                    t = m.group(1)
                if t and t not in out:
                    out.append(t)
        return out

    def wall(self) -> float:
        starts = [v.first_start() for v in self.all() if v.first_start() is not None]
        ends = [v.last_end() for v in self.all() if v.last_end() is not None]
        return (max(ends) - min(starts)) if starts and ends else 0.0

    def stage_span(self, stage: str) -> tuple[float, float, float]:
        """(first start, last end, summed step duration) of a stage's executed steps."""
        vs = [v for v in self.steps() if (v.step() or {}).get("stage") == stage and v.intervals]
        starts = [v.first_start() for v in vs]
        ends = [v.last_end() for v in vs if v.last_end() is not None]
        return (
            min(starts) if starts else 0.0,
            max(ends) if ends else 0.0,
            sum(v.duration() for v in vs),
        )

    def critical_path_stages(self) -> list[str]:
        """Stages along the chain of latest-finishing inputs, ending at the step
        that finished last (FROM steps skipped: their name depends on the run)."""
        done = [v for v in self.steps() if v.last_end() is not None]
        if not done:
            return []
        cur = max(done, key=lambda v: v.last_end())
        chain: list[str] = []
        seen = set()
        while cur is not None and cur.digest not in seen:
            seen.add(cur.digest)
            st = cur.step()
            if (
                st
                and st["stage"]
                and not st["cmd"].startswith("FROM ")
                and (not chain or chain[-1] != st["stage"])
            ):
                chain.append(st["stage"])
            ins = [
                self.vertices[d]
                for d in cur.inputs
                if d in self.vertices and self.vertices[d].last_end() is not None
            ]
            cur = max(ins, key=lambda v: v.last_end()) if ins else None
        return list(reversed(chain))

    def find(self, contains: str) -> list[Vertex]:
        return [v for v in self.all() if any(contains in n for n in v.names)]


def fail(errors: list[str], msg: str) -> None:
    errors.append(msg)


def check_stream(build: Build, exp: dict) -> list[str]:
    errs: list[str] = []
    steps = build.steps()
    stage_steps = [v for v in steps if not v.step()["cmd"].startswith("FROM ")]

    if "layout" in exp and build.layout != exp["layout"]:
        fail(errs, f"layout {build.layout} != {exp['layout']}")
    if "truncated" in exp and build.truncated != exp["truncated"]:
        fail(errs, f"truncated {build.truncated} != {exp['truncated']}")
    wanted_line = exp.get("error_line_contains")
    if wanted_line and not any(wanted_line in line for line in build.other_lines):
        fail(errs, f"no non-JSON line contains {wanted_line!r}: {build.other_lines}")
    if exp.get("no_error_line") and any(line.startswith("ERROR") for line in build.other_lines):
        fail(errs, f"unexpected ERROR line {build.other_lines}")
    if "stages" in exp and sorted(build.stages()) != sorted(exp["stages"]):
        fail(errs, f"stages {build.stages()} != {exp['stages']}")
    for st in exp.get("unnamed_stages", []):
        if not re.fullmatch(r"stage-\d+", st) or st not in build.stages():
            fail(errs, f"unnamed stage {st} missing")
    for st in exp.get("stages_not_built", []):
        if st in build.stages():
            fail(errs, f"stage {st} appears but should not be built")
    if "targets" in exp and sorted(build.targets()) != sorted(exp["targets"]):
        fail(errs, f"targets {build.targets()} != {exp['targets']}")
    if "step_count" in exp and len(stage_steps) != exp["step_count"]:
        fail(errs, f"step_count {len(stage_steps)} != {exp['step_count']}")
    if "cached_step_count" in exp:
        n = sum(1 for v in stage_steps if v.cached)
        if n != exp["cached_step_count"]:
            fail(errs, f"cached_step_count {n} != {exp['cached_step_count']}")
    if "all_steps_cached" in exp:
        allc = bool(stage_steps) and all(v.cached for v in stage_steps)
        if allc != exp["all_steps_cached"]:
            fail(errs, f"all_steps_cached {allc} != {exp['all_steps_cached']}")
    if "critical_stage" in exp:
        # the parallel stage whose work ends last
        par = exp.get("parallel_stages") or build.stages()
        ends = {s: build.stage_span(s)[1] for s in par}
        crit = max(ends, key=ends.get)
        if crit != exp["critical_stage"]:
            fail(errs, f"critical_stage {crit} != {exp['critical_stage']} ({ends})")
    if (
        "critical_path_stages" in exp
        and build.critical_path_stages() != exp["critical_path_stages"]
    ):
        fail(
            errs,
            f"critical_path_stages {build.critical_path_stages()} != {exp['critical_path_stages']}",
        )
    if exp.get("parallel_stages"):
        spans = {s: build.stage_span(s) for s in exp["parallel_stages"]}
        latest_start = max(s[0] for s in spans.values())
        earliest_end = min(s[1] for s in spans.values())
        if not latest_start < earliest_end:
            fail(errs, f"parallel_stages do not overlap in time: {spans}")
    if "wall_seconds_min" in exp and build.wall() < exp["wall_seconds_min"]:
        fail(errs, f"wall {build.wall():.2f}s < {exp['wall_seconds_min']}")
    if "wall_seconds_max" in exp and build.wall() > exp["wall_seconds_max"]:
        fail(errs, f"wall {build.wall():.2f}s > {exp['wall_seconds_max']}")
    for sub, lo in (exp.get("step_min_seconds") or {}).items():
        vs = build.find(sub)
        if not vs:
            fail(errs, f"no step contains {sub!r}")
        elif vs[0].duration() < lo:
            fail(errs, f"step {sub!r} took {vs[0].duration():.2f}s < {lo}")
    if exp.get("failed_step_contains"):
        failed = [v for v in build.all() if v.error and not v.error.endswith("context canceled")]
        if not failed or not any(exp["failed_step_contains"] in n for v in failed for n in v.names):
            fail(
                errs,
                f"failed steps {[v.name for v in failed]} "
                f"do not contain {exp['failed_step_contains']!r}",
            )
        elif (
            exp.get("failed_error_contains") and exp["failed_error_contains"] not in failed[0].error
        ):
            fail(errs, f"error {failed[0].error!r} lacks {exp['failed_error_contains']!r}")
    for sub in exp.get("cancelled_steps_contain", []):
        vs = build.find(sub)
        if not vs or not vs[0].error.endswith("context canceled"):
            fail(errs, f"step {sub!r} not cancelled ({[v.error for v in vs]})")
    if "failed_step_count" in exp:
        failed = [v for v in build.all() if v.error and not v.error.endswith("context canceled")]
        if len(failed) != exp["failed_step_count"]:
            fail(errs, f"failed_step_count {len(failed)} != {exp['failed_step_count']}")
    for sub in exp.get("cached_steps_contain", []):
        vs = build.find(sub)
        if not vs or not vs[0].cached:
            fail(errs, f"step {sub!r} is not cached")
    if exp.get("longest_step_contains"):
        longest = max(steps, key=lambda v: v.duration())
        if exp["longest_step_contains"] not in longest.name:
            fail(errs, f"longest step is {longest.name!r}")
    for sub in exp.get("started_unfinished_steps_contain", []):
        vs = build.find(sub)
        if not vs or not vs[0].intervals or vs[0].completed:
            fail(errs, f"step {sub!r} is not started-and-unfinished")
    for off in exp.get("timestamp_offsets_include", []):
        pat = (
            r'"(?:started|completed|timestamp)":\s*"[^"]*'
            + ("Z" if off == "Z" else re.escape(off))
            + '"'
        )
        if not re.search(pat, build.text):
            fail(errs, f"no timestamp with offset {off}")
    if "zero_timestamps_present" in exp:
        has = "0001-01-01T00:00:00Z" in build.text
        if has != exp["zero_timestamps_present"]:
            fail(errs, f"zero_timestamps_present {has} != {exp['zero_timestamps_present']}")
    for sub in exp.get("unfinished_steps_contain", []):
        vs = build.find(sub)
        if not vs or vs[0].completed:
            fail(errs, f"step {sub!r} is not unfinished")
    for sub, text in (exp.get("log_contains") or {}).items():
        vs = build.find(sub)
        if not vs or text not in vs[0].log_text():
            fail(errs, f"log of {sub!r} lacks {text!r}")
    if exp.get("stderr_log_steps_contain"):
        for sub in exp["stderr_log_steps_contain"]:
            vs = build.find(sub)
            if not vs or not any(s == 2 for s, _ in vs[0].logs):
                fail(errs, f"step {sub!r} has no stderr log")
    for sub, n in (exp.get("names_per_vertex") or {}).items():
        vs = build.find(sub)
        if not vs or len(vs[0].names) != n:
            fail(errs, f"vertex {sub!r} names {[v.names for v in vs]} != {n} names")
    for sub in exp.get("names_contain", []):
        if not build.find(sub):
            fail(errs, f"no vertex name contains {sub!r}")
    errs.extend(check_platforms(build, exp))
    if exp.get("secret_value"):
        if exp["secret_value"] in build.text:
            fail(errs, "secret value appears in the raw stream")
        for v in build.all():
            if exp["secret_value"] in v.log_text():
                fail(errs, "secret value appears in a decoded log")
    return errs


PLATFORM_RE = re.compile(r"^\[(?:\S+ )*?(?P<platform>[a-z0-9]+/[a-z0-9_]+(?:/v\d+)?) ")


def platform_of(v: Vertex) -> str | None:
    m = PLATFORM_RE.match(v.name)
    return m.group("platform") if m else None


def check_platforms(build: Build, exp: dict) -> list[str]:
    """The multi-platform facts: per platform, its vertices, its steps (no FROM) and
    how many were cached; the vertices of no platform; inputs across platforms."""
    errs: list[str] = []
    for platform, want in (exp.get("platforms") or {}).items():
        mine = [v for v in build.all() if platform_of(v) == platform]
        steps = [v for v in mine if (v.step() or {"cmd": "FROM "})["cmd"][:5] != "FROM "]
        got = {"vertices": len(mine), "steps": len(steps), "cached": sum(v.cached for v in steps)}
        for key, value in want.items():
            if got.get(key) != value:
                fail(errs, f"{platform}: {key} {got.get(key)} != {value}")
    if "shared_names" in exp:
        shared = sorted(v.name for v in build.all() if platform_of(v) is None)
        if shared != sorted(exp["shared_names"]):
            fail(errs, f"vertices of no platform {shared} != {sorted(exp['shared_names'])}")
    for sub, dep in (exp.get("inputs_across_platforms") or {}).items():
        vs = build.find(sub)
        names = [build.vertices[d].name for v in vs for d in v.inputs if d in build.vertices]
        if not any(dep in name for name in names):
            fail(errs, f"{sub!r} has no input named {dep!r} (inputs: {names})")
    if "last_platform" in exp:
        ends = {}
        for v in build.all():
            p, end = platform_of(v), v.last_end()
            if p is not None and end is not None:
                ends[p] = max(ends.get(p, end), end)
        last = max(ends, key=lambda p: ends[p]) if ends else None
        if last != exp["last_platform"]:
            fail(errs, f"platform finishing last {last} != {exp['last_platform']}")
    return errs


def summary(build: Build) -> str:
    lines = [
        f"  layout={build.layout} objects={len(build.objs)} truncated={build.truncated} "
        f"wall={build.wall():.2f}s other_lines={build.other_lines}",
        f"  stages={build.stages()} targets={build.targets()} "
        f"critical_path={build.critical_path_stages()}",
    ]
    for v in build.all():
        flags = []
        if v.cached:
            flags.append("CACHED")
        if v.error:
            flags.append("ERROR " + v.error[:70])
        if not v.completed:
            flags.append("UNFINISHED")
        extra = f" (also: {v.names[1:]})" if len(v.names) > 1 else ""
        lines.append(f"  {v.duration():6.2f}s  {v.name[:90]}{extra} {' '.join(flags)}")
    return "\n".join(lines)


def recorded_exit_codes() -> dict[str, int]:
    tsv = SAMPLES / "recordings.tsv"
    out: dict[str, int] = {}
    if tsv.is_file():
        for line in tsv.read_text().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) >= 2:
                out[cols[0]] = int(cols[1])
    return out


def main(argv: list[str]) -> int:
    show = "--summary" in argv
    codes = recorded_exit_codes()
    names = [a for a in argv if not a.startswith("--")]
    dirs = (
        [SAMPLES / n for n in names]
        if names
        else sorted(p for p in SAMPLES.iterdir() if (p / "expected.json").is_file())
    )
    bad = 0
    for d in dirs:
        exp_all = json.loads((d / "expected.json").read_text())
        for fname, exp in exp_all["streams"].items():
            build = Build(d / fname)
            errs = check_stream(build, exp)
            key = f"{d.name}/{fname}"
            if "exit_code" in exp and key in codes and codes[key] != exp["exit_code"]:
                errs.append(
                    f"recorded exit code {codes[key]} != {exp['exit_code']} (recordings.tsv)"
                )
            status = "ok  " if not errs else "FAIL"
            print(f"{status} {d.name}/{fname}  wall {build.wall():.2f}s")
            for e in errs:
                print(f"     - {e}")
            if show:
                print(summary(build))
            bad += bool(errs)
    print(f"{'all facts hold' if not bad else f'{bad} stream(s) with failed facts'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
