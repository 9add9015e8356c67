"""The registry of finders: every consumer reads the same list of kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dash import html

from dashboard.layout.suggestions import suggestions_panel
from profiler.dockerfile import read_dockerfile
from profiler.sources import read_build
from profiler.suggest import FINDERS, finder_for, suggest
from profiler.suggest.context import SuggestContext
from profiler.suggest.engine import completed
from tests.dashboard.test_layout import walk
from tests.suggest.test_golden import Case, cases
from tests.test_cli import kitprof

ROOT = Path(__file__).parent.parent.parent
SPLIT = ROOT / "tests" / "integration" / "builds" / "suggest-split"


def test_kinds_are_unique_names_with_a_summary_each() -> None:
    kinds = [f.kind for f in FINDERS]
    assert len(set(kinds)) == len(kinds) == 6
    for finder in FINDERS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", finder.kind)
        assert finder.summary and finder_for(finder.kind) is finder
    assert finder_for("no-such-kind") is None


SENSITIVE = [c for c in cases() if c.name.endswith("sensitive")]


@pytest.mark.parametrize("case", SENSITIVE, ids=lambda c: c.name)
def test_each_finder_finds_its_own_kind_and_the_engine_keeps_what_pays(case: Case) -> None:
    # The sensitive golden cases: every kind of suggestion turns up in some of them.
    build, options = case.build(), case.options()
    dockerfile, previous = case.parsed_dockerfile(), case.previous_build()
    report = suggest(build, dockerfile, previous=previous, options=options)
    if not completed(build):  # failed or cut off: no finder is asked
        assert not report.complete and not report.suggestions
        return
    context = SuggestContext.prepare(build, dockerfile, previous=previous, options=options)
    kept = []
    for finder in FINDERS:
        found = finder.find(context)
        assert {s.kind for s in found} <= {finder.kind}
        kept.extend(s for s in found if context.worth_it(s))
    assert sorted(kept, key=repr) == sorted(report.suggestions, key=repr)


def test_the_readme_names_every_kind_in_its_suggestions_section() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Suggestions", 1)[1].split("\n## ", 1)[0]
    for finder in FINDERS:
        assert f"`{finder.kind}`" in section, finder.kind


def test_kitprof_suggest_lists_the_kinds_without_a_file() -> None:
    result = kitprof("suggest", "--kinds")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines] == [f.kind for f in FINDERS]


def test_the_dashboard_tells_what_a_kind_finds() -> None:
    build = read_build(SPLIT / "recorded" / "recorded.rawjson")
    report = suggest(build, read_dockerfile(SPLIT / "Dockerfile"))
    panel = html.Div(suggestions_panel(report, has_dockerfile=True))
    codes = [n for n in walk(panel) if isinstance(n, html.Code) and n.children == "split-stage"]
    split = finder_for("split-stage")
    assert split is not None
    assert [getattr(c, "title", None) for c in codes] == [split.summary]
