"""``kitprof check``'s verdict as JSON and as text, from real regression checks."""

from __future__ import annotations

from rich.console import Console

from profiler.analysis.trends import check_regression
from profiler.render.check import check_dict, render_check
from tests.render.history import STEADY, metrics


def text_of(result: object, branch: str | None = "main") -> str:
    console = Console(record=True, width=120, color_system=None)
    render_check(result, branch, console)  # type: ignore[arg-type]
    return console.export_text()


def test_a_regression_names_its_stage_in_text_and_json() -> None:
    # GIVEN a run 30 s slower than a steady history, all of it in the build stage
    slow = metrics(9, 131.0, build=80.8 + 30.0)
    result = check_regression(slow, STEADY, max_regression=0.2)
    # THEN the text says so and names the stage
    text = text_of(result)
    assert text.startswith("REGRESSION: run 9 took 2m11.0s, +30% vs the median")
    assert "comparable runs on main" in text
    assert "stages responsible:\n  build: 1m50.8s vs" in text
    # AND the JSON carries the same facts
    document = check_dict(result, {"file": None, "run": None}, "sqlite://", "main", {}, 3)
    assert document["verdict"] == "regression" and document["exit_code"] == 3
    assert document["baseline"]["count"] == len(STEADY) and document["value"] == 131.0
    assert [stage["stage"] for stage in document["stages"]] == ["build"]


def test_a_normal_run_is_ok_and_too_little_history_is_not_judged() -> None:
    assert text_of(check_regression(metrics(9, 101.0), STEADY)).startswith("ok: run 9 took")
    short = check_regression(metrics(9, 500.0), STEADY[:2])
    assert text_of(short, None) == "not judged: 2 comparable run(s), 3 needed\n"
    assert check_dict(short, {}, "u", None, {}, 0)["verdict"] == short.verdict
