from __future__ import annotations

import io

import pytest

from profiler.analysis.cache import cache_summary
from profiler.analysis.failure import failure_summary, printed_location
from profiler.model import Build
from profiler.sources import read_build
from tests.streams import Stream


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.indented()))


def test_cache_counts_only_dockerfile_steps() -> None:
    stream = (
        Stream()
        .step("i", "[internal] load build context", 0.0, 0.1, cached=True)
        .step("a", "[s 1/4] FROM x", 0.1, 0.1)
        .step("b", "[s 2/4] RUN make", 0.1, 2.0)
        .step("c", "[s 3/4] RUN test", 2.0, 2.0, cached=True)
        .step("d", "[s 4/4] COPY . .", 2.0, 2.0, cached=True)
    )
    summary = cache_summary(build_of(stream))
    # FROM is a source, not a cacheable layer; internal vertices do not count.
    assert (summary.steps, summary.cached, summary.executed) == (3, 2, 1)
    assert summary.hit_ratio == pytest.approx(2 / 3)


def test_failure_names_the_first_failing_step_its_logs_and_cancelled_siblings() -> None:
    stream = (
        Stream()
        .step("deps", "[deps 1/1] FROM x", 0.0, 0.5)
        .vertex("test", "[test 1/1] RUN ./run-tests", inputs=["deps"], started=0.5)
        .log("test", "ok 1 parser\nnot ok 2 model\n", 1.0)
        .vertex("build", "[build 1/1] RUN make", inputs=["deps"], started=0.5)
        .vertex(
            "test",
            "[test 1/1] RUN ./run-tests",
            inputs=["deps"],
            started=0.5,
            completed=1.5,
            error='process "/bin/sh -c ./run-tests" did not complete successfully: exit code: 1',
        )
        .vertex(
            "build",
            "[build 1/1] RUN make",
            inputs=["deps"],
            started=0.5,
            completed=1.6,
            error="context canceled",
        )
        .text("ERROR: failed to solve: process did not complete successfully: exit code: 1")
    )
    failure = failure_summary(build_of(stream))
    assert failure is not None and failure.step is not None
    assert failure.step.digest == "test"
    assert failure.error is not None and "exit code: 1" in failure.error
    assert failure.log_tail == ("ok 1 parser", "not ok 2 model")
    assert [step.digest for step in failure.cancelled] == ["build"]
    assert failure.cancelled_seconds == pytest.approx(1.1)
    assert failure.messages[0].startswith("ERROR: failed to solve")


def test_no_failure_summary_for_a_clean_build() -> None:
    assert failure_summary(build_of(Stream().step("a", "[s 1/1] RUN a", 0.0, 1.0))) is None


def test_a_printed_location_needs_its_rule_and_lines() -> None:
    rule = "-" * 20
    assert printed_location(("Dockerfile:3", rule, "   3 | >>> RUN x", rule)) is not None
    assert printed_location(("Dockerfile:3", "   3 | >>> RUN x")) is None
    assert printed_location(("Dockerfile:3", rule, "ERROR: x")) is None
    spanned = printed_location(("ci/Dockerfile:4-5", rule, "4 | >>> RUN a \\", "5 | >>>  b"))
    assert spanned is not None and spanned.label() == "ci/Dockerfile:4-5"
    assert [m for _, _, m in spanned.excerpt()] == [True, True]
