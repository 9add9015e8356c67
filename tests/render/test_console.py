"""The analyze report in a terminal: the failure first, long tables cut to their top
rows with a line saying how many were left out, every row with ``top=None``."""

from __future__ import annotations

import io

from rich.console import Console

from profiler.analysis import analyze
from profiler.model import Build
from profiler.render.console import TOP_ROWS, render_report
from profiler.sources import read_build
from tests.streams import Stream

STAGES = 25


def chain_build(*, fail: bool = False) -> Build:
    return read_build(chain_stream(fail=fail).one_line())


def chain_stream(*, fail: bool = False) -> Stream:
    """``STAGES`` stages of two steps, one after the other (every step on the critical
    path); stage k's RUN takes 1 + k/10 s. With ``fail`` the last RUN fails and three
    steps waiting beside it are cancelled."""
    stream = Stream()
    clock = 0.0
    previous: list[str] = []
    for k in range(STAGES):
        base, run = f"sha256:b{k}", f"sha256:r{k}"
        stream.step(base, f"[s{k:02d} 1/2] FROM docker.io/library/alpine:3", clock, clock + 0.1,
                    inputs=previous)  # fmt: skip
        duration = 1 + k / 10
        last = k == STAGES - 1
        stream.step(run, f"[s{k:02d} 2/2] RUN make part{k}", clock + 0.1, clock + 0.1 + duration,
                    inputs=[base], error="exit code: 2" if fail and last else None)  # fmt: skip
        clock += 0.1 + duration
        previous = [run]
    if fail:
        for n in range(3):
            stream.vertex(f"sha256:c{n}", f"[side 1/3] RUN wait {n}", started=0.5,
                          completed=clock, error="context canceled")  # fmt: skip
    return stream


def report(build: Build, top: int | None = TOP_ROWS) -> str:
    out = io.StringIO()
    render_report(build, analyze(build), Console(file=out, width=200), top)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def test_long_tables_show_their_top_rows_and_say_how_many_are_left_out() -> None:
    build = chain_build()
    analysis = analyze(build)
    path = len(analysis.critical_path)
    assert path > TOP_ROWS and len(build.stages) == STAGES
    text = report(build)
    assert f"Stages (the {TOP_ROWS} busiest of {STAGES})" in text
    assert f"{STAGES - TOP_ROWS} more stages not shown (--all shows every one)" in text
    assert f"Critical path (its {TOP_ROWS} longest steps of {path})" in text
    assert f"{path - TOP_ROWS} more steps on the critical path not shown" in text
    # The busiest stages and longest steps are the last ones (their RUN is longest).
    stages = text.split("Stages (")[1]
    assert all(f"s{k:02d}" in stages for k in range(STAGES - TOP_ROWS, STAGES))
    assert not any(f"s{k:02d}" in stages for k in range(STAGES - TOP_ROWS))
    path_table = text.split("Critical path (")[1].split("Slowest steps")[0]
    assert "RUN make part24" in path_table and "RUN make part0 " not in path_table


def test_every_row_with_top_none() -> None:
    build = chain_build()
    short, full = report(build), report(build, None)
    assert "not shown" not in full
    stages = full.split("\nStages\n")[1]
    assert all(f"s{k:02d}" in stages for k in range(STAGES))
    assert "Stages\n" in full and "Critical path\n" in full
    assert len(full.splitlines()) > len(short.splitlines()) + 2 * (STAGES - TOP_ROWS)


def test_the_failure_comes_before_the_tables() -> None:
    text = report(chain_build(fail=True), top=2)
    assert text.index("Failure") < text.index("Critical path")
    assert "failed: [s24 2/2] RUN make part24" in text
    assert "cancelled: 3 steps" in text
    assert "1 more cancelled steps not shown" in text


def test_a_short_build_is_shown_whole() -> None:
    build = read_build(Stream().step("sha256:a", "[a 1/1] RUN true", 0.0, 1.0).one_line())
    text = report(build)
    assert "not shown" not in text and "Slowest steps (top 1)" in text
    assert "1 steps (+0 internal/export)" in text
