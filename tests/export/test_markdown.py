"""The CI job summary: headline, critical path, slowest steps, suggestions, Mermaid gantt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from profiler.export.markdown import markdown_summary, md, mermaid_name
from tests.export.evil import IMG, PIPE, SCRIPT, evil_build, evil_suggestions
from tests.export.samples import PLAIN_LOGS, SAMPLES, read, sample_streams, stream_id

MERMAID_TASK = re.compile(r"^    [A-Za-z0-9 _./-]+ :(?:(?:crit|done), )*s\d+, (\d+), (\d+)$")


def mermaid_block(text: str) -> list[str]:
    start = text.index("```mermaid\n")
    end = text.index("\n```", start + 1)
    return text[start:end].splitlines()[1:]


@pytest.mark.parametrize("path", sample_streams(), ids=stream_id)
def test_every_sample_has_a_well_formed_mermaid_gantt(path: Path) -> None:
    build, analysis = read(path)
    lines = mermaid_block(markdown_summary(build, analysis))
    header = ["gantt", "    title Stages (critical path in red)", "    dateFormat x"]
    assert lines[:4] == [*header, "    axisFormat %M:%S"]
    keywords = ("gantt", "    title", "    dateFormat", "    axisFormat", "    section")
    tasks = [line for line in lines if not line.startswith(keywords)]
    assert tasks, "no stage in the gantt"
    for task in tasks:
        match = MERMAID_TASK.match(task)
        assert match, task
        assert int(match.group(1)) < int(match.group(2))


def test_the_summary_of_the_parallel_build() -> None:
    build, analysis = read(SAMPLES / "parallel-stages" / "cold.rawjson")
    text = markdown_summary(build, analysis)
    assert text.startswith("## kitprof build report\n")
    assert "| wall | critical path | lower bound | sequential | parallelism | cached |" in text
    assert "### Critical path" in text and "### Slowest steps (top 5)" in text
    assert "### Suggestions" in text
    # backend is the critical stage: red in the gantt, frontend is not
    gantt = "\n".join(mermaid_block(text))
    assert re.search(r"backend :crit, ", gantt)
    assert re.search(r"frontend :s\d", gantt)


def test_a_cached_build_marks_its_stages_done() -> None:
    build, analysis = read(SAMPLES / "parallel-stages" / "cached.rawjson")
    gantt = "\n".join(mermaid_block(markdown_summary(build, analysis)))
    assert re.search(r"backend :(crit, )?done, ", gantt)


def test_bake_targets_are_gantt_sections() -> None:
    build, analysis = read(SAMPLES / "bake-two-targets" / "bake.rawjson")
    gantt = mermaid_block(markdown_summary(build, analysis))
    assert "    section api" in gantt and "    section web" in gantt


def test_failure_and_approximate_notes() -> None:
    build, analysis = read(PLAIN_LOGS / "failing-test.plain")
    text = markdown_summary(build, analysis)
    assert "> [!CAUTION]\n> Failed: &#91;test 2/2&#93; RUN sh ./tests/run-tests.sh" in text
    assert "> [!NOTE]\n> Approximate" in text


def test_names_cannot_inject_markup(tmp_path: Path) -> None:
    build = evil_build(tmp_path)
    text = markdown_summary(build, suggestions=evil_suggestions(build))
    outside_diff = re.sub(r"```diff\n.*?```", "", text, flags=re.DOTALL)
    assert IMG not in outside_diff and SCRIPT not in outside_diff
    assert PIPE not in outside_diff  # a pipe would split a table cell
    # the suggestion's diff is code: fenced, shown as it is
    assert f"-RUN {IMG}" in text
    assert "1. **move &#60;img" in text


def test_escaping_helpers() -> None:
    assert md("a|b <c> *d* `e` [f](g) $h$") == (
        "a&#124;b &#60;c&#62; &#42;d&#42; &#96;e&#96; &#91;f&#93;(g) &#36;h&#36;"
    )
    assert md("x" * 200).endswith("…") and len(md("x" * 200)) == 80
    assert mermaid_name("(internal)") == "internal"
    assert mermaid_name("we:ird#name;") == "we_ird_name_"
