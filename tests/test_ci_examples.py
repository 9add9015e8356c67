"""The CI examples parse, and every kitprof command and flag they use exists.

examples/ci/ holds a GitHub Actions workflow and a GitLab CI job. Their shell lines
are split the way a shell would (continuations, ``||``, ``>>``…); each ``kitprof``
invocation must name a real command, only options that command has, and a value
from the allowed choices where there are choices.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from profiler.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
SHELL_OPERATORS = {"||", "&&", ";", "|", ">", ">>", "<", "&", "(", ")"}


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def github_scripts(workflow: dict[str, Any]) -> Iterator[str]:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"]


def gitlab_scripts(pipeline: dict[str, Any]) -> Iterator[str]:
    for job in pipeline.values():
        if isinstance(job, dict) and "script" in job:
            for key in ("before_script", "script", "after_script"):
                yield from job.get(key, [])


def invocations(script: str) -> Iterator[list[str]]:
    """Each ``kitprof …`` command of a shell script, as its argument words."""
    lexer = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    for index, word in enumerate(words):
        if word == "kitprof" and (index == 0 or words[index - 1] in SHELL_OPERATORS | {"\n"}):
            command: list[str] = []
            for argument in words[index + 1 :]:
                if argument in SHELL_OPERATORS:
                    break
                command.append(argument)
            yield command


def all_invocations() -> list[tuple[str, list[str]]]:
    found = [("github", c) for s in github_scripts(load(GITHUB)) for c in invocations(s)]
    found += [("gitlab", c) for s in gitlab_scripts(load(GITLAB)) for c in invocations(s)]
    return found


def check_invocation(arguments: list[str]) -> None:
    """The command and each option exist; then kitprof's own parser accepts the line."""
    group = typer.main.get_command(app)
    name, rest = arguments[0], arguments[1:]
    # get_command, not .commands: a command's module is imported when first asked for.
    command = group.get_command(typer.Context(group), name)  # type: ignore[attr-defined]
    assert command is not None, f"kitprof has no command {name!r}"
    options = {
        opt
        for param in command.params
        for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
        if opt.startswith("-")
    }
    for word in rest:
        if word == "--":
            break  # the rest is the build command (kitprof run)
        if word.startswith("-") and word != "-":
            flag = word.partition("=")[0]
            assert flag in options, f"kitprof {name} has no option {flag}"
    # Parsing (no callback runs): values, choices, counts of arguments.
    command.make_context(name, list(rest))


def test_the_github_workflow_parses() -> None:
    workflow = load(GITHUB)
    # YAML 1.1 reads the key "on" as True
    assert workflow.get("on", workflow.get(True))
    steps = workflow["jobs"]["build"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert workflow["jobs"]["build"]["env"]["KITPROF_DB"] == "${{ secrets.KITPROF_DB }}"
    summary = next(step for step in steps if step.get("name") == "Job summary")
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]


def test_the_gitlab_job_parses() -> None:
    pipeline = load(GITLAB)
    job = pipeline["docker-build"]
    assert job["stage"] in pipeline["stages"]
    assert job["artifacts"]["when"] == "always"
    assert "kitprof-report.html" in job["artifacts"]["paths"]


@pytest.mark.parametrize(
    "command",
    ["run", "ingest", "export", "check"],
)
def test_both_examples_run_the_whole_cycle(command: str) -> None:
    used = {(ci, arguments[0]) for ci, arguments in all_invocations()}
    assert ("github", command) in used and ("gitlab", command) in used


@pytest.mark.parametrize(
    "arguments",
    [arguments for _, arguments in all_invocations()],
    ids=lambda a: " ".join(a[:3]),
)
def test_every_kitprof_invocation_exists(arguments: list[str]) -> None:
    check_invocation(arguments)


def test_the_checker_catches_mistakes() -> None:
    with pytest.raises(AssertionError, match="no command"):
        check_invocation(["profile", "x"])
    with pytest.raises(AssertionError, match="no option --fromat"):
        check_invocation(["export", "x", "--fromat", "html"])
    with pytest.raises(Exception, match="pdf"):
        check_invocation(["export", "x", "--format", "pdf"])
    check_invocation(["run", "--out", "b.rawjson", "--", "docker", "build", "--no-cache", "."])
