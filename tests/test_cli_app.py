"""profiler.cli.app.main: how the process ends after a command."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable
from importlib import import_module

import pytest

from profiler.errors import InputError

# The module, not the Typer app that profiler.cli exports under the same name.
cli_app = import_module("profiler.cli.app")


class _Exited(Exception):
    """Stands in for os._exit, which would end the test run."""


def _run_main(monkeypatch: pytest.MonkeyPatch, command: Callable[[], None]) -> list[int]:
    """main() over ``command`` as the CLI; the codes os._exit was called with."""
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise _Exited

    monkeypatch.setattr(cli_app.os, "_exit", fake_exit)
    monkeypatch.setattr(cli_app, "app", command)
    # The test run itself may be traced (a coverage tool, a debugger).
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    with contextlib.suppress(SystemExit, _Exited):
        cli_app.main()
    return codes


def _command(code: int, *held: object) -> Callable[[], None]:
    def command() -> None:
        cli_app.exit_without_freeing(*held)
        sys.exit(code)

    return command


def test_a_command_that_holds_objects_ends_with_os_exit_0_after_success(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collecting: list[bool] = []

    def command() -> None:
        cli_app.exit_without_freeing(object())
        collecting.append(gc.isenabled())  # nothing made from here on is collected
        sys.exit(0)

    assert _run_main(monkeypatch, command) == [0]
    assert collecting == [False]
    assert gc.isenabled()  # main() returned (os._exit was faked): collector back


@pytest.mark.parametrize("code", [1, 2, 3])
def test_a_command_that_failed_exits_as_usual(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    with pytest.raises(SystemExit) as exited:
        monkeypatch.setattr(cli_app.os, "_exit", lambda code: pytest.fail("os._exit"))
        monkeypatch.setattr(cli_app, "app", _command(code, object()))
        cli_app.main()
    assert exited.value.code == code
    assert gc.isenabled()


def test_a_command_holding_nothing_exits_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_main(monkeypatch, _command(0)) == []


def test_a_library_error_is_reported_as_usual(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def command() -> None:
        cli_app.exit_without_freeing(object())
        raise InputError("no such build")

    assert _run_main(monkeypatch, command) == []
    assert "Error: no such build" in capsys.readouterr().err


def test_under_a_profiler_the_interpreter_ends_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_app.os, "_exit", lambda code: pytest.fail("os._exit"))
    monkeypatch.setattr(sys, "getprofile", lambda: print)  # any profile function
    monkeypatch.setattr(cli_app, "app", _command(0, object()))
    with pytest.raises(SystemExit) as exited:
        cli_app.main()
    assert exited.value.code == 0


def test_a_command_run_in_process_holds_nothing() -> None:
    # Tests invoke the app without main(): nothing is kept from one to the next.
    cli_app.exit_without_freeing(object())
    assert cli_app._held is None
