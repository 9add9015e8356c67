"""A failed build's error with its source location, from the record's ``externalError``.

``sample_builds/failing-test/modern/failed.dockerbuild``: ``[test 2/2] RUN sh
./tests/run-tests.sh`` exits 1. Read by hand from its
``application/vnd.googeapis.google.rpc.status+proto`` layer: code 2, the message,
three Go stacks, an ``errdefs.Source`` (``Dockerfile``, lines 13-13, the file's
text), an ``errdefs.Vertex`` (sha256:234030cb…) and an ``ExitMessage`` (``Code`` 1).
The record has no provenance layer: a failed build keeps none.
"""

from __future__ import annotations

from pathlib import Path

from profiler.analysis import analyze
from profiler.record import LineRange
from profiler.sources import read_build
from profiler.sources.errorproto import SOURCE, read_failure

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
FAILED = SAMPLES / "failing-test" / "modern" / "failed.dockerbuild"
MESSAGE = 'process "/bin/sh -c sh ./tests/run-tests.sh" did not complete successfully: exit code: 1'


def test_the_record_names_the_failed_vertex_its_exit_code_and_its_lines() -> None:
    build = read_build(FAILED)
    assert build.record is not None
    failure = build.record.failure
    assert failure is not None
    assert failure.message == MESSAGE
    assert failure.exit_code == 1
    failed = build.step(failure.vertex or "")
    assert failed.name == "[test 2/2] RUN sh ./tests/run-tests.sh"
    assert failed.status.value == "failed"
    location = failure.location
    assert location is not None
    assert location.filename == "Dockerfile"
    assert location.lines == (LineRange(13, 13),)
    assert location.label() == "Dockerfile:13"
    dockerfile = (SAMPLES / "failing-test" / "Dockerfile").read_text()
    assert location.text == dockerfile
    assert dockerfile.splitlines()[12] == "RUN sh ./tests/run-tests.sh"


def test_the_excerpt_is_the_one_buildx_printed_under_the_stream() -> None:
    build = read_build(FAILED)
    assert build.record is not None and build.record.failure is not None
    location = build.record.failure.location
    assert location is not None
    excerpt = location.excerpt()
    # the rawjson stream of the same build ends with buildx's own excerpt
    stream = (FAILED.with_suffix(".rawjson")).read_text().splitlines()
    start = stream.index("Dockerfile:13") + 2
    printed = stream[start : start + len(excerpt)]
    assert [f"{n:>4} | {'>>>' if marked else '   '} {text}" for n, text, marked in excerpt] == (
        printed
    )
    assert [(n, marked) for n, _, marked in excerpt] == [
        (11, False), (12, False), (13, True), (14, False), (15, False),
    ]  # fmt: skip


def test_a_failed_record_without_provenance_still_gives_its_dockerfile_and_failed_line() -> None:
    build = read_build(FAILED)
    assert build.record is not None
    assert build.record.dockerfile_text == (SAMPLES / "failing-test" / "Dockerfile").read_text()
    failure = analyze(build).failure
    assert failure is not None and failure.step is not None
    assert build.record.step_lines[failure.step.digest] == (LineRange(13, 13),)
    assert failure.location is not None and failure.location.label() == "Dockerfile:13"
    assert failure.exit_code == 1


def test_the_rawjson_stream_gives_the_location_buildx_printed_after_it() -> None:
    # buildx 0.29 prints the record's excerpt under the stream: the same place, the
    # same lines (no exit code: only the record has it)
    record = analyze(read_build(FAILED)).failure
    stream = analyze(read_build(FAILED.with_suffix(".rawjson"))).failure
    assert record is not None and stream is not None
    assert stream.location is not None and record.location is not None
    assert stream.location.label() == "Dockerfile:13"
    assert stream.location.text is None
    assert stream.location.excerpt() == record.location.excerpt()
    assert stream.exit_code is None
    # buildx 0.13 on dockerd 20.10 prints no excerpt
    legacy = analyze(read_build(SAMPLES / "failing-test" / "failed.rawjson")).failure
    assert legacy is not None and legacy.location is None


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_bad_or_partial_statuses_give_what_they_hold() -> None:
    assert read_failure(b"\x12\x05hi", None) is None  # cut inside a field
    assert read_failure(b"", "from the config") is not None
    only_message = read_failure(_field(2, b"boom"))
    assert only_message is not None and only_message.message == "boom"
    assert only_message.location is None and only_message.vertex is None
    source = b'{"info":{"filename":"ci.Dockerfile"},"ranges":[{"start":{"line":4}}]}'
    detail = _field(1, SOURCE.encode()) + _field(2, source)
    located = read_failure(_field(2, b"boom") + _field(3, detail))
    assert located is not None and located.location is not None
    assert located.location.label() == "ci.Dockerfile:4"
    assert located.location.excerpt() == ()  # no text to show
    broken = _field(1, SOURCE.encode()) + _field(2, b"{not json")
    assert read_failure(_field(2, b"boom") + _field(3, broken)).location is None  # type: ignore[union-attr]
