"""The options of a build command that decide what it builds."""

from __future__ import annotations

from profiler.buildargs import build_options


def test_options_are_read_from_words_and_from_a_recorded_line() -> None:
    words = ["docker", "buildx", "build", "-f", "ci/Dockerfile", "--build-arg", "A=1",
             "--build-arg=B=two words", "--target", "test", "--no-cache", "."]  # fmt: skip
    options = build_options(words)
    assert options.dockerfile == "ci/Dockerfile"
    assert dict(options.build_args) == {"A": "1", "B": "two words"}
    assert options.target == "test"
    assert options.no_cache
    line = "docker build --file=x.Dockerfile --build-arg 'B=two words' --target=prod ."
    again = build_options(line)
    assert (again.dockerfile, dict(again.build_args), again.target, again.no_cache) == (
        "x.Dockerfile", {"B": "two words"}, "prod", False
    )  # fmt: skip


def test_a_bare_build_arg_takes_the_environment_only_when_given_one() -> None:
    words = ["docker", "build", "--build-arg", "TOKEN", "."]
    assert dict(build_options(words).build_args) == {}
    assert dict(build_options(words, {"TOKEN": "t"}).build_args) == {"TOKEN": "t"}


def test_buildctl_options() -> None:
    words = ["buildctl", "build", "--opt", "build-arg:A=1", "--opt", "filename=ci.Dockerfile",
             "--opt", "target=x", "--no-cache-filter", "a,b"]  # fmt: skip
    options = build_options(words)
    assert (dict(options.build_args), options.dockerfile, options.target) == (
        {"A": "1"}, "ci.Dockerfile", "x"
    )  # fmt: skip
    assert options.no_cache_filter == ("a", "b")
    assert build_options(None).build_args == {}
