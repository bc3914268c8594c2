"""REST API: workspaces, their files and exec, with ownership and concurrency checks."""

import pytest

from api_client import call, create_workspace, error_code, register


@pytest.fixture(scope="module")
def alice(server):
    return register(server)["access_token"]


@pytest.fixture(scope="module")
def bob(server):
    return register(server)["access_token"]


@pytest.fixture
def ws(server, alice):
    return create_workspace(server, alice)["id"]


def test_full_flow_write_exec_read_back(server):
    name = "flow" + register(server)["user"]["username"][1:9]
    call(server, "POST", "/auth/register", json_body={"username": name, "password": "pw123456"})
    status, _, login = call(server, "POST", "/auth/login",
                            json_body={"username": name, "password": "pw123456"})
    assert status == 200
    token = login["access_token"]
    wid = create_workspace(server, token, "flow")["id"]
    src = b"open('out.txt', 'w').write('hello from exec')\nprint('done')\n"
    status, headers, info = call(server, "PUT", f"/workspaces/{wid}/files/main.py", token=token,
                                 body=src)
    assert status == 200 and info["path"] == "main.py" and info["size"] == len(src)
    assert headers["ETag"] == f'"{info["version"]}"'
    status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=token,
                          json_body={"argv": ["python3", "main.py"]})
    assert status == 200, run
    assert run["verdict"] == "ok" and run["exit_code"] == 0 and run["signal"] is None
    assert run["stdout"] == "done\n"
    assert set(run) == {"verdict", "exit_code", "signal", "stdout", "stderr", "cpu_ms",
                        "wall_ms", "memory_kb", "sync"}
    assert run["sync"]["pulled"] == 1 and run["sync"]["skipped"] == []
    status, headers, body = call(server, "GET", f"/workspaces/{wid}/files/out.txt", token=token)
    assert status == 200 and body == b"hello from exec"
    assert headers["Content-Type"] == "application/octet-stream"
    status, _, tree = call(server, "GET", f"/workspaces/{wid}/tree", token=token)
    assert [i["path"] for i in tree["items"]] == ["main.py", "out.txt"]
    assert all(set(i) == {"path", "kind", "size", "version", "mtime"} for i in tree["items"])


def test_workspace_crud(server, alice):
    made = create_workspace(server, alice, "first")
    assert set(made) == {"id", "name", "state", "created_at", "updated_at", "version",
                         "terminal_shared", "image", "org_id", "usage"}
    assert made["state"] == "stopped"
    assert made["usage"] == {"bytes": 0, "entries": 0}
    wid = made["id"]
    status, _, listed = call(server, "GET", "/workspaces", token=alice)
    assert status == 200 and wid in [w["id"] for w in listed["items"]]
    status, _, got = call(server, "GET", f"/workspaces/{wid}", token=alice)
    assert status == 200 and got == made
    status, _, renamed = call(server, "PATCH", f"/workspaces/{wid}", token=alice,
                              json_body={"name": "second"},
                              headers={"If-Match": f'"{made["version"]}"'})
    assert status == 200 and renamed["name"] == "second"
    status, _, doc = call(server, "PATCH", f"/workspaces/{wid}", token=alice,
                          json_body={"name": "third"}, headers={"If-Match": f'"{made["version"]}"'})
    assert status == 412 and error_code(doc) == "failed_precondition"
    status, _, _ = call(server, "DELETE", f"/workspaces/{wid}", token=alice)
    assert status == 204
    assert call(server, "GET", f"/workspaces/{wid}", token=alice)[0] == 404


def test_usage_counts_what_the_workspace_holds(server, alice):
    wid = create_workspace(server, alice, "usage")["id"]
    assert call(server, "PUT", f"/workspaces/{wid}/files/src/a.txt", token=alice,
                body=b"x" * 1000)[0] in (200, 201)
    status, _, got = call(server, "GET", f"/workspaces/{wid}", token=alice)
    assert status == 200 and got["usage"] == {"bytes": 1000, "entries": 2}  # src/ and src/a.txt


def test_start_and_stop(server, alice, ws):
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/start", token=alice)
    assert status == 200 and doc["state"] == "running"
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/stop", token=alice)
    assert status == 200 and doc["state"] == "stopped"


@pytest.mark.parametrize("method, suffix, body", [
    ("GET", "", None), ("PATCH", "", {"name": "x"}), ("DELETE", "", None),
    ("POST", "/start", None), ("POST", "/stop", None), ("GET", "/tree", None),
    ("GET", "/files/a.txt", None), ("PUT", "/files/a.txt", None), ("DELETE", "/files/a.txt", None),
    ("POST", "/files:move", {"from": "a.txt", "to": "b.txt"}), ("POST", "/dirs/d", None),
    ("POST", "/exec", {"argv": ["true"]}),
])
def test_other_users_workspace_is_404_like_a_missing_one(server, alice, bob, ws, method, suffix,
                                                          body):
    assert call(server, "PUT", f"/workspaces/{ws}/files/a.txt", token=alice, body=b"A")[0] == 200
    raw = b"B" if method == "PUT" else None
    for wid in (ws, "00000000-0000-4000-8000-000000000000"):
        status, _, doc = call(server, method, f"/workspaces/{wid}{suffix}", token=bob,
                              json_body=body, body=raw)
        assert status == 404 and error_code(doc) == "not_found", (wid, doc)
    status, _, content = call(server, "GET", f"/workspaces/{ws}/files/a.txt", token=alice)
    assert content == b"A"


@pytest.mark.parametrize("method, path", [
    ("GET", "/workspaces"), ("POST", "/workspaces"), ("GET", "/workspaces/x"),
    ("GET", "/workspaces/x/tree"), ("GET", "/workspaces/x/files/a"), ("POST", "/workspaces/x/exec"),
])
def test_routes_need_a_token(server, method, path):
    status, _, doc = call(server, method, path, body=b"{}")
    assert status == 401 and error_code(doc) == "unauthenticated"
    status, _, doc = call(server, method, path, body=b"{}", token="bad.token.value")
    assert status == 401


@pytest.mark.parametrize("body, field", [
    (b"{}", "name"), (b'{"name": 5}', "name"), (b"{oops", None), (b'{"name":"\xc3("}', None),
])
def test_create_workspace_bad_bodies_are_400(server, alice, body, field):
    status, _, doc = call(server, "POST", "/workspaces", token=alice, body=body)
    assert status == 400 and error_code(doc) == "invalid_argument"
    if field:
        assert f"'{field}'" in doc["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({}, "argv"), ({"argv": []}, "argv"), ({"argv": "ls"}, "argv"), ({"argv": [1]}, "argv"),
    ({"argv": ["true"], "stdin": 3}, "stdin"), ({"argv": ["true"], "cwd": "../x"}, "cwd"),
    ({"argv": ["true"], "time_limit_s": "1"}, "time_limit_s"),
    ({"argv": ["true"], "time_limit_s": -1}, "time_limit_s"),
    ({"argv": ["true"], "time_limit_s": 26}, "time_limit_s"),  # wall would pass the 60 s timeout
    ({"argv": ["true"], "memory_limit_mb": 0}, "memory_limit_mb"),
])
def test_exec_bad_bodies_are_400(server, alice, ws, body, field):
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/exec", token=alice, json_body=body)
    assert status == 400 and error_code(doc) == "invalid_argument"
    assert field in doc["error"]["message"]


def test_exec_stdin_cwd_and_verdicts(server, alice, ws):
    call(server, "POST", f"/workspaces/{ws}/dirs/sub", token=alice)
    status, _, run = call(server, "POST", f"/workspaces/{ws}/exec", token=alice,
                          json_body={"argv": ["sh", "-c", "pwd; cat; exit 3"], "stdin": "in",
                                     "cwd": "sub"})
    assert status == 200 and run["stdout"] == "/workspace/sub\nin"
    assert run["verdict"] == "runtime_error" and run["exit_code"] == 3
    status, _, run = call(server, "POST", f"/workspaces/{ws}/exec", token=alice,
                          json_body={"argv": ["sh", "-c", "while :; do :; done"],
                                     "time_limit_s": 0.5})
    assert status == 200 and run["verdict"] == "time_limit_exceeded"
