"""What compare gathers of a run for the cache-miss analysis."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from profiler.runside import git_changes, run_side
from profiler.sources import read_build
from tests.streams import parallel_build


def git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@x.invalid", *args],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_git_names_the_context_paths_changed_between_two_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    context = tmp_path / "services" / "api"
    (context / "src").mkdir(parents=True)
    (context / "src" / "main.c").write_text("1\n")
    (tmp_path / "README").write_text("r\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    first = git(tmp_path, "rev-parse", "HEAD")
    (context / "src" / "main.c").write_text("2\n")
    (tmp_path / "README").write_text("outside the context\n")
    git(tmp_path, "commit", "-qam", "two")
    second = git(tmp_path, "rev-parse", "HEAD")
    assert git_changes(str(context), first, second) == ["src/main.c"]
    assert git_changes(str(context), first, "0" * 40) is None  # a commit not here
    assert git_changes(str(tmp_path / "gone"), first, second) is None
    assert git_changes(None, first, second) is None


def test_a_run_side_reads_the_command_dockerfile_and_manifest() -> None:
    build = read_build(io.BytesIO(parallel_build().one_line()))
    side = run_side(
        build,
        dockerfile=b"FROM alpine:3 AS base\nRUN apk add make\n",
        manifest=b"{not a manifest",
        command="docker buildx build --build-arg A=1 --no-cache .",
    )
    assert dict(side.build_args) == {"A": "1"}
    assert side.no_cache
    assert side.dockerfile is not None and side.dockerfile.stages[0].name == "base"
    assert side.manifest is None  # a damaged kept file says less, it is no error
    assert run_side(build).dockerfile is None
