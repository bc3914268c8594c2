"""Signed download links (issue 17): POST /workspaces/{id}/downloads gives a short-lived URL
that works without an Authorization header (a plain browser link) for that one file or folder;
expired, tampered, another workspace's, a logged-out login's or a disabled user's links are
refused."""

import base64
import io
import json
import sqlite3
import time
import zipfile

import pytest

from api_client import call, create_workspace, error_code, register, wait_for
from test_server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Links live 2 s here, so that expiry can be watched.
    s = Server(tmp_path_factory.mktemp("downloads"), "--set", "files.download_ttl_s=2")
    yield s
    s.stop()


@pytest.fixture
def session(server):
    return register(server)


@pytest.fixture
def ws(server, session):
    ws = create_workspace(server, session["access_token"])["id"]
    for path, body in {"a.txt": b"alpha", "dir/b.bin": bytes(range(256)), "dir/c.txt": b"c"}.items():
        status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}",
                              token=session["access_token"], body=body)
        assert status == 200, doc
    return ws


def sign(server, token, ws, path, kind):
    return call(server, "POST", f"/workspaces/{ws}/downloads", token=token,
                json_body={"path": path, "kind": kind})


def fetch(server, url):
    """A browser following the link: no Authorization header."""
    return server.request("GET", url, timeout=30.0)


def test_file_link_works_without_a_token(server, session, ws):
    status, _, doc = sign(server, session["access_token"], ws, "dir/b.bin", "file")
    assert status == 201, doc
    assert doc["url"].startswith("/api/v1/downloads/")
    assert session["access_token"] not in doc["url"]
    assert doc["expires_at"] > time.time() * 1000
    status, headers, body = fetch(server, doc["url"])
    assert status == 200 and body == bytes(range(256))
    assert headers["Content-Disposition"].startswith('attachment; filename="b.bin"')
    assert "no-store" in headers["Cache-Control"]


def test_archive_link_streams_the_folder(server, session, ws):
    status, _, doc = sign(server, session["access_token"], ws, "dir", "archive")
    assert status == 201, doc
    status, headers, body = fetch(server, doc["url"])
    assert status == 200 and headers["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(body))
    assert {i.filename: z.read(i) for i in z.infolist()} == {
        "dir/": b"", "dir/b.bin": bytes(range(256)), "dir/c.txt": b"c"}
    status, _, doc = sign(server, session["access_token"], ws, "", "archive")
    assert status == 201
    z = zipfile.ZipFile(io.BytesIO(fetch(server, doc["url"])[2]))
    assert set(z.namelist()) == {"a.txt", "dir/", "dir/b.bin", "dir/c.txt"}


def test_signing_checks_what_is_asked(server, session, ws):
    token = session["access_token"]
    assert sign(server, token, ws, "dir", "file")[0] == 400
    assert sign(server, token, ws, "a.txt", "archive")[0] == 400
    assert sign(server, token, ws, "missing.txt", "file")[0] == 404
    assert sign(server, token, ws, "../a.txt", "file")[0] == 400
    assert sign(server, token, ws, "a.txt", "zip")[0] == 400
    assert call(server, "POST", f"/workspaces/{ws}/downloads",
                json_body={"path": "a.txt", "kind": "file"})[0] == 401
    # Another user cannot sign for this workspace: it does not exist for them.
    other = register(server)["access_token"]
    status, _, doc = sign(server, other, ws, "a.txt", "file")
    assert status == 404 and error_code(doc) == "not_found"


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_tampered_links_are_refused(server, session, ws):
    other = register(server)
    other_ws = create_workspace(server, other["access_token"])["id"]
    assert call(server, "PUT", f"/workspaces/{other_ws}/files/theirs.txt",
                token=other["access_token"], body=b"theirs")[0] == 200
    status, _, doc = sign(server, session["access_token"], ws, "a.txt", "file")
    assert status == 201
    prefix, token = doc["url"].rsplit("/", 1)
    payload, mac = token.split(".")
    claims = json.loads(b64decode(payload))
    # Another workspace's path, another path, a longer life: each breaks the signature.
    for change in ({"w": other_ws, "p": "theirs.txt"}, {"p": "dir/c.txt"},
                   {"e": claims["e"] + 3600_000}):
        forged = b64encode(json.dumps({**claims, **change}).encode()) + "." + mac
        status, _, body = fetch(server, f"{prefix}/{forged}")
        assert status == 401, body
        assert error_code(json.loads(body)) == "unauthenticated"
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    assert fetch(server, f"{prefix}/{payload}.{flipped}")[0] == 401
    assert fetch(server, f"{prefix}/garbage")[0] == 401
    assert fetch(server, doc["url"])[0] == 200  # the original still works


def test_expired_link_is_refused(server, session, ws):
    status, _, doc = sign(server, session["access_token"], ws, "a.txt", "file")
    assert fetch(server, doc["url"])[0] == 200
    deadline = time.monotonic() + 10
    while time.time() * 1000 < doc["expires_at"]:  # the server's clock is this machine's
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status, _, body = fetch(server, doc["url"])
    assert status == 401 and b"expired" in body


def test_logout_and_disabling_revoke_links(server, ws, session):
    status, _, doc = sign(server, session["access_token"], ws, "a.txt", "file")
    assert fetch(server, doc["url"])[0] == 200
    assert call(server, "POST", "/auth/logout",
                json_body={"refresh_token": session["refresh_token"]})[0] == 204
    status, _, body = fetch(server, doc["url"])
    assert status == 401 and b"revoked" in body

    fresh = register(server)
    fresh_ws = create_workspace(server, fresh["access_token"])["id"]
    call(server, "PUT", f"/workspaces/{fresh_ws}/files/x.txt", token=fresh["access_token"],
         body=b"x")
    status, _, doc = sign(server, fresh["access_token"], fresh_ws, "x.txt", "file")
    assert fetch(server, doc["url"])[0] == 200
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=10)
    try:
        with db:
            db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (fresh["user"]["id"],))
    finally:
        db.close()
    status, _, body = fetch(server, doc["url"])
    assert status == 401 and b"revoked" in body


def test_the_key_lives_in_storage(server, session, ws):
    status, _, doc = sign(server, session["access_token"], ws, "a.txt", "file")
    assert status == 201
    db = sqlite3.connect(server.data_dir / "codeyard.db", timeout=10)
    try:
        rows = db.execute("SELECT name, length(value) FROM server_secrets").fetchall()
    finally:
        db.close()
    assert rows == [("downloads", 64)]


def test_the_access_log_never_holds_a_link(server, session, ws):
    """A log line must not hand out a live link: the token is redacted in the request line."""
    status, _, doc = sign(server, session["access_token"], ws, "a.txt", "file")
    assert status == 201, doc
    token = doc["url"].rsplit("/", 1)[1]
    status, _, body = fetch(server, doc["url"])
    assert status == 200 and body == b"alpha"
    wait_for(lambda: '"path":"/api/v1/downloads/<redacted>"' in server.stderr(), 10,
             "the download's access line")
    assert token not in server.stderr()
