"""Path traversal against the dashboard: not found (404), never a server error (500)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dashboard.app import create_app

SAMPLE = Path(__file__).parents[2] / "sample_builds" / "parallel-stages" / "cold.rawjson"
TRAVERSALS = [
    "/_dash-component-suites/dash/../../../../etc/passwd",
    "/_dash-component-suites/dash/..%2f..%2f..%2fetc%2fpasswd",
    "/_dash-component-suites/dash/deps/..%2F..%2F__init__.py",
    "/_dash-component-suites/dash/%2e%2e/%2e%2e/etc/passwd.js",
    "/_dash-component-suites/../../etc/passwd",
    "/_dash-component-suites/unknown-package/x.js",
    "/assets/..%2f..%2f..%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_not_found(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KITPROF_DB", raising=False)
    app = create_app(None, [SAMPLE], auth=("team", "s3cret"))
    client = app.server.test_client()
    assert client.get(path).status_code == 401  # auth first, whatever the path
    token = base64.b64encode(b"team:s3cret").decode()
    response = client.get(path, headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_a_real_script_is_still_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KITPROF_DB", raising=False)
    client = create_app(None, [SAMPLE]).server.test_client()
    response = client.get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert response.status_code == 200
