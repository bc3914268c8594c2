"""GET /workspaces/{id}/search: matches grouped by file, options, caps, binary files skipped,
bad queries refused, and another user's workspace answered exactly like a missing one."""

import urllib.parse
import uuid

import pytest

from api_client import call, create_workspace, error_code, register
from test_server import Server


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("search_caps"), "--set", "search.max_results=3",
               "--set", "search.max_query_bytes=64", "--set", "search.max_cpu_ms=50")
    yield s
    s.stop()


def put(server, token, ws, path, body):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}", token=token, body=body)
    assert status == 200, doc


def search(server, token, ws, q, **options):
    args = urllib.parse.urlencode({"q": q, **options})
    return call(server, "GET", f"/workspaces/{ws}/search?{args}", token=token)


@pytest.fixture(scope="module")
def owner(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token)["id"]
    put(server, token, ws, "main.py", b"from util import greet\n\ngreet('world')\n")
    put(server, token, ws, "lib/util.py", "def greet(name):\n    print('héllo', name)\n".encode())
    put(server, token, ws, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00greet")
    return token, ws


def test_matches_grouped_by_file_with_lines_and_snippets(server, owner):
    token, ws = owner
    status, _, doc = search(server, token, ws, "greet")
    assert status == 200, doc
    assert [f["path"] for f in doc["files"]] == ["lib/util.py", "main.py"]
    util = doc["files"][0]["matches"]
    assert util == [{"line": 1, "column": 5, "length": 5, "text": "def greet(name):",
                     "text_column": 5}]
    assert [m["line"] for m in doc["files"][1]["matches"]] == [1, 3]
    assert doc["matches"] == 3 and doc["truncated"] is False and "truncated_by" not in doc
    assert doc["files_skipped"] == 1  # logo.png is binary


def test_case_and_regex_options(server, owner):
    token, ws = owner
    assert search(server, token, ws, "GREET")[2]["matches"] == 3
    assert search(server, token, ws, "GREET", case="true")[2]["matches"] == 0
    status, _, doc = search(server, token, ws, r"print\('h\S+llo'", regex="true")
    assert status == 200 and doc["matches"] == 1
    assert doc["files"][0]["matches"][0]["text"] == "    print('héllo', name)"


@pytest.mark.parametrize("options", [{"q": ""}, {"q": "x", "regex": "maybe"},
                                     {"q": "(", "regex": "true"}])
def test_bad_queries_are_400(server, owner, options):
    token, ws = owner
    args = urllib.parse.urlencode(options)
    status, _, doc = call(server, "GET", f"/workspaces/{ws}/search?{args}", token=token)
    assert status == 400 and error_code(doc) == "invalid_argument", doc


def test_catastrophic_regex_is_refused_not_hung(server, owner):
    token, ws = owner
    put(server, token, ws, "aaa.txt", b"a" * 3000 + b"\n")
    status, _, doc = search(server, token, ws, "(a+)+b", regex="true", case="true")
    assert status == 400 and "too complex" in doc["error"]["message"], doc


def test_another_users_workspace_is_404_like_a_missing_one(server, owner):
    _, ws = owner
    other = register(server)["access_token"]
    status, _, doc = search(server, other, ws, "greet")
    assert status == 404 and error_code(doc) == "not_found"
    status, _, missing = search(server, other, str(uuid.uuid4()), "greet")
    assert status == 404 and missing["error"]["message"] == doc["error"]["message"]
    assert search(server, None, ws, "greet")[0] == 401


def test_caps_come_from_configuration(capped):
    token = register(capped)["access_token"]
    ws = create_workspace(capped, token)["id"]
    for i in range(3):
        put(capped, token, ws, f"f{i}.txt", b"hit\nhit\n")
    status, _, doc = search(capped, token, ws, "hit")
    assert status == 200 and doc["matches"] == 3
    assert doc["truncated"] is True and doc["truncated_by"] == "search.max_results"
    status, _, doc = search(capped, token, ws, "x" * 65)
    assert status == 400 and "search.max_query_bytes" in doc["error"]["message"]


def test_a_regex_that_backtracks_on_every_line_stops_at_the_cpu_budget(capped):
    # About 0.6 ms of backtracking on each line "x" (under Boost.Regex's own per-line bound):
    # 200,000 lines are two minutes of the server's CPU without search.max_cpu_ms (50 ms here).
    token = register(capped)["access_token"]
    ws = create_workspace(capped, token)["id"]
    put(capped, token, ws, "a.txt", b"xz\n")
    put(capped, token, ws, "b.txt", b"x\n" * 200000)
    status, _, doc = search(capped, token, ws, "(|)" * 13 + "xz", regex="true")
    assert status == 200, doc
    assert doc["truncated"] is True and doc["truncated_by"] == "search.max_cpu_ms"
    assert [f["path"] for f in doc["files"]] == ["a.txt"] and doc["matches"] == 1
