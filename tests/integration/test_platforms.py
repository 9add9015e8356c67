"""A multi-platform build on today's Docker (containerd image store): two platforms of
one Dockerfile in one solve, each rolled up on its own.

The base is kitprof/busybox-multi:latest, which ``scripts/setup-docker --modern``
builds for linux/amd64 and linux/386 from Debian's busybox-static for both: the RUNs
really run 64-bit and 32-bit binaries (their output says which ELF class).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from profiler.analysis import analyze
from profiler.sources import read_build
from tests.integration.conftest import BUILDS, REQUIRE_MODERN_ENV, Kitprof, modern_only

pytestmark = [pytest.mark.docker, modern_only]

BASE = os.environ.get("KITPROF_PLATFORM_BASE_IMAGE", "kitprof/busybox-multi:latest")
PLATFORMS = ("linux/386", "linux/amd64")


@pytest.fixture
def two_platform_base(kitprof: Kitprof) -> str:
    for platform in PLATFORMS:
        found = subprocess.run(
            ["docker", "image", "inspect", "--platform", platform, BASE],
            env=kitprof.env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if found.returncode != 0:
            message = f"{BASE} has no {platform} image (run scripts/setup-docker --modern)"
            if os.environ.get(REQUIRE_MODERN_ENV) == "1":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    return BASE


def test_a_two_platform_build_is_rolled_up_per_platform(
    kitprof: Kitprof, two_platform_base: str, nonce: str, tmp_path: Path
) -> None:
    stream = tmp_path / "platforms.rawjson"
    result = kitprof.run(
        "--out", str(stream), "--no-store", "--",
        "docker", "buildx", "build", "--platform", ",".join(PLATFORMS),
        "--build-arg", f"NONCE={nonce}", "--tag", kitprof.tag("platforms"), ".",
        cwd=BUILDS / "platforms",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    build = read_build(stream)
    # The RUNs ran on both platforms, natively: 32-bit busybox in linux/386.
    runs = [s for s in build if s.parsed.stage == "base" and s.parsed.instruction == "RUN"]
    logs = {s.parsed.platform: s.log_bytes.decode() for s in runs}
    assert "ELF class 01 on linux/386" in logs["linux/386"]
    assert "ELF class 02 on linux/amd64" in logs["linux/amd64"]

    report: dict[str, Any] = json.loads(
        subprocess.run(
            [sys.executable, "-m", "profiler", "analyze", "--json", str(stream)],
            env=kitprof.env(),
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
    )
    entries = {entry["platform"]: entry for entry in report["platforms"]}
    assert list(entries) == [*PLATFORMS, None]
    for platform in PLATFORMS:
        entry = entries[platform]
        # From the Dockerfile: base's RUN, work's RUN, the final COPY (no FROM: the
        # later stages build FROM base); nothing cached (a fresh NONCE).
        assert (entry["steps"], entry["cached"]) == (3, 0)
        work = f"[{platform} work 1/1] RUN"
        assert any(name.startswith(work) for name in entry["critical_path"])
        assert entry["critical_path"][-1].startswith(f"[{platform} stage-2 1/1] COPY")
        assert entry["lower_bound_seconds"] <= entry["critical_path_seconds"] + 1e-6
    assert entries["linux/386"]["lower_bound_seconds"] >= 3.0
    assert entries["linux/amd64"]["lower_bound_seconds"] >= 1.0
    assert entries["linux/386"]["end"] > entries["linux/amd64"]["end"]
    # Loads and the export carry no platform: the shared entry, with no path of its own.
    shared = entries[None]
    assert shared["shared"] and shared["critical_path"] == []
    assert any("exporting to image" in s.name for s in build if s.parsed.platform is None)
    # Stages of the same name on two platforms are two rollups.
    work_stages = [s for s in report["stages"] if s["name"] == "work"]
    assert sorted(s["platform"] for s in work_stages) == list(PLATFORMS)
    # The library and the JSON agree.
    analysis = analyze(build)
    assert [p.platform for p in analysis.platforms] == [*PLATFORMS, None]
