"""The outside attack repeated on the finished product (issue 21, docs/security.md "Attack
again"): two replicas on PostgreSQL, the job queue, reviews, organizations, problems and the
admin routes. The cases are generated from shells/server/openapi.json, so a route added later
is attacked too:

* every route with an id, called by another user with the victim's ids (a workspace, a file,
  a review and its comment, a job, a submission, an organization, the victim's user id), on
  the replica that did not create them: refused (403/404, 404 for admin routes), nothing of
  the victim's in the answer, and the victim's things unchanged afterwards;
* every WebSocket route with an id, opened with the attacker's hello: closed, no data;
* malformed bodies (not JSON, wrong types, invalid UTF-8, 100,000 nested arrays) and a body
  over the route's cap, on every route that takes a JSON body: a 4xx with the error envelope;
* floods of the rate-limited routes: 429 with Retry-After, and nothing else breaks.
"""

import asyncio
import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import websockets

from api_client import call, create_workspace, register
from test_server import Server, error_of

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
OPENAPI = json.loads((ROOT / "shells" / "server" / "openapi.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")
SECRET = "victim-secret-" + uuid.uuid4().hex
PG_URI = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
if not PG_URI:
    raise RuntimeError("CODEYARD_TEST_POSTGRES_URI is not set (run via ./scripts/test)")

# Routes any signed-in user may call with another's ids, by design (problems are public).
PUBLIC = {("get", "/api/v1/problems/{id}"), ("post", "/api/v1/problems/{id}/submissions")}
# Capability URLs: the token is the credential, so the attacker tries made-up ones.
CAPABILITY = ("{token}", "{ticket}")


def websocket_routes():
    return {p for p, item in OPENAPI["paths"].items()
            if "WebSocket" in item.get("get", {}).get("description", "")
            or "WebSocket" in item.get("get", {}).get("summary", "")}


def operations():
    """(method, path template, operation) for every operation in the OpenAPI document."""
    for path, item in OPENAPI["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def json_body_operations():
    for method, path, op in operations():
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            yield method, path


def fresh_database():
    name = "attack_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", PG_URI, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    return urlunsplit(urlsplit(PG_URI)._replace(path="/" + name))


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    base = tmp_path_factory.mktemp("attack")
    storage = fresh_database()
    data = base / "data"
    servers = []
    for name in ("a", "b"):
        run = base / name
        run.mkdir()
        servers.append(Server(run, "--data", str(data), "--storage", storage,
                              "--set", f"server.replica_id={name}",
                              "--set", "auth.registrations_per_address=1000",
                              data_flag=False))
    for s in servers:
        s.storage = storage
    yield servers
    for s in servers:
        s.stop(timeout=60)


def make_admin(storage, user_id):
    subprocess.run(["psql", storage, "-q", "-c",
                    f"UPDATE users SET role = 'admin' WHERE id = '{user_id}'"],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def victim(replicas):
    """The victim's things, made on replica a."""
    a = replicas[0]
    session = register(a)
    token = session["access_token"]
    ws = create_workspace(a, token)["id"]
    assert call(a, "PUT", f"/workspaces/{ws}/files/secret.txt", token=token,
                body=SECRET.encode())[0] in (200, 201)
    status, _, review = call(a, "POST", "/reviews", token=token,
                             json_body={"workspace_id": ws, "title": "mine " + SECRET})
    assert status == 201, review
    status, _, comment = call(a, "POST", f"/reviews/{review['id']}/comments", token=token,
                              json_body={"body": SECRET, "path": "secret.txt", "line": 1})
    comment_id = comment.get("id", str(uuid.uuid4())) if status in (200, 201) else \
        str(uuid.uuid4())
    status, _, job = call(a, "POST", "/jobs", token=token, json_body={
        "language": "python", "files": {"main.py": f"print('{SECRET}')\n"}})
    assert status == 202, job
    status, _, org = call(a, "POST", "/orgs", token=token,
                          json_body={"slug": "org" + uuid.uuid4().hex[:8], "name": "Victim org"})
    assert status in (200, 201), org
    return {"session": session, "token": token, "user": session["user"]["id"],
            "username": session["user"]["username"], "workspace": ws,
            "review": review["id"], "comment": comment_id, "job": job["id"],
            "org": org["id"]}


def fill(path, victim):
    """The path with the victim's ids in it."""
    family = path.split("/")[3]
    ids = {"workspaces": victim["workspace"], "reviews": victim["review"],
           "jobs": victim["job"], "orgs": victim["org"], "problems": "hello",
           "submissions": str(uuid.uuid4())}
    if path.startswith("/api/v1/admin/users"):
        ident = victim["user"]
    elif path.startswith("/api/v1/admin/workspaces"):
        ident = victim["workspace"]
    elif path.startswith("/api/v1/admin/jobs"):
        ident = victim["job"]
    else:
        ident = ids.get(family, str(uuid.uuid4()))
    return (path.replace("{id}", ident).replace("{path}", "secret.txt")
            .replace("{n}", "1").replace("{cid}", victim["comment"])
            .replace("{user}", victim["user"]).replace("{port}", "8000")
            .replace("{token}", uuid.uuid4().hex).replace("{ticket}", uuid.uuid4().hex))


# A body each write route accepts from its owner, so a refusal is about the caller.
BODY = {"name": "taken", "shared": True, "role": "admin", "reviewer_level": 4, "title": "t",
        "body": "x", "decision": "approve", "from": "secret.txt", "to": "moved.txt",
        "argv": ["cat", "secret.txt"], "language": "python", "files": {"a.py": "print(1)"},
        "user": "nobody", "quotas": {}, "disabled": True}


def attacked_operations():
    ws_routes = websocket_routes()
    for method, path, _ in operations():
        if "{" not in path or (method, path) in PUBLIC or path in ws_routes:
            continue
        yield method, path


@pytest.fixture(scope="module")
def attacker(replicas):
    return register(replicas[1])["access_token"]


def as_attacker(server, attacker, method, target):
    body = None if method in ("get", "delete") else json.dumps(BODY).encode()
    headers = {"Content-Type": "application/json"} if body else {}
    return server.request(method.upper(), target, body=body, timeout=30,
                          headers={"Authorization": f"Bearer {attacker}", **headers})


@pytest.mark.parametrize("method,path", list(attacked_operations()))
def test_another_users_ids_are_refused(replicas, victim, attacker, method, path):
    b = replicas[1]
    target = fill(path, victim)
    status, _, raw = as_attacker(b, attacker, method, target)
    assert SECRET.encode() not in raw and victim["username"].encode() not in raw, raw[:300]
    if "/admin/" in path:
        assert status == 404, (method, target, status, raw[:300])
    else:
        # Refused, and answered exactly as for ids that do not exist (no existence oracle):
        # a 400 for the attacker's own bad query or body is fine when a made-up id gets it too.
        assert status in (308, 400, 401, 403, 404), (method, target, status, raw[:300])
        made_up = fill(path, {**victim, "workspace": str(uuid.uuid4()),
                              "review": str(uuid.uuid4()), "job": str(uuid.uuid4()),
                              "org": "x" + uuid.uuid4().hex[:8], "comment": str(uuid.uuid4()),
                              "user": str(uuid.uuid4())})
        other, _, _ = as_attacker(b, attacker, method, made_up)
        assert status == other, (method, target, status, other, raw[:300])
    if raw:
        err = error_of(raw)
        assert err["code"] in ("not_found", "permission_denied", "invalid_argument",
                               "unauthenticated"), err


def test_the_victims_things_are_unchanged(replicas, victim):
    # Runs after the attack above (pytest keeps the file's order).
    a = replicas[0]
    token = victim["token"]
    status, _, raw = a.request("GET", f"/api/v1/workspaces/{victim['workspace']}/files/"
                               "secret.txt", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and raw == SECRET.encode()
    status, _, me = call(a, "GET", "/me", token=token)
    assert status == 200 and me["role"] == "user", me
    status, _, review = call(a, "GET", f"/reviews/{victim['review']}", token=token)
    assert status == 200 and review["status"] == "pending" and review.get("reviewer") in (
        None, ""), review
    status, _, job = call(a, "GET", f"/jobs/{victim['job']}?wait=30", token=token)
    assert status == 200 and job["state"] == "done" and job["stdout"] == SECRET + "\n", job
    status, _, members = call(a, "GET", f"/orgs/{victim['org']}/members", token=token)
    assert status == 200 and [m["user"] if "user" in m else m.get("id")
                              for m in members["members"]] and len(members["members"]) == 1


@pytest.mark.parametrize("path", sorted(p for p in websocket_routes() if "{id}" in p))
def test_another_users_websockets_close_without_data(replicas, victim, attacker, path):
    b = replicas[1]
    # What each protocol needs besides the token, so a refusal is about the caller.
    query, hello = {"/lsp": ("?language=python", {}),
                    "/run": ("", {"path": "main.py"})}.get(path[path.rindex("/"):], ("", {}))
    url = f"ws://127.0.0.1:{b.port}{fill(path, victim)}{query}"

    async def attempt():
        try:
            ws = await websockets.connect(url, open_timeout=10, ping_interval=None)
        except websockets.InvalidStatusCode as e:
            return ("http", e.status_code, b"")
        got = b""
        try:
            await ws.send(json.dumps({"token": attacker, "cols": 80, "rows": 24, **hello}))
            while True:
                m = await asyncio.wait_for(ws.recv(), 15)
                got += m if isinstance(m, bytes) else m.encode()
        except websockets.ConnectionClosed:
            return ("ws", ws.close_code, got)
        finally:
            await ws.close()

    kind, code, got = asyncio.run(attempt())
    assert (kind, code) in (("ws", 4004), ("ws", 4003), ("http", 404)), (path, kind, code, got)
    assert SECRET.encode() not in got


MALFORMED = [b"{", b"[]", b'"text"', b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000,
             b'{"name": 5, "title": [], "language": {}, "files": "x"}', b"null"]


def own_path(path, owner):
    return fill(path, owner)


@pytest.mark.parametrize("method,path", sorted(set(json_body_operations())))
def test_malformed_and_oversized_bodies_are_4xx(replicas, victim, method, path):
    b = replicas[1]
    token = victim["token"]
    target = own_path(path, victim)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in MALFORMED:
        status, _, raw = b.request(method.upper(), target, headers=auth, body=body, timeout=30)
        assert 400 <= status < 500, (method, target, body[:20], status, raw[:300])
        error_of(raw)
    # Over any route's cap (the largest is server.max_body_bytes, 16 MiB): declared, not sent.
    status, _, raw = b.request(method.upper(), target, timeout=30, headers={
        **auth, "Content-Length": str((16 << 20) + 1)}, body=None)
    assert status == 413, (method, target, status, raw[:300])
    assert call(b, "GET", "/health")[0] == 200


def flood(server, method, path, n, token=None, body_of=lambda i: None):
    def one(i):
        body = body_of(i)
        return call(server, method, path, token=token, json_body=body)[:2]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.parametrize("case", ["login", "workspaces", "jobs"])
def test_floods_of_limited_routes_answer_429(replicas, case):
    a, b = replicas
    token = register(a)["access_token"]
    if case == "login":
        name = register(a)["user"]["username"]
        answers = flood(b, "POST", "/auth/login", 30, body_of=lambda i: {
            "username": name, "password": "wrong password"})
    elif case == "workspaces":
        answers = flood(b, "POST", "/workspaces", 80, token,
                        lambda i: {"name": f"f{i}-{uuid.uuid4().hex[:6]}"})
    else:
        answers = flood(b, "POST", "/jobs", 80, token,
                        lambda i: {"language": "python", "files": {"main.py": "print(1)\n"}})
    codes = {s for s, _ in answers}
    assert 429 in codes, codes
    assert codes <= {200, 201, 202, 401, 429, 503}, codes
    for status, headers in answers:
        if status == 429:
            assert re.fullmatch(r"[1-9][0-9]*", headers["Retry-After"]), dict(headers)
    assert call(a, "GET", "/health")[0] == 200 and call(b, "GET", "/health")[0] == 200
