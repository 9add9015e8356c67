"""Start-up: each ``kitprof`` command imports what it uses, nothing more.

Users call kitprof in CI steps and shell loops; the whole CLI with pandas, plotly,
dash and SQLAlchemy costs many times Python's own start-up. These tests run the real
entry point in a subprocess under ``-X importtime`` and read which modules it loaded.
The figures are in benchmarks/README.md ("Start-up"); benchmarks/startup.py measures.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from typer.testing import CliRunner

from profiler.cli import app
from profiler.cli.app import COMMANDS

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_builds" / "parallel-stages" / "cold.rawjson"
HEAVY = {"pandas", "numpy", "plotly", "dash", "sqlalchemy", "pyarrow"}
# typer would coerce every option through pydantic; profiler.cli.coercion keeps the
# plain values away from it, and so every command's start-up.
VALIDATION = {"pydantic", "pydantic_core", "typer._adapters"}
COMMAND_MODULES = {f"profiler.cli.{name}" for name in COMMANDS}


def imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules ``python -m profiler ARGS`` imports (it must exit 0)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "profiler", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, "no -X importtime output"
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def test_version_imports_neither_the_cli_nor_any_heavy_library() -> None:
    modules = imported("--version")
    assert not modules & HEAVY
    # Answered before the CLI framework loads: no typer, no rich, no command.
    assert not {"typer", "rich", "profiler.cli", "profiler.model"} & modules


def test_help_lists_every_command_without_importing_one() -> None:
    modules = imported("--help")
    assert not modules & (HEAVY | VALIDATION)
    assert not modules & COMMAND_MODULES
    assert not {"profiler.analysis", "profiler.store", "profiler.model"} & modules


def test_runs_loads_the_store_but_no_analysis_or_dataframes(tmp_path: Path) -> None:
    modules = imported("runs", env={"KITPROF_DB": f"sqlite:///{tmp_path / 'h.sqlite'}"})
    assert "sqlalchemy" in modules  # the fact the test stands on: it did query the store
    assert not modules & (HEAVY - {"sqlalchemy"} | VALIDATION)
    assert not {"profiler.analysis", "profiler.sources", "profiler.suggest"} & modules
    assert not modules & (COMMAND_MODULES - {"profiler.cli.runs"})


def test_analyze_loads_the_analysis_but_no_store_or_dataframes() -> None:
    modules = imported("analyze", "--top", "3", str(SAMPLE))
    assert "profiler.analysis" in modules
    assert not modules & (HEAVY | VALIDATION)
    assert not modules & (COMMAND_MODULES - {"profiler.cli.analyze"})


@pytest.mark.parametrize(
    "args",
    [
        ("analyze", "--json", str(SAMPLE)),
        ("suggest", "--json", str(SAMPLE)),
        ("compare", "--json", str(SAMPLE), str(SAMPLE)),
        ("runs", "--json"),
        ("trends", "--json", "--last", "0"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_json_output_imports_no_terminal_renderer(args: tuple[str, ...], tmp_path: Path) -> None:
    modules = imported(*args, env={"KITPROF_DB": f"sqlite:///{tmp_path / 'h.sqlite'}"})
    assert "profiler.render.format" in modules  # it did write its JSON
    assert not modules & ({"rich", "pygments"} | VALIDATION)


def test_import_profiler_is_light() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys, profiler; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(result.stdout.strip().strip("[]").replace("'", "").split(", "))
    assert not loaded & (HEAVY | {"profiler.analysis", "profiler.model", "typer", "rich"})


def test_the_library_api_resolves_on_first_use() -> None:
    import profiler

    assert profiler.Build is import_module("profiler.model").Build
    assert profiler.analyze is import_module("profiler.analysis").analyze
    assert set(profiler.__all__) <= set(dir(profiler))
    with pytest.raises(AttributeError):
        _ = profiler.no_such_name  # type: ignore[attr-defined]


def _help_of(name: str) -> str:
    import_module(f"profiler.cli.{name}")
    (info,) = [info for info in app.registered_commands if info.name == name]
    assert info.callback is not None
    return inspect.getdoc(info.callback) or ""


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_summary_is_the_commands_own_first_paragraph(name: str) -> None:
    assert COMMANDS[name] == _help_of(name).split("\n\n")[0]


def test_every_command_module_is_in_the_table() -> None:
    modules = {
        path.stem
        for path in (ROOT / "profiler" / "cli").glob("*.py")
        if "@app.command(" in path.read_text()
    }
    assert modules == set(COMMANDS)
    for name in modules:
        _help_of(name)
    assert {info.name for info in app.registered_commands} == set(COMMANDS)


def test_commands_run_and_unknown_ones_are_usage_errors() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0
    assert all(name in listing.output for name in COMMANDS)
    analyzed = runner.invoke(app, ["analyze", "--json", str(SAMPLE)])
    assert analyzed.exit_code == 0 and '"critical_path"' in analyzed.output
    unknown = runner.invoke(app, ["analyse-this"])
    assert unknown.exit_code == 2 and "No such command 'analyse-this'." in unknown.output
    typo = runner.invoke(app, ["analyse"], env={"COLUMNS": "200"})
    assert typo.exit_code == 2
    assert "No such command 'analyse'. Did you mean 'analyze', 'reanalyze'?" in typo.output
