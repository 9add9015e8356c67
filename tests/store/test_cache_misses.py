"""``kitprof compare`` of stored runs says why the cache missed, from the files kept
with each run (Dockerfile, context manifest) and its recorded command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from profiler.cli import app
from profiler.render.format import seconds
from profiler.store import store_run
from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE
from tests.analysis.test_cachemiss import ALL, FILES, manifest, stream
from tests.analysis.test_cachemiss import DOCKERFILE as TEXT


def test_compare_of_stored_runs_names_the_changed_file(db_url: str, tmp_path: Path) -> None:
    runs = []
    for name, cached, files, tag in (
        ("a", ALL, FILES, ""),
        ("b", {2}, {**FILES, "app/main.c": "edited"}, "b"),
    ):
        path = tmp_path / f"{name}.rawjson"
        path.write_bytes(stream(cached, tag=tag).one_line())
        result = store_run(
            path,
            {"command": ["docker", "buildx", "build", "--build-arg", "MODE=fast", "."]},
            db_url=db_url,
            files={DOCKERFILE: TEXT.encode(), CONTEXT_MANIFEST: manifest(files).to_json()},
        )
        runs.append(str(result.run_id))
    done = CliRunner().invoke(app, ["compare", *runs, "--db", db_url, "--json"])
    assert done.exit_code == 0, done.output
    misses = json.loads(done.stdout)["cache_misses"]
    [miss] = misses["misses"]
    assert (miss["line"], miss["step_b"]) == (5, "[3/6] COPY app/ ./app/")
    assert miss["causes"][0]["files"] == [{"path": "app/main.c", "change": "modified"}]
    assert miss["cost_seconds"] == 3.0 + 4.0 + 5.0 + 6.0
    assert misses["files_from"] == "manifest"
    text = CliRunner().invoke(app, ["compare", *runs, "--db", db_url], env={"COLUMNS": "160"})
    assert text.exit_code == 0, text.output
    why = text.stdout.split("Why the cache missed\n")[1].splitlines()
    assert why[0].split() == [
        "line", "5:", "[3/6]", "COPY", "app/", "./app/", "cost", seconds(18.0), "(4", "step(s)",
        "re-ran)",
    ]  # fmt: skip
    assert why[1].strip() == "context: 1 file(s) it copies changed"
    assert why[2].strip() == "modified: app/main.c"


def git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@x.invalid", *args],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_runs_without_manifests_take_the_changed_files_from_git(
    db_url: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "Dockerfile").write_text(TEXT)
    (repo / "app" / "main.c").write_text("1\n")
    (repo / "docs.md").write_text("d\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "app" / "main.c").write_text("2\n")
    (repo / "docs.md").write_text("not copied\n")
    git(repo, "commit", "-qam", "two")
    second = git(repo, "rev-parse", "HEAD")
    runs = []
    for name, cached, tag, commit in (("a", ALL, "", first), ("b", {2}, "b", second)):
        path = tmp_path / f"{name}.rawjson"
        path.write_bytes(stream(cached, tag=tag).one_line())
        info = {
            "command": ["docker", "build", "."],
            "context": str(repo),
            "git": {"commit": commit},
        }
        result = store_run(path, info, db_url=db_url, files={DOCKERFILE: TEXT.encode()})
        runs.append(str(result.run_id))
    done = CliRunner().invoke(app, ["compare", *runs, "--db", db_url, "--json"])
    assert done.exit_code == 0, done.output
    misses = json.loads(done.stdout)["cache_misses"]
    assert misses["files_from"] == "git"
    [cause] = misses["misses"][0]["causes"]
    assert (cause["kind"], cause["files_from"]) == ("context", "git")
    assert cause["files"] == [{"path": "app/main.c", "change": "modified"}]
