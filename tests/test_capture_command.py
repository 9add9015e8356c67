"""Build commands under ``kitprof run``: tool recognition, rawjson selection, redaction."""

from __future__ import annotations

import pytest

from profiler.capture.command import (
    REDACTED,
    ProgressModeError,
    Tool,
    looks_secret,
    prepare_command,
    redact_argv,
    redact_build_arg,
    redact_secret_spec,
)


@pytest.mark.parametrize(
    ("argv", "tool", "context"),
    [
        (["docker", "build", "-t", "app", "."], Tool.DOCKER_BUILD, "."),
        (["docker", "image", "build", "ctx"], Tool.DOCKER_BUILD, "ctx"),
        (["docker", "builder", "build", "-f", "x/Dockerfile", "x"], Tool.DOCKER_BUILD, "x"),
        (["docker", "buildx", "build", "--load", "."], Tool.BUILDX_BUILD, "."),
        (
            ["/usr/bin/docker", "buildx", "b", "--pull", "--no-cache", "app"],
            Tool.BUILDX_BUILD,
            "app",
        ),
        (["docker", "--context", "ci", "buildx", "build", "."], Tool.BUILDX_BUILD, "."),
        (["docker", "-H", "unix:///x.sock", "build", "-"], Tool.DOCKER_BUILD, "-"),
        (["docker", "buildx", "bake", "api", "web"], Tool.BUILDX_BAKE, None),
        (["docker", "buildx", "--builder", "ci", "bake"], Tool.BUILDX_BAKE, None),
        (["docker-buildx", "build", "."], Tool.BUILDX_BUILD, "."),
        (["docker", "compose", "build"], Tool.COMPOSE_BUILD, "."),
        (
            ["docker", "compose", "-f", "ops/compose.yaml", "build", "api"],
            Tool.COMPOSE_BUILD,
            "ops",
        ),
        (["docker-compose", "--project-directory", "srv", "build"], Tool.COMPOSE_BUILD, "srv"),
        (["docker", "compose", "up", "--build"], Tool.OTHER, None),
        (["make", "image"], Tool.OTHER, None),
        (["./build.sh", "--progress=plain"], Tool.OTHER, None),
    ],
)
def test_recognises_the_build_tool(argv: list[str], tool: Tool, context: str | None) -> None:
    command = prepare_command(argv)
    assert command.tool is tool
    assert command.context == context
    # Docker, buildx and anything a script runs: selected through the environment.
    assert command.env == {"BUILDKIT_PROGRESS": "rawjson"}
    assert list(command.argv) == argv


def test_value_flags_are_not_taken_for_the_context() -> None:
    command = prepare_command(
        ["docker", "buildx", "build", "--build-arg", "A=1", "--tag", "x", "-f", "D", "ctx"]
    )
    assert command.context == "ctx"
    command = prepare_command(["docker", "build", "--secret", "id=a,src=b", "--quiet", "."])
    assert command.context == "."


def test_docker_client_options_and_builder_are_kept_for_the_metadata() -> None:
    command = prepare_command(
        ["docker", "--context", "ci", "--config", "/cfg", "buildx", "--builder", "b1", "build", "."]
    )
    assert command.docker_options == {"context": "ci", "config": "/cfg"}
    assert command.builder == "b1"
    command = prepare_command(["docker", "buildx", "build", "--builder=b2", "."])
    assert command.builder == "b2"


@pytest.mark.parametrize(
    "argv",
    [
        ["docker", "buildx", "build", "--progress=plain", "."],
        ["docker", "buildx", "build", "--progress", "tty", "."],
        ["docker", "build", "--progress=auto", "."],
        ["docker", "buildx", "bake", "--progress", "plain"],
        ["docker", "compose", "--progress", "plain", "build"],
        ["docker", "compose", "build", "--progress=tty", "api"],
        ["buildctl", "build", "--progress", "plain", "--frontend", "dockerfile.v0"],
    ],
)
def test_another_progress_mode_is_refused_with_the_fix(argv: list[str]) -> None:
    with pytest.raises(ProgressModeError) as raised:
        prepare_command(argv)
    message = str(raised.value)
    assert "kitprof needs --progress=rawjson" in message
    assert "drop --progress" in message
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["docker", "buildx", "build", "--progress=rawjson", "."],
        ["docker", "buildx", "build", "--progress", "RAWJSON", "."],
        ["docker", "buildx", "bake", "--progress=rawjson"],
    ],
)
def test_rawjson_asked_explicitly_is_fine(argv: list[str]) -> None:
    assert list(prepare_command(argv).argv) == argv


def test_a_progress_flag_inside_a_value_is_not_a_progress_flag() -> None:
    command = prepare_command(["docker", "buildx", "build", "--build-arg", "--progress=plain", "."])
    assert command.tool is Tool.BUILDX_BUILD


def test_buildctl_gets_progress_rawjson_because_it_ignores_the_variable() -> None:
    argv = [
        "buildctl",
        "--addr",
        "tcp://buildkitd:1234",
        "build",
        "--frontend",
        "dockerfile.v0",
        "--local",
        "context=app",
        "--local",
        "dockerfile=app",
    ]
    command = prepare_command(argv)
    assert command.tool is Tool.BUILDCTL
    assert list(command.argv) == [*argv[:4], "--progress=rawjson", *argv[4:]]
    assert command.context == "app"


def test_buildctl_with_progress_rawjson_is_left_alone() -> None:
    argv = ["buildctl", "build", "--progress", "rawjson", "--local=context=."]
    command = prepare_command(argv)
    assert list(command.argv) == argv
    assert command.context == "."


def test_buildctl_other_subcommands_are_not_builds() -> None:
    assert prepare_command(["buildctl", "du"]).tool is Tool.OTHER


def test_an_empty_command_is_a_usage_error() -> None:
    with pytest.raises(ProgressModeError):
        prepare_command([])


# -- redaction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "GITHUB_TOKEN",
        "NPM_TOKEN",
        "npmToken",
        "DB_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "API_KEY",
        "apiKey",
        "SSH_PRIVATE_KEY",
        "GITLAB_PAT",
        "REGISTRY_AUTH",
        "PIP_CREDENTIALS",
        "SENTRY_DSN",
        "MY_PASS",
    ],
)
def test_secret_looking_keys(key: str) -> None:
    assert looks_secret(key)


@pytest.mark.parametrize(
    "key", ["VERSION", "PYTHON_VERSION", "PATH", "BASE_IMAGE", "KEYBOARD_LAYOUT", "PATCH", "N"]
)
def test_ordinary_keys(key: str) -> None:
    assert not looks_secret(key)


def test_build_arg_values_redacted_by_key_and_url_password() -> None:
    assert redact_build_arg("NPM_TOKEN=abc123") == f"NPM_TOKEN={REDACTED}"
    assert redact_build_arg("VERSION=1.2.3") == "VERSION=1.2.3"
    assert (
        redact_build_arg("INDEX_URL=https://user:hunter2@pypi.example/simple")
        == f"INDEX_URL=https://{REDACTED}@pypi.example/simple"
    )
    assert redact_build_arg("NPM_TOKEN") == "NPM_TOKEN"  # value from the environment


def test_secret_specs_keep_ids_types_and_env_names() -> None:
    assert redact_secret_spec("id=npm,src=/home/me/.npmrc") == f"id=npm,src={REDACTED}"
    assert redact_secret_spec("id=tok,env=GITHUB_TOKEN") == "id=tok,env=GITHUB_TOKEN"
    assert redact_secret_spec("type=file,id=a,source=/x") == f"type=file,id=a,source={REDACTED}"


def test_redact_argv_handles_both_flag_spellings_and_bake_and_buildctl() -> None:
    argv = [
        "docker",
        "buildx",
        "build",
        "--build-arg",
        "API_TOKEN=s3cr3t",
        "--build-arg=DB_PASSWORD=pw",
        "--build-arg",
        "VERSION=2",
        "--secret",
        "id=npm,src=/root/.npmrc",
        "--secret=id=x,src=/tmp/x",
        "--set",
        "api.args.REGISTRY_TOKEN=t0k",
        "--set",
        "api.args.MODE=fast",
        "--opt",
        "build-arg:NPM_TOKEN=xyz",
        ".",
    ]
    redacted = redact_argv(argv)
    text = " ".join(redacted)
    for secret in ("s3cr3t", "pw ", "/root/.npmrc", "/tmp/x", "t0k", "xyz"):
        assert secret not in text + " "
    assert "VERSION=2" in redacted
    assert "api.args.MODE=fast" in redacted
    assert "id=npm,src=<redacted>" in redacted
    assert len(redacted) == len(argv)


def test_prepared_command_carries_the_redacted_line() -> None:
    command = prepare_command(["docker", "build", "--build-arg", "GH_TOKEN=ghp_x", "."])
    assert "ghp_x" not in command.display
    assert "GH_TOKEN=ghp_x" in command.argv  # what runs is untouched
    assert command.display == "docker build --build-arg 'GH_TOKEN=<redacted>' ."
