"""Bytes of a CI log to clean lines: encodings, line ends and every carrier's prefix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profiler.sources.logtext import LineCleaner, LogLine, clean_lines, decode_lines

BUILD_LINES = [
    '#0 building with "default" instance using docker driver',
    "",
    "#1 [internal] load build definition from Dockerfile",
    "#1 DONE 0.1s",
]
BUILD = "".join(f"{line}\n" for line in BUILD_LINES)


def texts(data: bytes, *, split: int | None = None) -> list[str]:
    chunks = [data] if split is None else [data[i : i + split] for i in range(0, len(data), split)]
    return [line.text for line in clean_lines(chunks)]


def one(raw: str) -> LogLine:
    line = LineCleaner().clean(raw)
    assert line is not None
    return line


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# -- encodings and line ends ------------------------------------------------------------


@pytest.mark.parametrize("split", [None, 1, 3, 7])
def test_utf8_bom_is_dropped_and_never_reaches_the_first_line(split: int | None) -> None:
    assert texts(b"\xef\xbb\xbf" + BUILD.encode(), split=split) == BUILD_LINES


@pytest.mark.parametrize("split", [None, 1, 5])
def test_powershell_redirect_utf16le_with_bom_and_crlf(split: int | None) -> None:
    data = b"\xff\xfe" + BUILD.replace("\n", "\r\n").encode("utf-16-le")
    assert texts(data, split=split) == BUILD_LINES


def test_utf16le_without_bom_is_recognised_by_its_nul_bytes() -> None:
    assert texts(BUILD.encode("utf-16-le")) == BUILD_LINES


@pytest.mark.parametrize("split", [None, 1, 2])
def test_crlf_split_between_chunks_is_one_line_end_and_lone_cr_ends_a_line(
    split: int | None,
) -> None:
    data = b"#1 [internal] load\r\n#1 DONE 0.1s\r#2 [1/2] FROM a\r\n"
    assert texts(data, split=split) == ["#1 [internal] load", "#1 DONE 0.1s", "#2 [1/2] FROM a"]


def test_a_short_input_and_an_empty_one() -> None:
    assert texts(b"#1 x") == ["#1 x"]
    assert texts(b"") == []


def test_undecodable_bytes_are_replaced_not_fatal() -> None:
    assert texts(b"#1 [1/2] RUN echo \xff\xfe\xfd ok\n") == [
        "#1 [1/2] RUN echo \ufffd\ufffd\ufffd ok"
    ]


def test_a_bom_inside_concatenated_files_is_dropped() -> None:
    assert list(decode_lines([b"#1 a\n\xef\xbb\xbf#1 DONE 0.1s\n"]))[1] == "\ufeff#1 DONE 0.1s"
    assert texts(b"#1 a\n\xef\xbb\xbf#1 DONE 0.1s\n") == ["#1 a", "#1 DONE 0.1s"]


def test_progress_is_reported_per_chunk() -> None:
    seen: list[int] = []
    list(decode_lines([b"#1 a\n", b"#1 DONE 0.1s\n"], seen.append))
    assert seen == [5, 13]


# -- prefixes -------------------------------------------------------------------------


def test_github_actions_timestamp_is_kept_as_the_time() -> None:
    line = one("2024-05-01T10:00:00.1234567Z #5 [2/3] RUN make")
    assert line.text == "#5 [2/3] RUN make"
    assert line.dated and line.time == pytest.approx(epoch("2024-05-01T10:00:00") + 0.1234567)


def test_gitlab_stream_tag_and_a_zone_offset() -> None:
    line = one("2024-05-01T12:00:00.500000+02:00 00O+ #5 DONE 1.2s")
    assert line.text == "#5 DONE 1.2s"
    assert line.time == pytest.approx(epoch("2024-05-01T10:00:00") + 0.5)


def test_workflow_commands_are_stripped_and_their_text_kept() -> None:
    assert one("2024-05-01T10:00:00.0000000Z ##[group]Run docker build .").text == (
        "Run docker build ."
    )
    assert one("##[endgroup]").text == ""
    assert one("##[error]ERROR: failed to solve: boom").text == "ERROR: failed to solve: boom"


def test_jenkins_timestamper_iso_and_time_of_day() -> None:
    line = one("[2024-05-01T10:00:00.123Z] #5 DONE 1.2s")
    assert (line.text, line.dated) == ("#5 DONE 1.2s", True)
    assert line.time == pytest.approx(epoch("2024-05-01T10:00:00") + 0.123)
    clock = one("[10:00:01] #6 [3/3] COPY . .")
    assert (clock.text, clock.time, clock.dated) == ("#6 [3/3] COPY . .", 36001.0, False)


def test_a_time_of_day_that_crosses_midnight_keeps_counting() -> None:
    cleaner = LineCleaner()
    times = [cleaner.clean(raw) for raw in ("23:59:59 #1 a", "00:00:01 #1 DONE 2.0s")]
    assert [line.time for line in times if line is not None] == [86399.0, 86401.0]


def test_buildkite_marker_gives_milliseconds_since_the_epoch() -> None:
    line = one("\x1b_bk;t=1700000000123\x07#5 0.123 hello")
    assert (line.text, line.time) == ("#5 0.123 hello", pytest.approx(1700000000.123))


def test_compose_service_prefix_names_the_channel() -> None:
    line = one("api  | #5 [2/3] RUN x")
    assert (line.text, line.channel) == ("#5 [2/3] RUN x", "api")


def test_act_job_prefix_including_its_blank_lines() -> None:
    cleaner = LineCleaner()
    first = cleaner.clean('[CI/Build image   ]   | #0 building with "default" instance')
    blank = cleaner.clean("[CI/Build image   ]   | ")
    assert first is not None and blank is not None
    assert (first.text, first.channel) == ('#0 building with "default" instance', "CI/Build image")
    assert blank.text == ""


def test_a_pipe_in_ordinary_output_is_left_alone() -> None:
    assert one("foo | bar").text == "foo | bar"
    assert one("#5 0.1 a | b").text == "#5 0.1 a | b"


def test_indented_and_quoted_pastes() -> None:
    assert one("    #3 [internal] load metadata").text == "#3 [internal] load metadata"
    assert one("> > #3 DONE 0.2s").text == "#3 DONE 0.2s"
    # The build's own output after the vertex mark keeps its spaces.
    assert one("    #8 0.106   indented output").text == "#8 0.106   indented output"


def test_powershell_native_command_error_wrapping() -> None:
    line = one('docker : #0 building with "desktop-linux" instance using docker driver')
    assert line.text == '#0 building with "desktop-linux" instance using docker driver'
    assert not one("    + CategoryInfo : NotSpecified: (#0 building wit...:String) []").is_vertex


def test_web_ui_copy_line_numbers() -> None:
    assert one("123#5 [1/2] FROM docker.io/library/alpine").text == (
        "#5 [1/2] FROM docker.io/library/alpine"
    )
    assert one("12 #5 DONE 0.1s").text == "#5 DONE 0.1s"
    assert one("7   2024-05-01T10:00:00.0000000Z #5 DONE 0.1s").text == "#5 DONE 0.1s"
    assert LineCleaner().clean("42") is None  # a number alone on its line


def test_ansi_escapes_are_removed() -> None:
    assert one("\x1b[36m#5 [2/3]\x1b[0m RUN x\x1b[K").text == "#5 [2/3] RUN x"


def test_nested_prefixes_in_one_line() -> None:
    line = one("2024-05-01T10:00:00.0000000Z     api  | #5 DONE 0.1s")
    assert (line.text, line.channel, line.dated) == ("#5 DONE 0.1s", "api", True)


def test_the_first_build_line_after_megabytes_of_other_output() -> None:
    filler = b"npm WARN deprecated something@1.0.0: use another thing\n" * 40_000
    chunks = [filler[i : i + 65_536] for i in range(0, len(filler), 65_536)]
    chunks.append(BUILD.encode())
    lines = [line for line in clean_lines(chunks) if line.is_vertex]
    assert len(filler) > 2_000_000
    assert [line.text for line in lines] == [t for t in BUILD_LINES if t]


def test_a_dockerfile_excerpt_line_is_not_a_channel() -> None:
    # BuildKit's error context: "  50 |     " is line 50 of the Dockerfile, not a service.
    cleaner = LineCleaner()
    excerpt = cleaner.clean("  50 |     ")
    assert excerpt is not None and excerpt.channel is None
    compose = cleaner.clean("api  | #5 DONE 0.1s")
    blank = cleaner.clean("api  | ")
    assert compose is not None and blank is not None
    assert (compose.channel, blank.channel, blank.text) == ("api", "api", "")
