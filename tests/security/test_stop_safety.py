"""Issue 13, files: a stop never loses pod files (item 3), the sync and the API share one path
rule and report what they do not store (items 7, 14), names (item 16), quotas, pagination and
unique names (items 9, 20), memory admission (item 10). Against the real server and sandbox.

The pod listing's own cap (200,000 entries) is covered by the library test
tests/services/stop_safety_test.cpp; here a low files.max_workspace_entries keeps it quick.
"""

import json
from urllib.parse import quote

import pytest

from api_client import call, create_workspace, error_code, register
from test_server import Server

ESSAY = "My essay, written in the pod.\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("stop_safety"),
               "--set", "files.max_workspace_entries=50",
               "--set", "files.max_file_bytes=100000",
               "--set", "workspace.max_per_user=4")
    yield s
    s.stop()


def sh(server, token, wid, script):
    status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=token,
                          json_body={"argv": ["sh", "-c", script]})
    assert status == 200, run
    return run


def test_stop_refuses_to_lose_files_past_the_entry_quota(server):
    token = register(server)["access_token"]
    wid = create_workspace(server, token)["id"]
    # "a_junk/" sorts before essay.txt, so the essay is past the quota: storage lacks it.
    run = sh(server, token, wid,
             "python3 -c \"import os\nos.mkdir('a_junk')\n"
             "for i in range(200): os.mknod('a_junk/%d' % i)\"; "
             f"printf '{ESSAY}' > essay.txt")
    assert run["sync"]["unstored"] == 152  # a_junk, its 200 files and essay.txt, 50 stored
    assert run["sync"]["skipped"][0]["rule"] == "files.max_workspace_entries"
    assert len(run["sync"]["skipped"]) == 100
    status, _, _ = call(server, "GET", f"/workspaces/{wid}/files/essay.txt", token=token)
    assert status == 404

    status, _, doc = call(server, "POST", f"/workspaces/{wid}/stop", token=token)
    assert status == 412, doc
    assert error_code(doc) == "failed_precondition"
    assert "not stopped" in doc["error"]["message"]
    assert "files.max_workspace_entries" in doc["error"]["message"]
    status, _, ws = call(server, "GET", f"/workspaces/{wid}", token=token)
    assert ws["state"] == "running"
    status, _, sync = call(server, "GET", f"/workspaces/{wid}/sync", token=token)
    assert status == 200 and sync["ok"] and sync["unstored"] == 152
    assert sync["last_pass_at"] is not None
    # The pod survived with the essay in it; the API refuses to pass the quota as well.
    assert sh(server, token, wid, "cat essay.txt")["stdout"] == ESSAY
    status, headers, doc = call(server, "PUT", f"/workspaces/{wid}/files/more.txt", token=token,
                                body=b"x")
    assert status == 429 and error_code(doc) == "resource_exhausted"
    assert int(headers["Retry-After"]) >= 1

    # Without the excess, the stop succeeds and the essay is stored.
    sh(server, token, wid, "rm -r a_junk")
    status, _, ws = call(server, "POST", f"/workspaces/{wid}/stop", token=token)
    assert status == 200 and ws["state"] == "stopped"
    status, _, body = call(server, "GET", f"/workspaces/{wid}/files/essay.txt", token=token)
    assert status == 200 and body == ESSAY.encode()

    _, _, metrics = call(server, "GET", "/metrics")
    text = metrics.decode() if isinstance(metrics, bytes) else str(metrics)
    assert "codeyard_workspace_stops_refused_total 1" in text


def test_sync_reports_refused_names_and_caps_and_keeps_them_in_the_pod(server):
    token = register(server)["access_token"]
    wid = create_workspace(server, token)["id"]
    run = sh(server, token, wid,
             "touch \"$(printf 'new\\nline')\" \"$(printf 'esc\\033[0m')\" "
             "\"$(printf 'bad\\377')\" \"$(printf 'evil\\342\\200\\256gpj.exe')\"; "
             "head -c 200000 /dev/zero > big.bin; echo ok > good.txt")
    rules = sorted(s["rule"] for s in run["sync"]["skipped"])
    assert rules == ["files.max_file_bytes", "name", "name", "name", "name"], run["sync"]
    status, headers, raw = call(server, "GET", f"/workspaces/{wid}/tree", token=token)
    assert status == 200
    assert [i["path"] for i in raw["items"]] == ["good.txt"]
    assert raw["next_cursor"] is None
    status, _, sync = call(server, "GET", f"/workspaces/{wid}/sync", token=token)
    assert sync["unstored"] == 5 and len(sync["skipped"]) == 5
    json.dumps(sync, ensure_ascii=False).encode("utf-8")  # valid UTF-8 throughout
    count = "python3 -c 'import os; print(len(os.listdir()))'"
    assert sh(server, token, wid, count)["stdout"] == "6\n"  # nothing deleted in the pod
    # The API refuses the same names (400 naming the rule) and touches nothing. (A %0A in a
    # URL is the edges engineer's item 8: lws cuts the path there before the rule sees it.)
    for path in ["evil%E2%80%AEgpj.exe", "zero%E2%80%8Bwidth", "esc%1B%5B0m"]:
        status, _, doc = call(server, "PUT", f"/workspaces/{wid}/files/{path}", token=token,
                              body=b"x")
        assert status == 400 and error_code(doc) == "invalid_argument", doc
    status, _, _ = call(server, "DELETE", f"/workspaces/{wid}", token=token)
    assert status == 204


def test_names_are_nfc_and_unique_per_user(server):
    token = register(server)["access_token"]
    other = register(server)["access_token"]
    nfd, nfc = "cafe\u0301", "caf\u00e9"
    made = create_workspace(server, token, nfd)
    assert made["name"] == nfc
    status, _, doc = call(server, "POST", "/workspaces", token=token, json_body={"name": nfc})
    assert status == 409 and error_code(doc) == "already_exists"
    create_workspace(server, other, nfc)  # another user's namesake is fine
    second = create_workspace(server, token, "second")
    status, _, doc = call(server, "PATCH", f"/workspaces/{second['id']}", token=token,
                          json_body={"name": nfd})
    assert status == 409 and error_code(doc) == "already_exists"
    status, _, doc = call(server, "POST", "/workspaces", token=token,
                          json_body={"name": "x\u202eevil"})
    assert status == 400 and "bidirectional" in doc["error"]["message"]
    # Files: NFD and NFC name one file.
    wid = made["id"]
    status, _, _ = call(server, "PUT", f"/workspaces/{wid}/files/{quote(nfd)}.txt", token=token,
                        body=b"one")
    assert status == 200
    status, _, body = call(server, "GET", f"/workspaces/{wid}/files/{quote(nfc)}.txt",
                           token=token)
    assert status == 200 and body == b"one"


def test_quota_of_workspaces_and_pagination(server):
    token = register(server)["access_token"]
    ids = [create_workspace(server, token)["id"] for _ in range(4)]
    status, headers, doc = call(server, "POST", "/workspaces", token=token,
                                json_body={"name": "fifth"})
    assert status == 429 and error_code(doc) == "resource_exhausted"
    assert "workspace.max_per_user" in doc["error"]["message"]
    assert int(headers["Retry-After"]) >= 1

    seen, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = call(server, "GET", "/workspaces" + query, token=token)
        assert status == 200 and set(page) == {"items", "next_cursor"}
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The pages, joined, are the one-page list: (created_at, id) order, stable across calls.
    status, _, whole = call(server, "GET", "/workspaces?limit=200", token=token)
    assert seen == [w["id"] for w in whole["items"]] and sorted(seen) == sorted(ids)
    assert [w["created_at"] for w in whole["items"]] == sorted(w["created_at"]
                                                               for w in whole["items"])
    for query in ["?limit=0", "?limit=201", "?limit=x", "?cursor=%21%21"]:
        status, _, doc = call(server, "GET", "/workspaces" + query, token=token)
        assert status == 400 and error_code(doc) == "invalid_argument", query
    status, _, page = call(server, "GET", "/workspaces", token=token)
    assert len(page["items"]) == 4 and page["next_cursor"] is None

    wid = ids[0]
    for name in ["c", "a", "b"]:
        call(server, "PUT", f"/workspaces/{wid}/files/{name}", token=token, body=b"x")
    status, _, first = call(server, "GET", f"/workspaces/{wid}/tree?limit=2", token=token)
    assert [i["path"] for i in first["items"]] == ["a", "b"]
    status, _, rest = call(server, "GET",
                           f"/workspaces/{wid}/tree?limit=2&cursor={first['next_cursor']}",
                           token=token)
    assert [i["path"] for i in rest["items"]] == ["c"] and rest["next_cursor"] is None


def test_memory_capacity_admits_only_what_fits(tmp_path):
    # Room for one default pod (1 GiB) and not two.
    s = Server(tmp_path, "--set", "workspace.memory_capacity_bytes=1610612736")
    try:
        first, second = register(s)["access_token"], register(s)["access_token"]
        w1 = create_workspace(s, first)["id"]
        w2 = create_workspace(s, second)["id"]
        status, _, doc = call(s, "POST", f"/workspaces/{w1}/start", token=first)
        assert status == 200, doc
        status, headers, doc = call(s, "POST", f"/workspaces/{w2}/start", token=second)
        assert status == 429 and error_code(doc) == "resource_exhausted"
        assert "workspace.memory_capacity_bytes" in doc["error"]["message"]
        assert "memory is full" in doc["error"]["message"]
        assert int(headers["Retry-After"]) == 30
        status, _, _ = call(s, "POST", f"/workspaces/{w1}/stop", token=first)
        assert status == 200
        status, _, doc = call(s, "POST", f"/workspaces/{w2}/start", token=second)
        assert status == 200, doc
    finally:
        s.stop()
