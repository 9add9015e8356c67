"""dashboard/layout/platforms.py: the Platforms card, checked as a component tree."""

from __future__ import annotations

import json
from typing import Any

from dashboard import ids
from dashboard.layout.platforms import platform_cards
from profiler.analysis import analyze
from profiler.sources import read_build
from tests.dashboard.conftest import SAMPLES
from tests.dashboard.test_layout import texts, walk
from tests.streams import parallel_build

SAMPLE = SAMPLES / "multi-platform"


def find(component: Any, component_id: str) -> Any:
    (found,) = [node for node in walk(component) if getattr(node, "id", None) == component_id]
    return found


def text(component: Any) -> str:
    return "".join(texts(component))


def test_the_card_has_a_row_per_platform_then_the_shared_steps() -> None:
    build = read_build(SAMPLE / "cold.rawjson")
    (card,) = platform_cards(build, analyze(build))
    table = find(card, ids.PLATFORM_TABLE)
    rows = table.children[1].children
    facts = json.loads((SAMPLE / "expected.json").read_text())["streams"]["cold.rawjson"]
    cells = [[text(cell) for cell in row.children] for row in rows]
    assert [c[0] for c in cells] == ["linux/386", "linux/amd64", "(shared)"]
    for platform, want in facts["platforms"].items():
        (row,) = [c for c in cells if c[0] == platform]
        assert (int(row[1]), int(row[2])) == (want["steps"], want["cached"])
    figure = find(card, ids.PLATFORM_GRAPH).figure
    assert [trace.name for trace in figure.data] == ["linux/386", "linux/amd64", "shared"]
    # Every timed step is drawn once, in its platform's colour.
    assert sum(len(trace.customdata) for trace in figure.data) == len(build)
    colours = [set(trace.marker.color) for trace in figure.data]
    assert all(len(c) == 1 for c in colours) and len(set.union(*colours)) == 3
    assert "linux/386 was ready last" in text(card)


def test_no_card_below_two_platforms() -> None:
    build = read_build(parallel_build().one_line())
    assert platform_cards(build, analyze(build)) == []
