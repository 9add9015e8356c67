"""The one entry point: any input (path, bytes, stream, -) to a list of builds."""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path

import pytest

from profiler.errors import InputError, StreamError
from profiler.model import Build
from profiler.sources import (
    SeveralBuilds,
    UnsupportedInput,
    build_heading,
    read_build,
    read_builds,
    read_input,
    select_build,
)
from profiler.sources.detect import Format

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
LOGS = SAMPLES / "plain-logs"
PLAIN = LOGS / "parallel-stages.plain"
RAWJSON = SAMPLES / "parallel-stages" / "cold.rawjson"


def steps_of(build: Build) -> list[tuple[str, float]]:
    return [(step.name, round(step.duration, 6)) for step in build]


def test_path_bytes_and_stream_give_the_same_build() -> None:
    for sample in (PLAIN, RAWJSON):
        by_path = read_build(sample)
        data = sample.read_bytes()
        assert steps_of(read_build(data)) == steps_of(by_path)
        assert steps_of(read_build(io.BytesIO(data))) == steps_of(by_path)
        assert steps_of(read_build(str(sample))) == steps_of(by_path)


def test_the_format_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    # GIVEN a plain log called .rawjson, and gzip'd plain log called .txt
    misnamed = tmp_path / "build.rawjson"
    misnamed.write_bytes(PLAIN.read_bytes())
    packed = tmp_path / "build.txt"
    packed.write_bytes(gzip.compress(PLAIN.read_bytes()))
    # THEN both are read as the plain log they are
    expected = steps_of(read_build(PLAIN))
    for path in (misnamed, packed):
        build = read_build(path)
        assert build.source_format == Format.PLAIN and build.approximate
        assert steps_of(build) == expected
    exact = read_build(RAWJSON)
    assert exact.source_format == Format.RAWJSON and not exact.approximate


def test_byte_order_marks_and_utf16_from_powershell(tmp_path: Path) -> None:
    text = PLAIN.read_text(encoding="utf-8")
    expected = steps_of(read_build(PLAIN))
    utf8_bom = codecs.BOM_UTF8 + text.encode("utf-8")
    # PowerShell's `>` writes UTF-16LE with a BOM and CRLF line ends.
    utf16 = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")
    for data in (utf8_bom, utf16, gzip.compress(utf16)):
        build = read_build(data)
        assert steps_of(build) == expected
        assert not build.steps[0].name.startswith("\ufeff")


def test_read_input_keeps_the_bytes_as_found_but_gunzipped(tmp_path: Path) -> None:
    packed = tmp_path / "log.gz"
    packed.write_bytes(gzip.compress(PLAIN.read_bytes()))
    assert read_input(packed) == PLAIN.read_bytes() == read_input(PLAIN.read_bytes())


def test_the_first_build_line_after_megabytes_of_ci_output(tmp_path: Path) -> None:
    noise = b"2026-03-01T12:00:00.0000000Z Collecting some-package==1.0 (from -r x.txt)\n"
    log = tmp_path / "job.log"
    with log.open("wb") as out:
        out.write(noise * (6 * 1024 * 1024 // len(noise)))
        out.write(PLAIN.read_bytes())
    assert log.stat().st_size > 6 * 1024 * 1024
    assert steps_of(read_build(log)) == steps_of(read_build(PLAIN))


@pytest.mark.parametrize(
    ("text", "refusal", "says"),
    [
        ("Step 1/3 : FROM alpine\n ---> 1234abcd\n", Format.CLASSIC_BUILDER, "DOCKER_BUILDKIT=1"),
        ("[1/2] STEP 1/3: FROM alpine AS base\n", Format.PODMAN, "podman/buildah"),
        ("[+] Building 1.2s (3/8)\n => [base 1/3] FROM alpine\n", Format.TTY_PROGRESS, "tty"),
        ("hello\nworld\n", Format.NOT_A_BUILD_LOG, "--progress=rawjson"),
    ],
)
def test_other_builders_are_refused_saying_what_they_are(
    text: str, refusal: Format, says: str
) -> None:
    with pytest.raises(UnsupportedInput) as caught:
        read_builds(text.encode())
    assert caught.value.format is refusal
    assert says in str(caught.value)
    if refusal is Format.NOT_A_BUILD_LOG:
        assert "--progress=plain" in str(caught.value)  # names every format it reads


def test_empty_and_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(StreamError, match="empty input"):
        read_builds(b"")
    with pytest.raises(InputError, match="cannot read"):
        read_builds(tmp_path / "missing.log")


def two_builds() -> bytes:
    return (LOGS / "parallel-stages.plain").read_bytes() + (
        LOGS / "failing-test.plain"
    ).read_bytes()


def test_a_log_of_two_builds_gives_both_in_order() -> None:
    first, second = read_builds(two_builds())
    assert steps_of(first) == steps_of(read_build(LOGS / "parallel-stages.plain"))
    assert steps_of(second) == steps_of(read_build(LOGS / "failing-test.plain"))
    # The failure of the second build is kept with it.
    assert any(message.startswith("ERROR") for message in second.messages)
    assert not any(message.startswith("ERROR") for message in first.messages)


def test_one_build_asked_of_several_says_how_to_choose() -> None:
    with pytest.raises(SeveralBuilds, match=r"holds 2 builds: choose one with --build N"):
        read_build(two_builds())


def test_select_build_by_number_or_name() -> None:
    builds = read_builds(two_builds())
    assert select_build(builds, "2") is builds[1]
    assert builds[0].name is not None  # the log names the image it exports
    assert select_build(builds, builds[0].name) is builds[0]
    with pytest.raises(InputError, match="no build 3"):
        select_build(builds, "3")
    with pytest.raises(InputError, match="no build named 'nope'"):
        select_build(builds, "nope")
    assert build_heading(builds[1], 2, 2) == "build 2 of 2"
