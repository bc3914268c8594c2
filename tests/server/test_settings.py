"""GET/PUT /api/v1/me/settings: each user's IDE settings, on SQLite and on PostgreSQL."""

import os
import subprocess
import uuid

import pytest

from api_client import call, error_code, register
from test_server import Server

DEFAULTS = {"theme": "dark", "font_size": 14, "autosave": True, "tab_size": 4, "updated_at": 0}


def postgres_schema_uri():
    """A fresh schema on the test PostgreSQL (CODEYARD_TEST_POSTGRES_URI; required)."""
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    schema = "st_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    sep = "&" if "?" in server_uri else "?"
    return f"{server_uri}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend_server(tmp_path_factory, request):
    args = [] if request.param == "sqlite" else ["--storage", postgres_schema_uri()]
    s = Server(tmp_path_factory.mktemp("settings-" + request.param), *args)
    yield s
    s.stop()


def settings(server, token):
    """The settings GET answers, without the server's limits it also says."""
    status, _, doc = call(server, "GET", "/me/settings", token=token)
    assert status == 200, doc
    assert set(doc.pop("limits")) == {"max_file_bytes", "max_workspace_bytes",
                                      "max_workspace_entries", "max_terminals"}
    return doc


def put(server, token, body):
    return call(server, "PUT", "/me/settings", token=token, json_body=body)


def test_defaults_then_partial_changes_per_user(backend_server):
    ada = register(backend_server)["access_token"]
    bob = register(backend_server)["access_token"]
    assert settings(backend_server, ada) == DEFAULTS

    status, _, doc = put(backend_server, ada, {"theme": "light", "font_size": 18})
    assert status == 200, doc
    assert doc["theme"] == "light" and doc["font_size"] == 18
    assert doc["autosave"] is True and doc["tab_size"] == 4
    assert doc["updated_at"] > 0
    status, _, doc = put(backend_server, ada, {"autosave": False, "tab_size": 2})
    assert status == 200, doc
    assert {k: doc[k] for k in ("theme", "font_size", "autosave", "tab_size")} == {
        "theme": "light", "font_size": 18, "autosave": False, "tab_size": 2}
    assert settings(backend_server, ada) == doc
    assert settings(backend_server, bob) == DEFAULTS  # each user their own


@pytest.mark.parametrize("body", [
    {"font_size": 7}, {"font_size": 33}, {"font_size": 14.5}, {"font_size": "14"},
    {"tab_size": 0}, {"tab_size": 9}, {"theme": "blue"}, {"theme": 1}, {"autosave": 1},
    {"autosave": "true"}, {"fontSize": 12}, {"font_size": 2 ** 40},
])
def test_bad_values_are_refused_and_nothing_changes(backend_server, body):
    token = register(backend_server)["access_token"]
    status, _, doc = put(backend_server, token, body)
    assert status == 400, (body, doc)
    assert error_code(doc) == "invalid_argument"
    assert settings(backend_server, token) == DEFAULTS


def test_a_body_that_is_not_an_object_and_no_token(backend_server):
    token = register(backend_server)["access_token"]
    status, _, doc = call(backend_server, "PUT", "/me/settings", token=token, body=b"[1]",
                          headers={"Content-Type": "application/json"})
    assert status == 400 and error_code(doc) == "invalid_argument"
    for method in ("GET", "PUT"):
        status, _, doc = call(backend_server, method, "/me/settings", json_body={})
        assert status == 401 and error_code(doc) == "unauthenticated"


def test_get_says_the_limits_the_ide_checks_before_asking(tmp_path):
    s = Server(tmp_path, "--set", "terminal.max_per_workspace=3",
               "--set", "files.max_file_bytes=123456")
    try:
        token = register(s)["access_token"]
        status, _, doc = call(s, "GET", "/me/settings", token=token)
        assert status == 200, doc
        assert doc["limits"]["max_terminals"] == 3
        assert doc["limits"]["max_file_bytes"] == 123456
        assert doc["limits"]["max_workspace_bytes"] == 100 << 20
        assert doc["limits"]["max_workspace_entries"] == 10000
        status, _, unauthed = call(s, "GET", "/me/settings")
        assert status == 401, unauthed
    finally:
        s.stop()
