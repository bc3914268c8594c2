"""Issue 13 item 6: an access token dies with its login or its user, at once.

Logout ends that login's access tokens (other logins of the user go on), a password change
ends every login, and a user disabled or deleted loses every route at once. There is no admin
HTTP route yet, so the test disables and deletes users the way an operator would: by writing
the server's SQLite database from this process. That is also what a second server replica
does, so it shows the check reads storage on every request instead of trusting the process.
"""

import sqlite3

from api_client import call, create_workspace, error_code, new_username, register

PASSWORD = "correct horse"
RUN = {"language": "python", "files": {"main.py": "print('ran')"}}


def assert_revoked(server, token, method="GET", path="/me", body=None):
    status, _, doc = call(server, method, path, token=token, json_body=body)
    assert status == 401, (path, status, doc)
    assert error_code(doc) == "unauthenticated"
    return doc["error"]["message"]


def login(server, username, password=PASSWORD):
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": username, "password": password})
    assert status == 200, doc
    return doc


def operator_sql(server, sql, *args):
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=10)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        with db:
            assert db.execute(sql, args).rowcount == 1
    finally:
        db.close()


def test_logout_ends_that_logins_access_token_only(server):
    name = new_username()
    first = register(server, name)
    second = login(server, name)
    assert call(server, "GET", "/me", token=first["access_token"])[0] == 200
    status, _, _ = call(server, "POST", "/auth/logout",
                        json_body={"refresh_token": first["refresh_token"]})
    assert status == 204
    assert "log in again" in assert_revoked(server, first["access_token"])
    assert_revoked(server, first["access_token"], "POST", "/workspaces", {"name": "after"})
    assert call(server, "GET", "/me", token=second["access_token"])[0] == 200


def test_refresh_keeps_the_login_and_reuse_ends_it(server):
    reg = register(server)
    status, _, rotated = call(server, "POST", "/auth/refresh",
                              json_body={"refresh_token": reg["refresh_token"]})
    assert status == 200
    assert call(server, "GET", "/me", token=reg["access_token"])[0] == 200
    # The old refresh token again: theft is assumed and the login ends.
    status, _, _ = call(server, "POST", "/auth/refresh",
                        json_body={"refresh_token": reg["refresh_token"]})
    assert status == 401
    assert_revoked(server, rotated["access_token"])


def test_password_change_ends_every_login(server):
    name = new_username()
    first = register(server, name)
    second = login(server, name)
    status, _, doc = call(server, "PATCH", "/me", token=first["access_token"],
                          json_body={"old_password": PASSWORD, "new_password": "a new password"})
    assert status == 200, doc
    assert_revoked(server, first["access_token"])
    assert_revoked(server, second["access_token"])
    fresh = login(server, name, "a new password")
    assert call(server, "GET", "/me", token=fresh["access_token"])[0] == 200


def test_disabled_user_loses_every_route_at_once(server):
    reg = register(server)
    token = reg["access_token"]
    ws = create_workspace(server, token)
    operator_sql(server, "UPDATE users SET disabled = 1 WHERE id = ?", reg["user"]["id"])
    assert "disabled" in assert_revoked(server, token)
    assert_revoked(server, token, "POST", "/workspaces", {"name": "more"})
    assert_revoked(server, token, "POST", f"/workspaces/{ws['id']}/exec", {"argv": ["true"]})
    assert_revoked(server, token, "POST", "/run", RUN)
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": reg["user"]["username"], "password": PASSWORD})
    assert status == 403 and error_code(doc) == "permission_denied"


def test_deleted_user_cannot_run(server):
    reg = register(server)
    token = reg["access_token"]
    status, _, doc = call(server, "POST", "/run", token=token, json_body=RUN)
    assert status == 200 and doc["stdout"] == "ran\n", doc
    operator_sql(server, "DELETE FROM users WHERE id = ?", reg["user"]["id"])
    assert "no longer exists" in assert_revoked(server, token, "POST", "/run", RUN)
    assert_revoked(server, token)
