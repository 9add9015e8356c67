"""Every command takes its input through the one layer: refusals, several builds, --build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import kitprof

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
LOGS = SAMPLES / "plain-logs"


@pytest.fixture
def two_builds(tmp_path: Path) -> Path:
    """Two real plain logs one after the other, as a CI job with two builds writes."""
    path = tmp_path / "job.log"
    path.write_bytes(
        (LOGS / "parallel-stages.plain").read_bytes() + (LOGS / "failing-test.plain").read_bytes()
    )
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Step 1/12 : FROM alpine\n ---> Running in 0a1b2c3d\n", "classic builder log"),
        ("[1/2] STEP 1/3: FROM alpine AS base\n", "podman/buildah log"),
        ("\x1b[?25l[+] Building 1.2s (3/8)\n => [base 1/3] FROM alpine\n", "--progress=tty"),
        ("just some text\n", "not a BuildKit build log"),
    ],
)
@pytest.mark.parametrize("command", ["analyze", "suggest", "export", "ingest"])
def test_a_refused_input_is_one_line_and_exit_1(
    tmp_path: Path, text: str, says: str, command: str
) -> None:
    path = tmp_path / "build.rawjson"  # the name says nothing: the content does
    path.write_text(text)
    extra = {"export": ["-F", "csv"], "ingest": ["--db", f"sqlite:///{tmp_path / 'h.db'}"]}
    result = kitprof(command, str(path), *extra.get(command, []))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.startswith("Error: ") and says in err and "Traceback" not in err
    assert result.stdout == b""


def test_analyze_reports_each_build_under_a_heading(two_builds: Path) -> None:
    result = kitprof("analyze", str(two_builds))
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "build 1 of 2: docker.io/kitprof-plain/parallel-stages:latest" in out
    assert "build 2 of 2" in out
    assert out.index("build 1 of 2") < out.index("build 2 of 2")
    # The second build's failure is reported under its own heading.
    assert "failed" in out[out.index("build 2 of 2") :]


def test_analyze_json_is_one_object_per_build_per_line(two_builds: Path) -> None:
    result = kitprof("analyze", str(two_builds), "--json")
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert (first["build_index"], second["build_index"]) == (1, 2)
    assert first["build_name"] == "docker.io/kitprof-plain/parallel-stages:latest"
    assert first["failure"] is None and second["failure"] is not None
    assert first["approximate"] and second["approximate"]
    # The same objects as each build read alone.
    alone = json.loads(kitprof("analyze", str(LOGS / "failing-test.plain"), "--json").stdout)
    assert alone["build_index"] == 1 and alone["build_name"] is None
    own = ("build_index", "build_name", "notes")  # notes say "build 2 of 2 in this log"
    assert {k: v for k, v in second.items() if k not in own} == {
        k: v for k, v in alone.items() if k not in own
    }


def test_build_picks_one_by_number_or_name(two_builds: Path) -> None:
    by_number = kitprof("analyze", str(two_builds), "--json", "--build", "1")
    by_name = kitprof(
        "analyze",
        str(two_builds),
        "--json",
        "--build",
        "docker.io/kitprof-plain/parallel-stages:latest",
    )
    assert by_number.returncode == by_name.returncode == 0
    assert by_number.stdout == by_name.stdout and by_number.stdout.count(b"\n") == 1
    missing = kitprof("analyze", str(two_builds), "--build", "3")
    assert missing.returncode == 1 and b"no build 3" in missing.stderr


@pytest.mark.parametrize("command", [["suggest"], ["export", "-F", "csv"]])
def test_one_build_commands_ask_which_build(two_builds: Path, command: list[str]) -> None:
    result = kitprof(command[0], str(two_builds), *command[1:])
    assert result.returncode == 1
    assert b"holds 2 builds: choose one with --build" in result.stderr
    chosen = kitprof(command[0], str(two_builds), *command[1:], "--build", "2")
    assert chosen.returncode == 0, chosen.stderr.decode()


def test_ingest_stores_each_build_once(two_builds: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    first = json.loads(kitprof("ingest", str(two_builds), "--db", db, "--json", "--no-ci").stdout)
    again = json.loads(kitprof("ingest", str(two_builds), "--db", db, "--json", "--no-ci").stdout)
    assert [e["build_index"] for e in first["ingested"]] == [1, 2]
    assert all(e["created"] for e in first["ingested"])
    assert [e["run_id"] for e in again["ingested"]] == [e["run_id"] for e in first["ingested"]]
    assert not any(e["created"] for e in again["ingested"])
    text = kitprof("ingest", str(two_builds), "--db", db, "--no-ci").stdout.decode()
    assert "build 1 (docker.io/kitprof-plain/parallel-stages:latest): already stored" in text


def test_compare_and_check_pick_the_build_of_a_log(two_builds: Path, tmp_path: Path) -> None:
    alone = str(LOGS / "parallel-stages.plain")
    asked = kitprof("compare", str(two_builds), alone)
    assert asked.returncode == 1 and b"choose one with --build" in asked.stderr
    same = json.loads(kitprof("compare", str(two_builds), alone, "--build", "1", "--json").stdout)
    assert same["wall_seconds"]["delta"] == 0
    # check finds the stored run of the build it is given.
    db = f"sqlite:///{tmp_path / 'history.db'}"
    stored = json.loads(kitprof("ingest", str(two_builds), "--db", db, "--json", "--no-ci").stdout)
    judged = kitprof("check", str(two_builds), "--build", "2", "--db", db, "--json")
    assert judged.returncode == 0, judged.stderr.decode()
    assert json.loads(judged.stdout)["subject"]["run"]["id"] == stored["ingested"][1]["run_id"]
