"""``kitprof compare`` says why the cache missed, on real rebuilds.

One context, built with ``kitprof run --db`` again and again: a warm rebuild, then one
change, then the comparison of the two. Three changes: a file a COPY copies, a build
argument the step's name expands, and the base image re-imported under the same tag
with other content (another digest). Each time compare must name the step, the cause,
the file or value, and a cost equal to the time B spent on the steps that were cached
in A and ran in B.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import BASE_IMAGE, Kitprof

pytestmark = pytest.mark.docker

DOCKERFILE = """\
ARG BASE=kitprof/busybox:latest
FROM ${BASE}
ARG NONCE
RUN echo "$NONCE" > /nonce
ARG FLAVOUR=plain
WORKDIR /srv/${FLAVOUR}
COPY app/ ./app/
RUN sleep 1 && cat app/* > all.txt
COPY config.txt .
RUN wc -c config.txt > size.txt
"""

POSITION = re.compile(r"^\[(\d+)/(\d+)\]")


def _import_base(tag: str, marker: bytes) -> None:
    """The suite's busybox image, plus a marker file, imported as ``tag``."""
    created = subprocess.run(
        ["docker", "create", BASE_IMAGE, "true"], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        exported = subprocess.run(
            ["docker", "export", created], capture_output=True, check=True
        ).stdout
    finally:
        subprocess.run(["docker", "rm", created], capture_output=True, check=False)
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(exported)) as source,
        tarfile.open(fileobj=out, mode="w") as target,
    ):
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo("marker")
        info.size = len(marker)
        target.addfile(info, io.BytesIO(marker))
    subprocess.run(["docker", "import", "-", tag], input=out.getvalue(), capture_output=True,
                   check=True)  # fmt: skip


class Builds:
    def __init__(self, kitprof: Kitprof, context: Path, db: str, nonce: str, base: str):
        self.kitprof, self.context, self.db, self.nonce, self.base = (
            kitprof, context, db, nonce, base
        )  # fmt: skip

    def run(self, *args: str) -> dict[str, Any]:
        result = self.kitprof.run(
            "--json", "--display", "quiet", "--db", self.db, "--",
            "docker", "buildx", "build", "--network=none",
            "--build-arg", f"NONCE={self.nonce}", "--build-arg", f"BASE={self.base}",
            *args, ".",
            cwd=self.context, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        report: dict[str, Any] = json.loads(result.stdout)
        assert report["stored_run"] is not None
        return report

    def compare(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-m", "profiler", "compare", "--json", "--db", self.db,
             str(a["stored_run"]), str(b["stored_run"])],
            capture_output=True, timeout=60, check=False, env=self.kitprof.env(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        misses: dict[str, Any] = json.loads(result.stdout)["cache_misses"]
        return misses


def _by_position(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        match.group(0): step
        for step in report["steps"]
        if (match := POSITION.match(step["name"])) and step["instruction"] != "FROM"
    }


def _rerun_seconds(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[str], float]:
    """Steps cached in A that ran in B, read off the two runs' own reports."""
    before, after = _by_position(a), _by_position(b)
    names = [
        step["name"]
        for position, step in after.items()
        if step["status"] == "done" and before[position]["status"] == "cached"
    ]
    seconds = sum(after[p]["duration"] for p in after if after[p]["name"] in names)
    return names, seconds


def _only_miss(misses: dict[str, Any]) -> dict[str, Any]:
    assert len(misses["misses"]) == 1, misses
    miss: dict[str, Any] = misses["misses"][0]
    return miss


def test_compare_names_the_step_the_cause_and_the_cost(
    kitprof: Kitprof, tmp_path: Path, nonce: str
) -> None:
    context = tmp_path / "context"
    (context / "app").mkdir(parents=True)
    (context / "Dockerfile").write_text(DOCKERFILE)
    (context / "app" / "one.txt").write_text("one\n")
    (context / "app" / "two.txt").write_text("two\n")
    (context / "config.txt").write_text("setting=1\n")
    base = f"kitprof-test/whycache-base:{uuid.uuid4().hex[:12]}"
    kitprof.tags.append(base)
    _import_base(base, b"first\n")
    builds = Builds(kitprof, context, f"sqlite:///{tmp_path / 'history.db'}", nonce, base)
    lines = DOCKERFILE.splitlines()

    builds.run()  # cold
    warm = builds.run()
    assert all(s["status"] == "cached" for s in _by_position(warm).values())

    # (i) one file a COPY copies
    (context / "app" / "two.txt").write_text("two, edited\n")
    edited = builds.run()
    miss = _only_miss(misses := builds.compare(warm, edited))
    assert miss["line"] == lines.index("COPY app/ ./app/") + 1
    assert miss["step_b"].endswith("COPY app/ ./app/")
    [cause] = miss["causes"]
    assert cause["kind"] == "context"
    assert cause["files"] == [{"path": "app/two.txt", "change": "modified"}]
    assert cause["files_from"] == "manifest"
    names, seconds = _rerun_seconds(warm, edited)
    assert sorted(r["step"] for r in miss["reruns"]) == sorted(names)
    assert len(names) == 4
    assert miss["cost_seconds"] == pytest.approx(seconds, abs=1e-5)
    assert misses["total_seconds"] == pytest.approx(seconds, abs=1e-5)

    # (ii) a build argument, which BuildKit expands into the step's name
    warm = builds.run()
    flavoured = builds.run("--build-arg", "FLAVOUR=fancy")
    miss = _only_miss(builds.compare(warm, flavoured))
    assert miss["line"] == lines.index("WORKDIR /srv/${FLAVOUR}") + 1
    assert miss["step_a"].endswith("WORKDIR /srv/plain")
    assert miss["step_b"].endswith("WORKDIR /srv/fancy")
    [cause] = miss["causes"]
    assert (cause["kind"], cause["name"], cause["old"], cause["new"]) == (
        "build-arg", "FLAVOUR", "plain", "fancy"
    )  # fmt: skip
    names, seconds = _rerun_seconds(warm, flavoured)
    assert len(names) == 5
    assert miss["cost_seconds"] == pytest.approx(seconds, abs=1e-5)

    # (iii) the base image: another image under the same tag
    warm = builds.run("--build-arg", "FLAVOUR=fancy")
    old_id = _image_id(base)
    _import_base(base, b"second\n")
    new_id = _image_id(base)
    assert old_id != new_id
    rebased = builds.run("--build-arg", "FLAVOUR=fancy")
    miss = _only_miss(builds.compare(warm, rebased))
    assert miss["line"] == lines.index('RUN echo "$NONCE" > /nonce') + 1
    [cause] = miss["causes"]
    assert cause["kind"] == "base-image"
    if cause["old"] is not None:  # BuildKit pinned the digest in the step (Docker ≥ 23)
        assert base.partition(":")[0] in cause["new"]
        assert cause["old"] != cause["new"]
    else:  # the legacy docker driver resolves the tag and names no digest
        assert base.partition(":")[0] in cause["name"]
    names, seconds = _rerun_seconds(warm, rebased)
    assert len(names) == 6
    assert miss["cost_seconds"] == pytest.approx(seconds, abs=1e-5)


def _image_id(tag: str) -> str:
    return subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", tag],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
