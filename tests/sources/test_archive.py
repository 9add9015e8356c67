"""Zip archives of logs, as GitHub Actions' "Download log archive" gives them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from profiler.errors import StreamError
from profiler.sources import read_build, read_builds

LOGS = Path(__file__).resolve().parents[2] / "sample_builds" / "plain-logs"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_every_build_of_every_log_once(tmp_path: Path) -> None:
    first = (LOGS / "parallel-stages.plain").read_bytes()
    second = (LOGS / "failing-test.plain").read_bytes()
    # GitHub's layout: the job's whole log, then each step's log again in a folder.
    archive = tmp_path / "logs_42.zip"
    archive.write_bytes(
        zipped(
            {
                "0_build.txt": b"Set up job\n" + first + b"Run tests\n" + second,
                "build/1_Set up job.txt": b"Current runner version: '2.320.0'\n",
                "build/2_Build image.txt": first,
                "build/3_Run tests.txt": second,
            }
        )
    )
    builds = read_builds(archive)
    assert [len(build) for build in builds] == [
        len(read_build(LOGS / "parallel-stages.plain")),
        len(read_build(LOGS / "failing-test.plain")),
    ]
    assert all(build.source_format == "plain" for build in builds)


def test_an_archive_without_a_build_log_says_so() -> None:
    with pytest.raises(StreamError, match="none of the 2 files of this zip archive"):
        read_builds(zipped({"a.txt": b"hello\n", "b.txt": b"Step 1/2 : FROM x\n"}))


def test_a_broken_archive_is_a_clear_error() -> None:
    data = zipped({"a.txt": b"#1 [internal] load build definition\n" * 100})
    with pytest.raises(StreamError, match="zip"):
        read_builds(data[:40])
