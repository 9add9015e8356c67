"""Suite-wide: no test writes to the user's real kitprof data directory or history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # `kitprof run` stores every run in the default history: keep it in a temporary
    # folder (subprocesses inherit the environment). Tests that set their own win.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KITPROF_DATA_DIR", str(tmp_path_factory.mktemp("kitprof-data")))
        patch.delenv("KITPROF_DB", raising=False)
        yield
