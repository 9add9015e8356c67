"""Detection by content: what an input is, whatever it is called, however far in."""

from __future__ import annotations

import pytest

from profiler.sources.detect import Format, detect


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'#0 building with "default"\n\n#1 [internal] load build definition\n', Format.PLAIN),
        (b"2026-03-01T12:00:00.0000000Z #1 [internal] load build\n", Format.PLAIN),
        (b"Run docker/build-push-action@v6\nsome output\n#1 [internal] load build\n", Format.PLAIN),
        (b'{\n  "vertexes": [\n', Format.RAWJSON),
        (b'WARNING: x\n{\n  "vertexes": []\n}\n', Format.RAWJSON),
        (b'{"statuses":[{"id":"a"}]}\n', Format.RAWJSON),
        (b'npm notice\n{"audit": "ok"}\n#1 [internal] load build definition\n', Format.PLAIN),
        (b'{"hello": "world"}\n', Format.RAWJSON),  # JSON: the rawjson reader says what it is
        (b"", Format.EMPTY),
        (b"\n\n  \n", Format.EMPTY),
        (b"# a comment\n#\n", Format.NOT_A_BUILD_LOG),
        (b"Step 1/12 : FROM alpine\n ---> 1234abcd\n", Format.CLASSIC_BUILDER),
        (b"[1/2] STEP 1/3: FROM alpine AS base\n", Format.PODMAN),
        (b"STEP 1/3: FROM alpine\n", Format.PODMAN),
        (
            b"\x1b[1A\x1b[0G\x1b[?25l[+] Building 0.1s (2/3)\n => [internal] load\n",
            Format.TTY_PROGRESS,
        ),
        (b" => [base 1/3] FROM docker.io/library/alpine\n", Format.TTY_PROGRESS),
        # A classic build first, then a BuildKit one: the one kitprof reads wins.
        (b"Step 1/2 : FROM alpine\n#1 [internal] load build definition\n", Format.PLAIN),
    ],
)
def test_formats_by_content(data: bytes, expected: Format) -> None:
    assert detect([data]).format is expected


def test_a_line_split_across_chunks_is_seen_whole() -> None:
    data = b"x" * 100 + b"\n#1 [internal] load build definition from Dockerfile\n"
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    found = detect(pieces)
    assert found.format is Format.PLAIN and found.line == 2


def test_the_first_build_line_after_megabytes_of_other_output() -> None:
    noise = b"2026-03-01T12:00:00.0000000Z npm http fetch GET 200 https://registry.invalid/x\n"
    count = 5 * 1024 * 1024 // len(noise) + 1
    data = noise * count + b"2026-03-01T12:00:01.0000000Z #1 [internal] load build definition\n"
    chunks = (data[i : i + 65536] for i in range(0, len(data), 65536))
    found = detect(chunks)
    assert found.format is Format.PLAIN and found.line == count + 1


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x9c\x11\x00\n#5 |}s\xd9\x02\xe9 wv\x035v\n\xfe\xfa",  # invalid UTF-8 after "#5 "
        b"\x01\x02\n#5 [base 1/2] FROM x\x00y\n",  # a NUL in the line
    ],
)
def test_binary_bytes_holding_a_progress_shape_are_not_a_plain_log(garbage: bytes) -> None:
    # Random data holds "\n#5 " now and then (4 MiB of it, one time in thirty): read
    # with errors replaced, such a line made a "build" of one garbage-named step.
    assert detect([garbage]).format is Format.NOT_A_BUILD_LOG


def test_a_progress_line_in_utf8_text_still_decides() -> None:
    assert detect([b"#5 [base 1/2] FROM caf\xc3\xa9\n"]).format is Format.PLAIN
