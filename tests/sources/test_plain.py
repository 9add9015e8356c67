"""Plain progress logs (``--progress=plain``): parsing, inference, and closeness to rawjson.

The recordings in sample_builds/plain-logs/ are pairs: the plain log and the rawjson
stream of the same Dockerfile, built cold one after the other (RECORDED.md there).
"""

from __future__ import annotations

import gzip
import io
import random
import re
from pathlib import Path

import pytest

from profiler.analysis import BuildAnalysis, analyze
from profiler.errors import StreamError
from profiler.model import Build, StepStatus
from profiler.names import StepKind
from profiler.render.json_report import report_dict
from profiler.sources import read_build
from profiler.sources.plain import (
    NOTE_INFERRED,
    NOTE_TIMESTAMPED,
    read_plain,
    read_plain_builds,
    read_plain_chunks,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
LOGS = SAMPLES / "plain-logs"


def plain(text: str) -> Build:
    return read_plain_chunks([text.encode()])


def step(build: Build, fragment: str):  # type: ignore[no-untyped-def]
    found = [s for s in build if fragment in s.name]
    assert len(found) == 1, [s.name for s in build]
    return found[0]


def critical_stages(build: Build, analysis: BuildAnalysis) -> list[str]:
    """Stages along the critical path (Dockerfile steps, FROM left out: its name varies)."""
    stages: list[str] = []
    for digest in analysis.critical_path:
        found = build.step(digest)
        timed = found.kind is StepKind.STEP and found.parsed.instruction != "FROM"
        if timed and (not stages or stages[-1] != found.stage_key):
            stages.append(found.stage_key)
    return stages


# -- the recorded logs ----------------------------------------------------------------


def test_read_build_recognises_plain_logs_and_flags_them() -> None:
    build = read_build(LOGS / "parallel-stages.plain")
    assert build.approximate and NOTE_INFERRED in build.approximations
    assert build.started_at is None  # no clock in the log
    stamped = read_build(LOGS / "parallel-stages.gha.log")
    assert NOTE_TIMESTAMPED in stamped.approximations
    assert build.source_format == "plain" and stamped.source_format == "plain"
    assert stamped.started_at is not None and stamped.started_at.year == 2026
    assert not read_build(LOGS / "parallel-stages.rawjson").approximate


def test_a_gzipped_plain_log(tmp_path: Path) -> None:
    packed = tmp_path / "build.log.gz"
    packed.write_bytes(gzip.compress((LOGS / "failing-test.plain").read_bytes()))
    assert report_dict(*_analysed(read_build(packed))) == report_dict(
        *_analysed(read_build(LOGS / "failing-test.plain"))
    )


def _analysed(build: Build) -> tuple[Build, BuildAnalysis]:
    return build, analyze(build)


def test_the_parallel_build() -> None:
    build = read_plain(LOGS / "parallel-stages.plain")
    assert all(s.status is StepStatus.DONE for s in build)
    backend = step(build, "[backend 2/3]")
    assert backend.duration == pytest.approx(4.1, abs=0.01)  # "#15 DONE 4.1s"
    assert "compiling backend/module8.c" in "\n".join(backend.log_lines())
    # log lines are dated by their offsets from the step's start
    assert backend.logs[-1].time == pytest.approx(backend.start + 3.619, abs=1e-6)
    tools = step(build, "[tools 1/1]")
    # tools ran beside backend: both start when base is done
    assert tools.start == pytest.approx(step(build, "[base 4/4]").end, abs=0.11)
    assert [s.name for s in build.inputs_of(step(build, "[final 3/5]"))] == [
        step(build, "[final 2/5]").name,
        step(build, "[backend 3/3]").name,
    ]


def test_the_cached_rebuild() -> None:
    build = read_plain(LOGS / "parallel-stages-cached.plain")
    steps = [s for s in build if s.kind is StepKind.STEP and s.parsed.instruction != "FROM"]
    assert len(steps) == 14 and all(s.status is StepStatus.CACHED and s.cached for s in steps)
    assert analyze(build).cache.hit_ratio == 1.0


def test_the_failed_build() -> None:
    build = read_plain(LOGS / "failing-test.plain")
    failed = step(build, "[test 2/2]")
    assert failed.status is StepStatus.FAILED
    assert (
        failed.error == "executor failed running [/bin/sh -c sh ./tests/run-tests.sh]: exit code: 1"
    )
    assert "test_checkout FAILED" in "\n".join(failed.log_lines())
    assert step(build, "[build 1/1]").status is StepStatus.CANCELLED
    assert build.messages[-1].startswith("ERROR: failed to solve:")
    # the recap between the "------" lines is not read as more log lines
    number = failed.digest.removeprefix("plain:")
    lines = (LOGS / "failing-test.plain").read_text().splitlines()
    offset = re.compile(rf"#{number} \d+\.\d+ ")
    assert len(failed.log_lines()) == sum(1 for line in lines if offset.match(line))
    assert len(failed.log_lines()) + 2 == sum(1 for line in lines if line.startswith(f"#{number} "))
    analysis = analyze(build)
    assert analysis.failure is not None and analysis.failure.step == failed


def test_the_interrupted_build() -> None:
    build = read_plain(LOGS / "cancelled.plain")
    assert step(build, "[left 1/1]").status is StepStatus.CANCELLED
    assert step(build, "[right 1/1]").status is StepStatus.CANCELLED
    assert step(build, "[right 1/1]").error == "context canceled"
    # cancelled together: both end when the build was stopped
    assert step(build, "[left 1/1]").end == step(build, "[right 1/1]").end


# Wall time and critical path against the rawjson of the same Dockerfile. The pairs
# are separate cold builds, which differ by ~0.1-0.2 s themselves. (log, Dockerfile
# given, tolerance on wall and critical path time, critical path stages must match)
CLOSENESS = [
    ("parallel-stages.plain", True, 0.05, True),
    ("parallel-stages.plain", False, 0.05, True),
    ("parallel-stages.gha.log", False, 0.05, True),
    ("failing-test.plain", False, 0.05, True),
    ("failing-test.gha.log", False, 0.05, True),
    ("cancelled.plain", False, 0.06, True),
    ("many-stages.plain", True, 0.05, True),
    ("many-stages.gha.log", True, 0.05, True),
    ("many-stages.gha.log", False, 0.05, True),
    # Without the Dockerfile and without timestamps a stage's base stage is ambiguous
    # in a wide fan-out: kitprof takes the earliest schedule the output allows.
    ("many-stages.plain", False, 0.30, False),
]


@pytest.mark.parametrize(
    ("log", "with_dockerfile", "tolerance", "same_path"),
    CLOSENESS,
    ids=[f"{c[0]}{'+Dockerfile' if c[1] else ''}" for c in CLOSENESS],
)
def test_close_to_the_rawjson_of_the_same_build(
    log: str, with_dockerfile: bool, tolerance: float, same_path: bool
) -> None:
    sample = log.split(".")[0]
    exact = read_build(LOGS / f"{sample}.rawjson")
    dockerfile = SAMPLES / sample / "Dockerfile" if with_dockerfile else None
    approximate = read_plain(LOGS / log, dockerfile=dockerfile)
    a, b = analyze(exact), analyze(approximate)
    assert b.wall_seconds == pytest.approx(a.wall_seconds, rel=tolerance)
    assert b.critical_path_seconds == pytest.approx(a.critical_path_seconds, rel=tolerance)
    if same_path:
        assert critical_stages(approximate, b) == critical_stages(exact, a)
    else:
        assert any("guessed" in note for note in approximate.approximations)


def test_chunk_boundaries_do_not_matter() -> None:
    data = (LOGS / "many-stages.gha.log").read_bytes()
    whole = report_dict(*_analysed(read_plain_chunks([data])))
    cuts = sorted(random.Random(7).sample(range(1, len(data)), 40))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    assert report_dict(*_analysed(read_plain_chunks(pieces))) == whole


# -- the format, line by line -----------------------------------------------------------

INTERLEAVED = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 1.53kB done
#1 DONE 0.0s

#2 [a 1/2] FROM docker.io/library/alpine:3
#2 DONE 0.1s

#3 [a 2/2] RUN make slow
#3 0.100 slow: one
#3 ...

#4 [b 1/1] RUN make fast
#4 0.050 fast: done
#4 DONE 1.0s

#3 [a 2/2] RUN make slow
#3 2.500 slow: two
#3 DONE 3.0s

#5 [c 2/2] COPY --from=a /out /out
#5 DONE

#6 exporting to image
#6 exporting layers 0.2s done
#6 DONE 0.2s
"""


def test_interleaved_steps() -> None:
    build = plain(INTERLEAVED)
    slow, fast = step(build, "make slow"), step(build, "make fast")
    assert slow.duration == 3.0 and fast.duration == 1.0
    assert [s.name for s in build.inputs_of(slow)] == ["[a 1/2] FROM docker.io/library/alpine:3"]
    assert slow.log_lines() == ["slow: one", "slow: two"]
    # the sub-status is not a log line nor a new step
    assert len(build) == 6 and step(build, "load build definition").logs == ()
    # "DONE" without a time: a step that took no measurable time
    copy = step(build, "COPY --from=a")
    assert copy.duration == 0.0 and slow.digest in copy.inputs
    assert step(build, "exporting").start == pytest.approx(copy.end)


def test_ci_timestamp_prefixes_github_and_gitlab() -> None:
    github = "\n".join(
        [
            "2026-03-01T12:00:00.0000000Z #1 [internal] load build definition from Dockerfile",
            "2026-03-01T12:00:00.5000000Z #1 DONE 0.5s",
            "2026-03-01T12:00:00.5100000Z ",
            "2026-03-01T12:00:00.6000000Z #2 [1/2] RUN sleep 2",
            "2026-03-01T12:00:02.6500000Z #2 DONE 2.0s",
        ]
    )
    build = plain(github)
    assert build.started_at is not None and build.started_at.isoformat().startswith(
        "2026-03-01T12:00:00"
    )
    run = step(build, "RUN sleep 2")
    assert run.start == pytest.approx(0.6) and run.end == pytest.approx(2.6)
    gitlab = github.replace("Z #", "Z 00O #").replace("Z \n", "Z 00O+\n")
    assert report_dict(*_analysed(plain(gitlab))) == report_dict(*_analysed(build))


def test_ansi_colours_and_crlf_are_ignored() -> None:
    coloured = "\x1b[34m#1 [1/1] RUN true\x1b[0m\r\n#1 \x1b[32mDONE 0.3s\x1b[0m\r\n"
    build = plain(coloured)
    assert step(build, "RUN true").duration == pytest.approx(0.3)


def test_a_log_with_two_builds_gives_both() -> None:
    text = INTERLEAVED + "\n" + INTERLEAVED.replace("make slow", "make other")
    first, second = read_plain_builds([text.encode()])
    assert len(first) == len(second) == 6
    assert any("make other" in s.name for s in second)
    assert "build 2 of 2 in this log" in second.notes


def test_a_log_that_starts_mid_build() -> None:
    build = plain("#7 0.100 tail of a log\n#7 DONE 1.0s\n\n#8 [x 2/2] RUN next\n#8 DONE 0.5s\n")
    assert step(build, "#7").duration == 1.0
    assert any("header is not in the log" in note for note in build.notes)
    assert step(build, "[x 2/2]").start == pytest.approx(1.0)


def test_a_killed_build_leaves_started_steps_unfinished() -> None:
    build = plain("#1 [1/2] RUN a\n#1 DONE 1.0s\n\n#2 [2/2] RUN b\n#2 0.700 working\n")
    assert step(build, "RUN b").status is StepStatus.UNFINISHED
    assert build.stream_end == pytest.approx(1.7)


def test_text_without_progress_lines_is_refused() -> None:
    with pytest.raises(StreamError, match="no BuildKit progress found"):
        plain("hello\nERROR: something else\n")


def test_binary_file_object_input() -> None:
    data = (LOGS / "cancelled.plain").read_bytes()
    assert len(read_plain(io.BytesIO(data))) == len(read_plain(LOGS / "cancelled.plain"))


def test_a_bake_log_of_two_targets() -> None:
    build = read_plain(LOGS / "bake.plain", dockerfile=SAMPLES / "bake-two-targets" / "Dockerfile")
    assert {s.target for s in build if s.target} == {"api", "web"}
    # one vertex shared by both targets, printed under each name with the same number
    metadata = step(build, "[api internal] load metadata")
    assert metadata.names == (
        "[api internal] load metadata for docker.io/kitprof/busybox:latest",
        "[web internal] load metadata for docker.io/kitprof/busybox:latest",
    )
    # the exporter ran once per target
    assert len(step(build, "exporting to image").intervals) == 2
    # api's step after WORKDIR depends on the WORKDIR printed under web's name, and
    # (a COPY of the context) on api's context upload
    copy = step(build, "[api base 3/4]")
    assert [s.name for s in build.inputs_of(copy)] == [
        "[web base 2/4] WORKDIR /app",
        "[api internal] load build context",
    ]
    analysis = analyze(build)
    assert analysis.wall_seconds == pytest.approx(5.9, abs=0.01)
    assert critical_stages(build, analysis) == ["base", "web"]


CONTEXT_UPLOAD = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/alpine:3
#2 DONE 1.0s

#3 [internal] load .dockerignore
#3 DONE 0.0s

#4 [internal] load build context
#4 transferring context: 120.5MB 10.1s
#4 ...

#5 [1/3] FROM docker.io/library/alpine:3@sha256:abc
#5 DONE 0.5s

#4 [internal] load build context
#4 transferring context: 612.0MB 50.0s done
#4 DONE 50.0s

#6 [2/3] COPY . .
#6 DONE 0.2s

#7 [3/3] RUN make
#7 DONE 2.0s

#8 exporting to image
#8 DONE 0.1s
"""


def test_a_slow_context_upload_is_on_the_critical_path() -> None:
    build = plain(CONTEXT_UPLOAD)
    context, copy = step(build, "load build context"), step(build, "COPY . .")
    frm = step(build, "FROM docker.io/library/alpine")
    # as BuildKit schedules: COPY of the context waits for its upload, FROM for its
    # image's metadata, and the metadata load runs beside the upload, not before it
    assert {s.name for s in build.inputs_of(copy)} == {frm.name, context.name}
    assert [s.name for s in build.inputs_of(frm)] == [step(build, "load metadata").name]
    assert copy.start is not None and context.end is not None
    assert copy.start >= context.end - 0.01
    analysis = analyze(build)
    assert context.digest in analysis.critical_path
    # .dockerignore's outcome is printed after the metadata's: the upload starts at 1.0
    assert analysis.wall_seconds == pytest.approx(1.0 + 50.0 + 0.2 + 2.0 + 0.1, abs=0.05)
