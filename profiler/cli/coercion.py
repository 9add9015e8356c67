"""Typer's coercion of command-line values, without pydantic for the plain cases.

typer 0.2x coerces every parameter that is not a boolean flag through a pydantic
``TypeAdapter``, built when the parameter is first processed: so every command with
an option imports pydantic (and its plugin loader: ``importlib.metadata``, ``email``,
``zipfile``) and builds one validator a parameter, about a third of a short command's
start-up (benchmarks/README.md, "Start-up").

For what a command line gives kitprof's parameters, the result is plain: a ``str``;
a decimal integer or number within its bounds; a ``Path`` (through typer's own path
checks); an enum member; or a list of those. :class:`PlainValues` coerces these
itself and hands anything else (a value that is not plainly valid, a type it does not
know) to typer's own coercion, so that results and every error message are typer's.
A test compares both on many values (tests/test_coercion.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any, get_args, get_origin

try:  # typer's coercion layer (0.2x); an older typer coerces without pydantic anyway
    from typer._coercion import RuntimeParam, build_runtime_param, resolve_type_descriptor
    from typer._param_types import coerce_cli_choice
except ImportError:  # pragma: no cover
    RuntimeParam = None  # type: ignore[assignment,misc]

# Only what Python and pydantic read alike: ASCII digits, no sign other than "-", no
# underscores, spaces or exponents, and short enough that no float rounding or int
# digit limit differs.
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


class _Unhandled:
    """A value this module leaves to typer."""


UNHANDLED = _Unhandled()


def plain_value(annotation: Any, info: Any, value: Any, ctx: Any = None) -> Any:
    """``value`` coerced to ``annotation`` as typer would, or :data:`UNHANDLED`.

    ``info`` is the parameter's typer ``ParameterInfo`` (bounds, path checks, case);
    ``ctx`` the click context (its token normalisation applies to choices).
    """
    if info.parser is not None:
        return UNHANDLED
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if not isinstance(value, (list, tuple)):
            return UNHANDLED
        items = [plain_value(item, info, one, ctx) for one in value]
        return UNHANDLED if any(one is UNHANDLED for one in items) else items
    if annotation is str:
        return value if type(value) is str else UNHANDLED
    if annotation is bool:
        return value if type(value) is bool else UNHANDLED
    if annotation is int:
        return _number(int, _INTEGER, info, value)
    if annotation is float:
        return _number(float, _DECIMAL, info, value)
    if annotation is Path and info.path_type is None:
        return _path(info, value)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(annotation, info, value, ctx)
    return UNHANDLED


def _number(kind: type[Any], pattern: re.Pattern[str], info: Any, value: Any) -> Any:
    if type(value) is str and pattern.fullmatch(value):
        value = kind(value)
    if type(value) is not kind or info.clamp:
        return UNHANDLED
    if (info.min is not None and value < info.min) or (info.max is not None and value > info.max):
        return UNHANDLED  # typer's message says which bound
    return value


def _path(info: Any, value: Any) -> Any:
    if type(value) is not str or not value:
        return UNHANDLED
    checks = (
        info.exists or info.resolve_path or info.readable or info.writable,
        not (info.file_okay and info.dir_okay),
    )
    # With a check to make, typer's messages quote the value as given; Path() would
    # normalise it ("a//b/" is "a/b"), so only a value that Path() leaves alone.
    if any(checks) and str(Path(value)) != value:
        return UNHANDLED
    path = Path(value)
    if not any(checks):
        return path
    from typer._param_types import coerce_cli_path

    try:
        return coerce_cli_path(path, info, path_type=Path)
    except Exception:  # typer says what is wrong, with its context
        return UNHANDLED


def _choice(annotation: type[Enum], info: Any, value: Any, ctx: Any) -> Any:
    choices = list(annotation)
    try:
        return coerce_cli_choice(
            value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
        )
    except Exception:  # not one of the choices: typer says so
        return UNHANDLED


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainValues(RuntimeParam):
        """A parameter's coercion: :func:`plain_value`, else typer's own."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            plain = plain_value(self.annotation, self.parameter_info, value, ctx)
            if plain is not UNHANDLED:
                return plain
            return self._typers._coerce_value(value, param=param, ctx=ctx)

        @cached_property
        def _typers(self) -> Any:
            descriptor = resolve_type_descriptor(self.annotation, self.parameter_info)
            return build_runtime_param(descriptor)


def use_plain_values(params: Iterable[Any]) -> None:
    """Give a command's typer parameters :class:`PlainValues` (before they parse)."""
    if RuntimeParam is None:  # pragma: no cover
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", "") is not None:
            continue
        if descriptor.file_annotation is not None:
            continue  # typer opens files without pydantic
        try:
            plain = PlainValues(
                annotation=descriptor.annotation, parameter_info=descriptor.parameter_info
            )
        except TypeError:  # pragma: no cover  (a typer whose coercion layer changed)
            return  # typer's own coercion, as before
        param._runtime_param = plain
