"""``kitprof export``: formats, files, refusals, plain logs and stored runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from profiler.cli import app
from profiler.errors import KitprofError
from profiler.store import Store
from tests.export.samples import PLAIN_LOGS, SAMPLES
from tests.export.trace_format import validate_trace

COLD = SAMPLES / "parallel-stages" / "cold.rawjson"


def invoke(*args: str) -> tuple[int, bytes, str]:
    """In process; library errors come back as the console script reports them."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, KitprofError):
        return result.exception.exit_code, b"", f"Error: {result.exception}"
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("chrome-trace", lambda data: validate_trace(orjson.loads(data)) == []),
        ("markdown", lambda data: data.startswith(b"## kitprof build report")),
        ("csv", lambda data: data.startswith(b"digest,name,kind,")),
        ("html", lambda data: data.startswith(b"<!DOCTYPE html>")),
    ],
)
def test_each_text_format_to_standard_output(fmt: str, check) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = invoke("export", str(COLD), "--format", fmt)
    assert code == 0 and check(out)


def test_the_format_follows_the_output_suffix(tmp_path: Path) -> None:
    expected = {
        "t.json": b'{"traceEvents"',
        "r.html": b"<!DOCTYPE",
        "s.md": b"## ",
        "x.csv": b"digest,",
        "y.parquet": b"PAR1",
    }
    for name, magic in expected.items():
        out = tmp_path / name
        code, _, _ = invoke("export", str(COLD), "-o", str(out))
        assert code == 0 and out.read_bytes().startswith(magic), name


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("keep me")
    code, _, err = invoke("export", str(COLD), "-o", str(out))
    assert code == 1 and "use --force" in err
    assert out.read_text() == "keep me"
    code, _, _ = invoke("export", str(COLD), "-o", str(out), "--force")
    assert code == 0 and out.read_text().startswith("## kitprof")


def test_without_format_or_suffix_is_a_usage_error() -> None:
    code, _, err = invoke("export", str(COLD))
    assert code == 2 and "--format" in err


def test_a_plain_log_with_its_dockerfile(tmp_path: Path) -> None:
    # GIVEN a plain log of many-stages, and its Dockerfile
    log = PLAIN_LOGS / "many-stages.plain"
    dockerfile = SAMPLES / "many-stages" / "Dockerfile"
    # WHEN exported with and without the Dockerfile
    _, guessed, _ = invoke("export", str(log), "-F", "chrome-trace")
    _, known, _ = invoke("export", str(log), "-F", "chrome-trace", "--dockerfile", str(dockerfile))
    # THEN the Dockerfile's stage bases replace the guess
    guessed_notes = orjson.loads(guessed)["otherData"]["notes"]
    known_notes = orjson.loads(known)["otherData"]["notes"]
    assert any("guessed" in note for note in guessed_notes)
    assert not any("guessed" in note for note in known_notes)
    assert any("and the Dockerfile" in note for note in known_notes)


def test_a_stored_run_by_id(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'history.sqlite'}"
    with Store(db) as store:
        run_id = store.ingest(COLD).run_id
        plain_id = store.ingest(PLAIN_LOGS / "failing-test.plain").run_id
    code, out, _ = invoke("export", str(run_id), "--db", db, "-F", "markdown")
    assert code == 0 and b"critical path" in out
    code, out, _ = invoke("export", "latest", "--db", db, "-F", "markdown", "--title", "CI #7")
    assert (code == 0 and out.startswith(b"## CI &#35;7")) or out.startswith(b"## CI #7")
    dockerfile = SAMPLES / "failing-test" / "Dockerfile"
    code, out, _ = invoke(
        "export", str(plain_id), "--db", db, "-F", "chrome-trace", "--dockerfile", str(dockerfile)
    )
    assert code == 0
    assert any("Dockerfile" in n for n in orjson.loads(out)["otherData"]["notes"])
    code, _, err = invoke("export", "99", "--db", db, "-F", "csv")
    assert code == 1 and "no run 99" in err


def test_the_console_script_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    result = subprocess.run(
        [sys.executable, "-m", "profiler", "export", str(COLD), "-o", str(out)],
        capture_output=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"" and result.stderr == b""  # quiet when not a terminal
    assert validate_trace(orjson.loads(out.read_bytes())) == []


def test_no_suggestions_leaves_them_out() -> None:
    for fmt in ("markdown", "html"):
        code, out, _ = invoke("export", str(COLD), "--format", fmt, "--no-suggestions")
        assert code == 0 and b"Suggestions were not computed" in out
