"""Helpers shared by the REST API suites: JSON requests against a test_server.Server."""

import json
import re
import time
import uuid

import pytest

from storage_choice import start_server

API = "/api/v1"


def call(server, method, path, token=None, json_body=None, body=None, headers=None):
    """Returns (status, headers, parsed JSON or raw bytes)."""
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        body = json.dumps(json_body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    status, resp_headers, raw = server.request(method, API + path, headers=hdrs, body=body,
                                               timeout=30.0)
    if resp_headers.get("Content-Type", "").startswith("application/json") and raw:
        return status, resp_headers, json.loads(raw)
    return status, resp_headers, raw


def error_code(doc):
    assert set(doc) == {"error"}, doc
    assert set(doc["error"]) == {"code", "message", "request_id"}, doc
    return doc["error"]["code"]


def new_username():
    return "u" + uuid.uuid4().hex[:12]


def register(server, username=None, password="correct horse"):
    """A fresh user; returns the session document (tokens and user)."""
    status, _, doc = call(server, "POST", "/auth/register",
                          json_body={"username": username or new_username(), "password": password})
    assert status == 201, doc
    return doc


def create_workspace(server, token, name=None):
    """A user's workspace names are unique (409 otherwise): the default is a fresh one."""
    name = name or "ws-" + uuid.uuid4().hex[:8]
    status, _, doc = call(server, "POST", "/workspaces", token=token, json_body={"name": name})
    assert status == 201, doc
    return doc


def limit_refusals(server, limit):
    """How many requests the limit with configuration key `limit` has refused so far
    (codeyard_limit_refusals_total; 0 before the first)."""
    status, _, text = server.request("GET", "/api/v1/metrics")
    assert status == 200
    m = re.search(r'^codeyard_limit_refusals_total\{limit="%s"\} (\d+)' % re.escape(limit),
                  text.decode(), re.M)
    return int(m.group(1)) if m else 0


def wait_for(predicate, seconds, what, interval=0.05):
    """Polls `predicate` until it returns something true, and returns that; fails the test
    naming `what` when `seconds` pass first. The one way the suites wait on a condition."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(interval)


@pytest.fixture
def make_server(tmp_path):
    """make_server("key=value", ...) starts a server of its own with those settings (--set),
    in a fresh home below tmp_path, on the backend storage_choice picks; every one started is
    stopped after the test. A suite uses it by importing it (`from api_client import
    make_server`)."""
    servers = []

    def start(*settings):
        args = []
        for s in settings:
            args += ["--set", s]
        home = tmp_path / str(len(servers))
        home.mkdir()
        servers.append(start_server(home, *args))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()
