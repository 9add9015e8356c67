"""Real public build logs (tests/corpus/): the facts read off each log by hand hold.

Every ``tests/corpus/<group>/facts.json`` entry is one case (the layout and the facts
are described in the corpus's PROVENANCE.md). A log kitprof reads gives the builds the
facts list, each with its steps, cache hits, longest ``DONE``, failing step and error,
and a wall time within what the log's own durations or timestamps allow; the timing
invariants hold on every one. A log kitprof refuses makes ``kitprof analyze`` exit 1
with one line naming what the file is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from profiler.analysis import analyze
from profiler.model import Step, StepStatus
from profiler.sources import Format, UnsupportedInput, read_builds
from tests.sources.invariants import SECONDS, check_invariants

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
REFUSAL_WORDS = {
    "classic-builder": "classic builder",
    "podman": "podman",
    "tty-progress": "--progress=tty",
    "not-a-build-log": "not a BuildKit build log",
}


def corpus_cases() -> list[Any]:
    cases = []
    for facts_file in sorted(CORPUS.glob("*/facts.json")):
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
        for name, fact in sorted(facts.items()):
            path = facts_file.parent / name
            cases.append(pytest.param(path, fact, id=f"{facts_file.parent.name}/{name}"))
    return cases


CASES = corpus_cases()
READ = [case for case in CASES if case.values[1]["verdict"] == "read"]
REFUSED = [case for case in CASES if case.values[1]["verdict"] == "refused"]


def test_the_corpus_is_there_and_every_log_has_its_facts() -> None:
    logs = {path.relative_to(CORPUS) for path in CORPUS.glob("*/*.log")}
    with_facts = {case.values[0].relative_to(CORPUS) for case in CASES}
    assert len(READ) >= 30, "issue 12 asks for at least 30 real BuildKit logs"
    assert REFUSED, "the refusals need real logs of other builders too"
    assert logs == with_facts


def same_name(found: str, expected: str) -> bool:
    """A build's name as the facts give it: an image may be given with its registry
    (``docker.io/library/``) or not, and with any of the tags it was given."""
    found, expected = _repository(found), _repository(expected)
    return expected in found or found in expected


def _repository(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    return image[: len(image) - len(tail)] + tail.split(":", 1)[0]


def longest_done(step: Step) -> float:
    """The longest printed duration of a step: its longest completed interval."""
    return max(
        (interval.end - interval.start for interval in step.intervals if interval.end is not None),
        default=0.0,
    )


@pytest.mark.parametrize(("path", "facts"), READ)
def test_a_corpus_log_is_read_as_its_facts_say(path: Path, facts: dict[str, Any]) -> None:
    builds = read_builds(path)
    expected_builds = facts["builds"]
    assert len(builds) == len(expected_builds), [b.notes for b in builds]
    for build, expected in zip(builds, expected_builds, strict=True):
        names = sorted(step.name for step in build)
        assert len(build.steps) == expected["steps"], names
        if expected["name"] is not None:
            assert build.name is not None
            assert same_name(build.name, expected["name"]), (build.name, expected["name"])
        cached = [step for step in build if step.status is StepStatus.CACHED]
        assert len(cached) == expected["cached"], [step.name for step in cached]

        done = [step for step in build if step.status is StepStatus.DONE]
        if expected["longest_done"] is None:
            assert not any(longest_done(step) > SECONDS for step in done)
        else:
            seconds = expected["longest_done"]["seconds"]
            longest = max((longest_done(step) for step in done), default=0.0)
            assert longest == pytest.approx(seconds, abs=SECONDS)
            named = [s for s in build if s.name == expected["longest_done"]["step"]]
            assert any(longest_done(step) == pytest.approx(seconds, abs=SECONDS) for step in named)

        failed = [step for step in build if step.status is StepStatus.FAILED]
        if expected["failed_step"] is None:
            assert not failed, [step.name for step in failed]
        else:
            # A multi-platform build may fail on each platform: the facts name one.
            named = [step for step in failed if step.name == expected["failed_step"]]
            assert named, [step.name for step in failed]
            assert any(expected["error"] in (step.error or "") for step in named)
        wall = analyze(build).wall_seconds
        assert expected["wall_min"] - SECONDS <= wall <= expected["wall_max"] + SECONDS
        check_invariants(build)


def kitprof(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("path", "facts"), REFUSED)
def test_a_corpus_log_of_another_builder_is_refused_saying_what_it_is(
    path: Path, facts: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedInput) as refused:
        read_builds(path)
    assert refused.value.format is Format(facts["refusal"])
    result = kitprof("analyze", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert REFUSAL_WORDS[facts["refusal"]] in lines[0]
    if facts["refusal"] == "not-a-build-log":
        assert "rawjson" in lines[0] and "plain" in lines[0]
