"""Option values coerced without pydantic give typer's result, or typer's own error.

:mod:`profiler.cli.coercion` coerces plain values itself and leaves the rest to typer;
here both coerce the same values, for every parameter of every kitprof command, and
must agree: the same value of the same type, or the same usage error.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from profiler.cli.app import COMMANDS, app
from profiler.cli.coercion import UNHANDLED, PlainValues, plain_value

ROOT = Path(__file__).parent.parent
EXISTING_FILE = str(ROOT / "pyproject.toml")
EXISTING_DIR = str(ROOT / "sample_builds")

VALUES: list[Any] = [
    None, 0, 1, 20, -3, 0.5, True, False, (), ("a", "b"), ("1", "2"),
    "", " ", "0", "7", "007", "-0", "-1", "+5", " 5", "5 ", "1_000", "1e3", "0.5", ".5",
    "5.", "-0.25", "nan", "inf", "\u0663", "99999999999999999999", "65535", "65536",
    "abc", "a//b/", "./x", "-", "~/x", "20%", "0.2", "\u00e9t\u00e9", EXISTING_FILE,
    EXISTING_DIR, EXISTING_FILE + "/", EXISTING_DIR + "//", "/no/such/file",
    "auto", "AUTO", "plain", "json", "chrome", "CSV", "otlp",
]  # fmt: skip


def _parameters() -> list[tuple[str, Any, Any]]:
    for name in COMMANDS:
        import_module(f"profiler.cli.{name}")
    group = typer.main.get_command(app)
    commands = {"kitprof": group, **group.commands}  # type: ignore[attr-defined]
    found = []
    for name, command in commands.items():
        ctx = Context(command)
        for param in command.get_params(ctx):
            if getattr(param, "type_descriptor", None) is not None:
                found.append((f"{name} {param.name}", command, param))
    return found


PARAMETERS = _parameters()


def _outcome(coerce: Any, value: Any) -> tuple[str, Any]:
    try:
        result = coerce(value)
    except BadParameter as error:
        return "error", error.format_message()
    return type(result).__name__, result


def _both(command: Any, param: Any, value: Any) -> tuple[tuple[str, Any], tuple[str, Any]]:
    descriptor = param.type_descriptor
    ctx = Context(command)
    typers = build_runtime_param(descriptor)
    ours = PlainValues(annotation=descriptor.annotation, parameter_info=descriptor.parameter_info)
    return (
        _outcome(lambda v: typers.coerce(v, param=param, ctx=ctx), value),
        _outcome(lambda v: ours.coerce(v, param=param, ctx=ctx), value),
    )


def test_every_kind_of_parameter_is_covered() -> None:
    kinds = {repr(param.type_descriptor.annotation) for _, _, param in PARAMETERS}
    assert {"<class 'str'>", "<class 'int'>", "<class 'float'>", "<class 'bool'>"} <= kinds
    assert {"<class 'pathlib.Path'>", "list[str]", "list[pathlib.Path]"} <= kinds
    assert any("Enum" in repr(type(param.type_descriptor.annotation)) for *_, param in PARAMETERS)


@pytest.mark.parametrize(("label", "command", "param"), PARAMETERS, ids=[p[0] for p in PARAMETERS])
def test_plain_values_agree_with_typer(label: str, command: Any, param: Any) -> None:
    for value in VALUES:
        if (param.multiple or param.nargs == -1) != isinstance(value, tuple) and value is not None:
            continue  # click hands a tuple to a repeated option, one value to the others
        typers, ours = _both(command, param, value)
        assert ours == typers, (label, value)


def test_the_plain_cases_are_handled_without_typer() -> None:
    by_label = {label: param.type_descriptor for label, _, param in PARAMETERS}
    limit = by_label["runs limit"]
    assert plain_value(limit.annotation, limit.parameter_info, "20") == 20
    assert plain_value(limit.annotation, limit.parameter_info, "-1") is UNHANDLED  # min 0
    assert plain_value(limit.annotation, limit.parameter_info, "1e3") is UNHANDLED
    dockerfile = by_label["analyze dockerfile"]
    assert plain_value(dockerfile.annotation, dockerfile.parameter_info, "a//b") == Path("a/b")
    label = by_label["runs label"]
    assert plain_value(label.annotation, label.parameter_info, ("a=b",)) == ["a=b"]


NUMBERS = [
    (label, command, param)
    for label, command, param in PARAMETERS
    if param.type_descriptor.annotation in (int, float)
]


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(NUMBERS) - 1),
    text=st.one_of(
        st.from_regex(r"\A[-+ ]?[0-9_]{0,22}(\.[0-9]{0,17})?([eE][-+]?[0-9]{1,3})? ?\Z"),
        st.text(max_size=6),
    ),
)
def test_numbers_read_from_text_agree_with_typer(index: int, text: str) -> None:
    _, command, param = NUMBERS[index]
    typers, ours = _both(command, param, text)
    assert ours == typers
