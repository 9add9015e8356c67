"""The run file beside a stream: one name written, both names read."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.errors import InputError
from profiler.runfile import find_run_info, run_info_beside, run_info_candidates, run_info_path


def test_kitprof_run_writes_the_stem_with_run_json() -> None:
    assert run_info_path(Path("out/build.rawjson")) == Path("out/build.run.json")
    assert run_info_path(Path("out/build.log")) == Path("out/build.log.run.json")


def test_readers_look_at_the_written_name_then_the_older_one() -> None:
    assert run_info_candidates(Path("d/build.rawjson")) == [
        Path("d/build.run.json"),
        Path("d/build.rawjson.run.json"),
    ]
    assert run_info_candidates(Path("d/build.plain")) == [Path("d/build.plain.run.json")]


def test_the_written_name_wins_over_the_older_one(tmp_path: Path) -> None:
    stream = tmp_path / "build.rawjson"
    assert find_run_info(stream) is None and run_info_beside(stream) is None
    (tmp_path / "build.rawjson.run.json").write_text('{"command": ["old"]}')
    assert run_info_beside(stream) == {"command": ["old"]}
    (tmp_path / "build.run.json").write_text('{"command": ["new"]}')
    assert find_run_info(stream) == tmp_path / "build.run.json"
    assert run_info_beside(stream) == {"command": ["new"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{", "is not valid JSON"), (b"[1]", "does not hold a JSON object")],
)
def test_a_broken_run_file_is_an_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "build.run.json").write_bytes(content)
    with pytest.raises(InputError, match=message):
        run_info_beside(tmp_path / "build.rawjson")
