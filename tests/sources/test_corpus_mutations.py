"""The timing invariants hold on the corpus logs damaged as logs get damaged.

A log cut short (a job killed, a paste that stops), lines lost (a CI viewer that
drops some, a copy that skips a screen), blocks out of order (two streams merged):
kitprof reads what is left into builds that keep lower bound <= wall, critical path
<= wall, sequential >= critical path and every step inside [0, wall], or refuses it
with a clear error. Never a traceback, never a timeline that contradicts itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiler.errors import KitprofError
from profiler.sources import read_builds
from tests.sources.invariants import check_invariants

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# Small logs keep a hypothesis run short; every shape of the corpus is among them.
MAX_BYTES = 120_000


def read_logs() -> list[bytes]:
    logs = []
    for facts_file in sorted(CORPUS.glob("*/facts.json")):
        for name, facts in sorted(json.loads(facts_file.read_text(encoding="utf-8")).items()):
            path = facts_file.parent / name
            if facts["verdict"] == "read" and path.stat().st_size <= MAX_BYTES:
                logs.append(path.read_bytes())
    return logs


LOGS = read_logs()


def holds(data: bytes) -> None:
    try:
        builds = read_builds(data)
    except KitprofError:
        return  # refused with a message: fine for a log damaged beyond reading
    for build in builds:
        check_invariants(build)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(LOGS))
    lines = data.split(b"\n")
    how = draw(st.sampled_from(["cut", "drop", "shuffle"]))
    if how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if how == "drop":
        dropped = set(draw(st.lists(st.integers(0, len(lines) - 1), max_size=40)))
        return b"\n".join(line for index, line in enumerate(lines) if index not in dropped)
    blocks = data.split(b"\n\n")
    order = draw(st.permutations(range(len(blocks)))) if len(blocks) < 60 else None
    if order is None:
        first = draw(st.integers(0, len(blocks) - 1))
        second = draw(st.integers(0, len(blocks) - 1))
        blocks[first], blocks[second] = blocks[second], blocks[first]
        return b"\n\n".join(blocks)
    return b"\n\n".join(blocks[index] for index in order)


def test_there_are_corpus_logs_to_damage() -> None:
    assert len(LOGS) >= 10


def test_the_invariants_hold_on_every_undamaged_corpus_log() -> None:
    for data in LOGS:
        holds(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_the_invariants_hold_on_damaged_corpus_logs(data: bytes) -> None:
    holds(data)
