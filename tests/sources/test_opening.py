from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from profiler.errors import InputError, StreamError
from profiler.sources import read_build
from tests.streams import Stream, parallel_build


def test_gzip_is_recognised_by_content(tmp_path: Path) -> None:
    plain = tmp_path / "build.rawjson"
    plain.write_bytes(parallel_build().indented())
    zipped = tmp_path / "build.log"  # the name does not say gzip; the bytes do
    zipped.write_bytes(gzip.compress(parallel_build().indented()))
    assert read_build(plain).steps == read_build(zipped).steps


def test_truncated_gzip_keeps_what_was_complete(tmp_path: Path) -> None:
    stream = Stream()
    for index in range(300):
        stream.step(f"d{index}", f"[s 1/1] RUN step {index}", index, index + 1)
        stream.log(f"d{index}", f"output of step {index} " * 50, index + 0.5)
    data = gzip.compress(stream.indented())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[: len(data) // 2])
    build = read_build(cut)
    assert 0 < len(build.steps) < 300
    # Every step kept is whole: none invented from a half-read event.
    assert all(step.end == step.start + 1 for step in build.steps[:-1])


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"garbage" * 10)
    with pytest.raises(StreamError, match="not a valid gzip"):
        read_build(bad)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_build(tmp_path / "nope.rawjson")


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_build(tmp_path)


def test_progress_callback_counts_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "b.rawjson"
    path.write_bytes(parallel_build().indented())
    seen: list[int] = []
    read_build(path, on_progress=seen.append)
    assert sum(seen) == path.stat().st_size
