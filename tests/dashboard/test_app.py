"""The app: sources chosen at launch, basic auth, the WSGI entry point, no shared state."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.app import (
    AuthError,
    create_app,
    files_from_env,
    make_catalog,
    parse_auth,
    shows_history,
)
from dashboard.files import FileSource
from dashboard.sources import StoreSource
from tests.dashboard.conftest import ROOT, SAMPLES

ONE = SAMPLES / "parallel-stages" / "cold.rawjson"
ROUTE = {
    "output": "..page.children...nav.children..",
    "outputs": [{"id": "page", "property": "children"}, {"id": "nav", "property": "children"}],
    "inputs": [
        {"id": "url", "property": "pathname", "value": "/"},
        {"id": "url", "property": "search", "value": ""},
    ],
    "changedPropIds": ["url.pathname"],
    "state": [],
}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_which_sources(no_env_db: None, history_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert shows_history(None, [])  # nothing given: the default history
    assert not shows_history(None, [ONE])  # files alone
    assert shows_history(history_url, [ONE])
    monkeypatch.setenv("KITPROF_DB", history_url)
    assert shows_history(None, [ONE])
    catalog = make_catalog(None, [ONE])
    assert [type(source) for source in catalog.sources] == [StoreSource, FileSource]
    catalog.close()


def test_files_only_app_serves_pages(no_env_db: None) -> None:
    app = create_app(None, [ONE])
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/build/f1").status_code == 200  # the shell; the router fills it
    response = client.post("/_dash-update-component", json=ROUTE)
    assert response.status_code == 200
    assert "cold.rawjson" in response.get_data(as_text=True)


def test_basic_auth_guards_every_url(no_env_db: None) -> None:
    app = create_app(None, [ONE], auth=("team", "s3cret"))
    client = app.server.test_client()
    for url in ("/", "/_dash-layout", "/_dash-dependencies"):
        denied = client.get(url)
        assert denied.status_code == 401
        assert denied.headers["WWW-Authenticate"].startswith("Basic ")
        assert client.get(url, headers=basic("team", "wrong")).status_code == 401
        assert client.get(url, headers=basic("team", "s3cret")).status_code == 200
    posted = client.post("/_dash-update-component", json=ROUTE)
    assert posted.status_code == 401


def test_parse_auth() -> None:
    assert parse_auth(None) is None
    assert parse_auth("  ") is None
    assert parse_auth("team:a:b") == ("team", "a:b")
    for bad in ("team", ":pw", "team:"):
        with pytest.raises(AuthError):
            parse_auth(bad)


def test_files_from_env(tmp_path: Path) -> None:
    (tmp_path / "a.rawjson").write_text("{}")
    (tmp_path / "b.rawjson").write_text("{}")
    value = os.pathsep.join([str(tmp_path / "*.rawjson"), "", str(tmp_path / "plain.json")])
    assert files_from_env(value) == [
        tmp_path / "a.rawjson",
        tmp_path / "b.rawjson",
        tmp_path / "plain.json",
    ]
    assert files_from_env(None) == []


def test_two_apps_share_nothing(no_env_db: None) -> None:
    first = create_app(None, [ONE])
    second = create_app(None, [SAMPLES / "failing-test" / "failed.rawjson"])
    one = first.server.test_client().post("/_dash-update-component", json=ROUTE)
    two = second.server.test_client().post("/_dash-update-component", json=ROUTE)
    assert "cold.rawjson" in one.get_data(as_text=True)
    assert "cold.rawjson" not in two.get_data(as_text=True)
    assert "failed.rawjson" in two.get_data(as_text=True)


def test_wsgi_server_is_configured_by_the_environment(history_url: str, tmp_path: Path) -> None:
    # A fresh interpreter, as gunicorn's worker imports it.
    script = "\n".join(
        [
            "import json, sys",
            "from dashboard.wsgi import server",
            "client = server.test_client()",
            "auth = {'Authorization': sys.argv[2]}",
            "body = json.loads(sys.argv[1])",
            "r = client.post('/_dash-update-component', json=body, headers=auth)",
            "print(r.status_code, 'cold.rawjson' in r.get_data(as_text=True))",
            "print(client.get('/').status_code)",
        ]
    )
    env = {
        **os.environ,
        "KITPROF_DB": history_url,
        "KITPROF_DASHBOARD_FILES": str(ONE),
        "KITPROF_DASHBOARD_AUTH": "u:p",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(ROUTE), basic("u", "p")["Authorization"]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "True", "401"]


def test_dashboard_module_exposes_create_app_lazily() -> None:
    import dashboard

    assert dashboard.create_app is create_app
    with pytest.raises(AttributeError):
        _ = dashboard.nothing_here  # type: ignore[attr-defined]


def test_every_dashboard_module_is_in_a_package_an_install_ships() -> None:
    # setuptools' find_packages (pyproject.toml) skips folders without __init__.py.
    from setuptools import find_packages

    packages = set(find_packages(str(ROOT), include=["dashboard*"]))
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "dashboard").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert folders <= packages
