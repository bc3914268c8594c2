"""REST API: accounts, tokens, readiness, and the 400s every JSON route shares.

The one server suite that hashes passwords at the default cost (the others hash at the least
cost the configuration allows: test_server.clean_env)."""

import pytest

from api_client import call, error_code, new_username, register
from storage_choice import password_hash, start_server
from test_server import clean_env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("api_auth"), env=clean_env(password_cost="default"))
    yield s
    s.stop()


def test_passwords_are_stored_as_argon2id_at_the_configured_cost(server):
    user = register(server)["user"]
    # auth.password_ops = 2, auth.password_memory_kib = 65536 (the defaults); one lane.
    assert password_hash(server, user["id"]).startswith("$argon2id$v=19$m=65536,t=2,p=1$")


def test_the_cost_keys_set_the_stored_hash(tmp_path):
    # CODEYARD_AUTH_PASSWORD_OPS / _MEMORY_KIB, as every other suite's servers get them.
    s = start_server(tmp_path, env=clean_env())
    try:
        user = register(s)["user"]
        assert password_hash(s, user["id"]).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    finally:
        s.stop()


def assert_session(doc, username):
    assert set(doc) == {"access_token", "refresh_token", "expires_in", "user"}
    assert 0 < doc["expires_in"] <= 15 * 60
    assert set(doc["user"]) == {"id", "username", "role", "reviewer_level"}
    assert doc["user"]["username"] == username
    assert doc["user"]["role"] == "user" and doc["user"]["reviewer_level"] == 0


def test_ready_checks_storage_and_executor(server):
    status, _, doc = call(server, "GET", "/ready")
    assert (status, doc) == (200, {"status": "ready"})


def test_register_login_me(server):
    name = new_username()
    reg = register(server, name)
    assert_session(reg, name)
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": name.upper(), "password": "correct horse"})
    assert status == 200
    assert_session(doc, name)
    status, _, me = call(server, "GET", "/me", token=doc["access_token"])
    assert status == 200 and me == reg["user"]


def test_register_taken_name_is_409(server):
    name = new_username()
    register(server, name)
    status, _, doc = call(server, "POST", "/auth/register",
                          json_body={"username": name, "password": "another pass"})
    assert status == 409 and error_code(doc) == "already_exists"


def test_register_weak_input_is_400(server):
    status, _, doc = call(server, "POST", "/auth/register",
                          json_body={"username": "x", "password": "correct horse"})
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = call(server, "POST", "/auth/register",
                          json_body={"username": new_username(), "password": "short"})
    assert status == 400 and error_code(doc) == "invalid_argument"


def test_wrong_password_is_401(server):
    name = new_username()
    register(server, name)
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": name, "password": "wrong password"})
    assert status == 401 and error_code(doc) == "unauthenticated"


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer not.a.jwt"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
])
def test_me_without_a_valid_token_is_401(server, headers):
    status, _, doc = call(server, "GET", "/me", headers=headers)
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_tampered_token_is_401(server):
    token = register(server)["access_token"]
    bad = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    status, _, doc = call(server, "GET", "/me", token=bad)
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_refresh_rotates_and_reuse_revokes(server):
    reg = register(server)
    status, _, fresh = call(server, "POST", "/auth/refresh",
                            json_body={"refresh_token": reg["refresh_token"]})
    assert status == 200
    assert_session(fresh, reg["user"]["username"])
    assert fresh["refresh_token"] != reg["refresh_token"]
    # The old token again is theft: it fails and takes the new one down with it.
    status, _, doc = call(server, "POST", "/auth/refresh",
                          json_body={"refresh_token": reg["refresh_token"]})
    assert status == 401 and error_code(doc) == "unauthenticated"
    status, _, _ = call(server, "POST", "/auth/refresh",
                        json_body={"refresh_token": fresh["refresh_token"]})
    assert status == 401


def test_logout_is_204_and_ends_the_refresh_token(server):
    reg = register(server)
    status, _, body = call(server, "POST", "/auth/logout",
                           json_body={"refresh_token": reg["refresh_token"]})
    assert (status, body) == (204, b"")
    status, _, _ = call(server, "POST", "/auth/refresh",
                        json_body={"refresh_token": reg["refresh_token"]})
    assert status == 401
    status, _, doc = call(server, "POST", "/auth/logout", json_body={"refresh_token": "nope"})
    assert status == 401 and error_code(doc) == "unauthenticated"


def test_change_password(server):
    name = new_username()
    reg = register(server, name)
    token = reg["access_token"]
    status, _, doc = call(server, "PATCH", "/me", token=token,
                          json_body={"old_password": "wrong one", "new_password": "new secret pw"})
    assert status == 401 and error_code(doc) == "unauthenticated"
    status, _, doc = call(server, "PATCH", "/me", token=token,
                          json_body={"old_password": "correct horse", "new_password": "new secret pw"})
    assert status == 200 and doc == reg["user"]
    status, _, _ = call(server, "POST", "/auth/login",
                        json_body={"username": name, "password": "correct horse"})
    assert status == 401
    status, _, _ = call(server, "POST", "/auth/login",
                        json_body={"username": name, "password": "new secret pw"})
    assert status == 200
    status, _, doc = call(server, "PATCH", "/me", json_body={"old_password": "a", "new_password": "b"})
    assert status == 401


@pytest.mark.parametrize("body, field", [
    (b"", None),
    (b"{", None),
    (b"[1,2]", None),
    (b'"text"', None),
    (b'{"username":"abc","password":"x\xff\xfe"}', None),  # invalid UTF-8 inside JSON
    (b'{"password":"correct horse"}', "username"),
    (b'{"username":"abcdef"}', "password"),
    (b'{"username":42,"password":"correct horse"}', "username"),
    (b'{"username":"abcdef","password":["x"]}', "password"),
])
def test_malformed_bodies_are_400_naming_the_field(server, body, field):
    status, _, doc = call(server, "POST", "/auth/login", body=body,
                          headers={"Content-Type": "application/json"})
    assert status == 400 and error_code(doc) == "invalid_argument"
    if field:
        assert f"'{field}'" in doc["error"]["message"]
    # The server keeps serving after every bad request.
    assert call(server, "GET", "/health")[0] == 200


def test_refresh_and_logout_need_the_field(server):
    for path in ("/auth/refresh", "/auth/logout"):
        status, _, doc = call(server, "POST", path, json_body={"token": "x"})
        assert status == 400 and "'refresh_token'" in doc["error"]["message"]
