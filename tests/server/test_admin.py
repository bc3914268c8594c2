"""The admin API over HTTP (issue 20, docs/api.md#administration): every /api/v1/admin route
answers 404 to a signed-in non-admin (401 without a token); an admin lists and searches users,
disables one (their token stops working and their open terminal closes at the next re-check),
enables, sets role and level, ends logins; lists and stops another user's workspace; reads the
queue, replicas and health; and filters and exports the audit log, whose records carry the
request's X-Request-Id and address. Runs on SQLite, and on PostgreSQL in the "on postgres"
variant (storage_choice.py)."""

import asyncio
import csv
import io
import json

import pytest

from api_client import call, create_workspace, error_code, register, wait_for
from storage_choice import set_role, start_server
from terminal_client import Terminal, marker_echo

ADMIN_GETS = ["/admin/users", "/admin/workspaces", "/admin/jobs", "/admin/jobs/stats",
              "/admin/replicas", "/admin/health", "/admin/audit", "/admin/audit/export"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A login re-check every second: the disable test waits on the terminal's close.
    s = start_server(tmp_path_factory.mktemp("admin"), "--set",
                     "auth.registrations_per_address=0", "--set", "terminal.reauth_interval_s=1")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(server):
    doc = register(server)
    set_role(server, doc["user"]["id"], "admin")
    return doc


def test_admin_routes_are_not_found_for_everyone_else(server):
    user = register(server)
    target = user["user"]["id"]
    for path in ADMIN_GETS:
        status, _, doc = call(server, "GET", path, token=user["access_token"])
        assert status == 404 and error_code(doc) == "not_found", (path, doc)
        status, _, doc = call(server, "GET", path)
        assert status == 401, (path, doc)
    for method, path, body in [("POST", f"/admin/users/{target}/disable", None),
                               ("POST", f"/admin/users/{target}/logout", None),
                               ("PATCH", f"/admin/users/{target}", {"role": "admin"}),
                               ("POST", "/admin/workspaces/x/stop", None),
                               ("POST", "/admin/jobs/x/retry", None),
                               ("POST", "/admin/jobs/x/cancel", None)]:
        status, _, doc = call(server, method, path, token=user["access_token"], json_body=body)
        assert status == 404 and error_code(doc) == "not_found", (path, doc)
    status, _, me = call(server, "GET", "/me", token=user["access_token"])
    assert status == 200 and me["role"] == "user"


def test_users_are_searched_changed_and_audited(server, admin):
    token = admin["access_token"]
    user = register(server)
    uid, name = user["user"]["id"], user["user"]["username"]
    status, _, page = call(server, "GET", f"/admin/users?search={name.upper()}", token=token)
    assert status == 200 and [u["id"] for u in page["items"]] == [uid], page
    assert page["items"][0]["disabled"] is False and "password_hash" not in page["items"][0]

    status, headers, doc = call(server, "POST", f"/admin/users/{uid}/disable", token=token,
                                headers={"X-Request-Id": "admin-test-disable"})
    assert status == 200 and doc["disabled"] is True, doc
    status, _, doc = call(server, "GET", "/me", token=user["access_token"])
    assert status == 401, doc
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": name, "password": "correct horse"})
    assert status == 403, doc
    status, _, doc = call(server, "POST", f"/admin/users/{uid}/enable", token=token)
    assert status == 200 and doc["disabled"] is False
    status, _, doc = call(server, "PATCH", f"/admin/users/{uid}", token=token,
                          json_body={"role": "admin", "reviewer_level": 2})
    assert status == 200 and doc["role"] == "admin" and doc["reviewer_level"] == 2, doc
    status, _, doc = call(server, "PATCH", f"/admin/users/{uid}", token=token,
                          json_body={"role": "root"})
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = call(server, "POST", f"/admin/users/{admin['user']['id']}/disable",
                          token=token)
    assert status == 412 and error_code(doc) == "failed_precondition", doc  # no self-lockout
    status, _, again = call(server, "POST", "/auth/login",
                            json_body={"username": name, "password": "correct horse"})
    assert status == 200, again
    status, _, doc = call(server, "POST", f"/admin/users/{uid}/logout", token=token)
    assert status == 200 and doc["revoked"] >= 1, doc
    status, _, doc = call(server, "GET", "/me", token=again["access_token"])
    assert status == 401, doc

    # The audit log: the disable, with the request's id and the client's address.
    status, _, page = call(server, "GET", f"/admin/audit?action=user.disable&target={uid}",
                           token=token)
    assert status == 200 and len(page["items"]) == 1, page
    record = page["items"][0]
    assert record["actor_id"] == admin["user"]["id"]
    assert record["request_id"] == "admin-test-disable"
    assert record["source"] == "127.0.0.1"
    actions = {e["action"] for e in call(server, "GET", f"/admin/audit?target={uid}",
                                         token=token)[2]["items"]}
    assert {"user.disable", "user.enable", "user.role", "user.reviewer_level",
            "user.force_logout"} <= actions, actions
    status, _, doc = call(server, "GET", "/admin/audit?from=soon", token=token)
    assert status == 400 and error_code(doc) == "invalid_argument"

    # Exports: every matching record, as CSV and as JSON.
    status, headers, raw = call(server, "GET", f"/admin/audit/export?format=csv&target={uid}",
                                token=token)
    assert status == 200 and headers["Content-Type"].startswith("text/csv"), headers
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert {r["action"] for r in rows} == actions
    status, _, raw = call(server, "GET", f"/admin/audit/export?target={uid}", token=token)
    exported = raw if isinstance(raw, list) else json.loads(raw)
    assert len(exported) == len(rows)


def test_a_disabled_users_terminal_closes(server, admin):
    user = register(server)
    ws = create_workspace(server, user["access_token"])["id"]

    async def scenario():
        term = await Terminal.open(server, ws, user["access_token"])
        await marker_echo(term, "before-disable")
        status, _, doc = call(server, "POST", f"/admin/users/{user['user']['id']}/disable",
                              token=admin["access_token"])
        assert status == 200, doc
        code, _ = await term.wait_closed(timeout=15)
        assert code is not None and code >= 4000, code

    asyncio.run(scenario())


def test_workspaces_jobs_replicas_and_health(server, admin):
    token = admin["access_token"]
    user = register(server)
    ws = create_workspace(server, user["access_token"])["id"]
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/start", token=user["access_token"])
    assert status == 200, doc
    status, _, page = call(server, "GET", f"/admin/workspaces?user={user['user']['id']}",
                           token=token)
    assert status == 200 and [w["id"] for w in page["items"]] == [ws], page
    item = page["items"][0]
    assert item["state"] == "running" and item["pod"]["state"] == "running", item
    assert item["owner_username"] == user["user"]["username"]
    status, _, doc = call(server, "GET", "/admin/workspaces?state=sleeping", token=token)
    assert status == 400
    status, _, doc = call(server, "POST", f"/admin/workspaces/{ws}/stop", token=token)
    assert status == 204, doc
    status, _, doc = call(server, "GET", f"/workspaces/{ws}", token=user["access_token"])
    assert doc["state"] == "stopped", doc
    status, _, page = call(server, "GET", f"/admin/audit?target={ws}", token=token)
    actions = [e["action"] for e in page["items"]]
    assert actions[:3] == ["workspace.stop", "pod.delete", "pod.create"], actions

    status, _, stats = call(server, "GET", "/admin/jobs/stats", token=token)
    assert status == 200 and {"depth", "running", "stuck"} <= set(stats), stats
    status, _, doc = call(server, "GET", "/admin/jobs?state=later", token=token)
    assert status == 400
    status, _, doc = call(server, "POST", "/admin/jobs/no-such-job/cancel", token=token)
    assert status == 404
    status, _, doc = call(server, "GET", "/admin/replicas", token=token)
    assert status == 200 and len(doc["items"]) >= 1, doc
    assert doc["items"][0]["heartbeat_at"] > 0 and doc["items"][0]["version"]
    status, _, doc = call(server, "GET", "/admin/health", token=token)
    assert status == 200 and doc["storage"]["ok"] and doc["executor"]["ok"], doc


def test_replicas_are_counted_by_state_on_metrics(server):
    """org20: codeyard_replicas{state} counts the replicas table's rows per state (this server,
    live after its first heartbeat at start), never a label per replica."""
    import prometheus_text

    status, _, body = server.request("GET", "/metrics")
    assert status == 200
    families = prometheus_text.parse(body.decode("utf-8"))
    assert families["codeyard_replicas"]["type"] == "gauge"
    assert prometheus_text.value(families, "codeyard_replicas", state="live") == 1
    assert prometheus_text.value(families, "codeyard_replicas", state="stale") == 0
