"""Issue 13 items 9 (rates) and 1 (exec caps), and runs per user (issue 16: the job queue)
against the real server.

Each test starts a server with small limits (--set), reaches them through the API and checks
the refusal's shape: 429, Retry-After in whole seconds, code resource_exhausted, and the
refusal counted in codeyard_limit_refusals_total under the limit's configuration key. The
counters live in storage; the library tests run them on SQLite and PostgreSQL, with two
limiters on one database standing for two replicas.
"""

import re

from api_client import (call, create_workspace, error_code, limit_refusals as refusals,
                        new_username, register)
from api_client import make_server  # noqa: F401  (a fixture)

PASSWORD = "correct horse"


def assert_limited(status, headers, doc, limit, retry_after=None):
    assert status == 429, doc
    assert error_code(doc) == "resource_exhausted"
    assert limit in doc["error"]["message"]
    wait = headers["Retry-After"]
    assert re.fullmatch(r"[1-9][0-9]*", wait), wait
    if retry_after is not None:
        assert int(wait) == retry_after



def login(server, username, password):
    return call(server, "POST", "/auth/login",
                json_body={"username": username, "password": password})


def test_failed_logins_per_account_wait_with_backoff(make_server):
    server = make_server("auth.login_failures_per_account=3", "auth.login_backoff_s=30")
    name = new_username()
    register(server, name)
    for _ in range(3):
        assert login(server, name, "wrong password")[0] == 401
    # Even the right password waits now; unknown and known names alike.
    assert_limited(*login(server, name, PASSWORD), "auth.login_failures_per_account", 30)
    ghost = new_username()
    for _ in range(3):
        assert login(server, ghost, "wrong password")[0] == 401
    assert_limited(*login(server, ghost, PASSWORD), "auth.login_failures_per_account", 30)
    assert refusals(server, "auth.login_failures_per_account") == 2
    # Another account is not held up.
    other = new_username()
    register(server, other)
    assert login(server, other, PASSWORD)[0] == 200


def test_failed_logins_per_address(make_server):
    server = make_server("auth.login_failures_per_address=5", "auth.login_backoff_s=60")
    name = new_username()
    register(server, name)
    for i in range(5):  # spread over names: no account counter fills
        assert login(server, f"{name}x{i}", "wrong password")[0] == 401
    assert_limited(*login(server, name, PASSWORD), "auth.login_failures_per_address", 60)


def test_registrations_per_address(make_server):
    server = make_server("auth.registrations_per_address=3")
    for _ in range(3):
        register(server)
    status, headers, doc = call(server, "POST", "/auth/register",
                                json_body={"username": new_username(), "password": PASSWORD})
    assert_limited(status, headers, doc, "auth.registrations_per_address")
    assert int(headers["Retry-After"]) > 3000  # the rest of the hour


def test_workspace_creations_and_execs_per_user(make_server):
    server = make_server("workspace.creates_per_minute=3", "exec.per_minute=2")
    token = register(server)["access_token"]
    ws = create_workspace(server, token, "one")
    create_workspace(server, token, "two")
    create_workspace(server, token, "three")
    assert_limited(*call(server, "POST", "/workspaces", token=token, json_body={"name": "x"}),
                   "workspace.creates_per_minute")
    other = register(server)["access_token"]
    create_workspace(server, other, "theirs")
    for _ in range(2):
        status, _, doc = call(server, "POST", f"/workspaces/{ws['id']}/exec", token=token,
                              json_body={"argv": ["true"]})
        assert status == 200, doc
    assert_limited(*call(server, "POST", f"/workspaces/{ws['id']}/exec", token=token,
                         json_body={"argv": ["true"]}), "exec.per_minute")
    assert refusals(server, "exec.per_minute") == 1


def test_runs_per_user_are_counted_by_the_job_queue(make_server):
    # /run is a job (issue 16): the queue's per-user limit counts it, in storage, and a full
    # queue is the server's 503 (tests/server/test_jobs.py covers the depth).
    server = make_server("limits.jobs_per_minute=2")
    greedy = register(server)["access_token"]
    body = {"language": "python", "files": {"main.py": "print(1)"}}
    for _ in range(2):
        status, _, doc = call(server, "POST", "/run", token=greedy, json_body=body)
        assert status == 200, doc
    status, headers, doc = call(server, "POST", "/run", token=greedy, json_body=body)
    assert_limited(status, headers, doc, "limits.jobs_per_minute")
    assert refusals(server, "limits.jobs_per_minute") == 1
    other = register(server)["access_token"]
    assert call(server, "POST", "/run", token=other, json_body=body)[0] == 200
