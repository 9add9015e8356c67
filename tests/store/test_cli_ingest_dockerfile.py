"""``kitprof ingest --dockerfile``: the Dockerfile kept with the stored runs, and what
the dashboard makes of it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dashboard.sources import Catalog, StoreSource
from profiler.cli import app
from profiler.store import Store
from profiler.store.files import DOCKERFILE

SAMPLE = Path(__file__).resolve().parents[2] / "sample_builds" / "secret-mount"


def ingest(*args: str) -> object:
    return CliRunner().invoke(app, ["ingest", *args])


def test_ingest_keeps_the_dockerfile_and_the_dashboard_suggests_with_it(db_url: str) -> None:
    # GIVEN a stream and its Dockerfile (a suggestion of this build needs its lines)
    dockerfile = SAMPLE / "Dockerfile"
    result = ingest(str(SAMPLE / "secret.rawjson"), "--dockerfile", str(dockerfile),
                    "--db", db_url, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    run_id = json.loads(result.stdout)["ingested"][0]["run_id"]  # type: ignore[attr-defined]
    # THEN it is kept with the run, byte for byte
    with Store(db_url) as store:
        assert store.file(run_id, DOCKERFILE) == dockerfile.read_bytes()
    # AND the dashboard's suggestions for the stored run come with a diff
    catalog = Catalog([StoreSource(db_url)])
    try:
        assert catalog.dockerfile(str(run_id)) is not None
        report = catalog.suggestions(str(run_id))
        assert any(suggestion.diff for suggestion in report.suggestions)
    finally:
        catalog.close()


def test_ingest_again_with_a_dockerfile_adds_it_to_the_stored_run(db_url: str) -> None:
    stream = str(SAMPLE / "secret.rawjson")
    assert ingest(stream, "--db", db_url).exit_code == 0  # type: ignore[attr-defined]
    again = ingest(stream, "--dockerfile", str(SAMPLE / "Dockerfile"), "--db", db_url)
    assert again.exit_code == 0  # type: ignore[attr-defined]
    with Store(db_url) as store:
        (run,) = store.runs()
        assert store.file(run.id, DOCKERFILE) == (SAMPLE / "Dockerfile").read_bytes()


def test_a_bad_dockerfile_is_one_line_of_error_and_stores_nothing(
    db_url: str, tmp_path: Path
) -> None:
    stream = str(SAMPLE / "secret.rawjson")
    not_one = tmp_path / "Dockerfile"
    not_one.write_text("# only a comment\n")
    for path in (not_one, tmp_path / "missing"):
        result = ingest(stream, "--dockerfile", str(path), "--db", db_url)
        assert result.exit_code == 1  # type: ignore[attr-defined]
        lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
        assert len(lines) == 1 and lines[0].startswith("Error: ")
        assert "Traceback" not in result.output  # type: ignore[attr-defined]
    with Store(db_url) as store:
        assert store.runs() == []
