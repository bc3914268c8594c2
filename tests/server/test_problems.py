"""Problems over HTTP (issue 16): the list and one problem's public part (public tests with
input and expected output, the hidden count, max_score, the caller's progress), no hidden
test's data in any answer, filters, 404s, and DELETE for admins only (404 for anyone else).
The problems are examples/problems imported into the server's storage with the CLI; an admin
is made by setting the role in that storage, as an operator would."""

import pytest

from api_client import call, error_code, register
from storage_choice import set_role
from test_submissions import EXAMPLES, assert_no_hidden, graded, start, submit


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("problems"))
    yield s
    s.stop()


def make_admin(server):
    session = register(server)
    set_role(server, session["user"]["id"], "admin")
    return session["access_token"]


def test_the_list_and_each_problem_show_the_public_part_only(server):
    tok = register(server)["access_token"]
    status, _, listed = call(server, "GET", "/problems?limit=200", token=tok)
    assert status == 200, listed
    ids = [p["id"] for p in listed["items"]]
    assert ids == sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    assert_no_hidden(listed)
    for pid in ids:
        status, _, doc = call(server, "GET", f"/problems/{pid}", token=tok)
        assert status == 200, doc
        assert_no_hidden(doc)
        assert doc["id"] == pid and doc["title"] and doc["statement"]
        assert doc["hidden_tests"] >= 1 and doc["max_score"] > 0 and doc["progress"] is None
        assert all({"name", "input", "expected_output"} <= set(t) for t in doc["tests"])
        assert "program" not in doc["checker"]


def test_filters_and_the_callers_progress(server):
    tok = register(server)["access_token"]
    status, _, doc = call(server, "GET", "/problems/hello", token=tok)
    level = doc["tags"]["level"]
    if level is not None:
        status, _, same = call(server, "GET", f"/problems?level={level}", token=tok)
        assert "hello" in [p["id"] for p in same["items"]]
        assert all(p["tags"]["level"] == level for p in same["items"])
    assert call(server, "GET", "/problems?level=9", token=tok)[0] == 400
    for topic in doc["tags"]["topics"][:1]:
        status, _, tagged = call(server, "GET", f"/problems?tag={topic}", token=tok)
        assert all(topic in p["tags"]["topics"] for p in tagged["items"])
    sub = submit(server, tok, "hello", "python", {"a.py": "print('Hello, World!')\n"})[2]
    assert graded(server, tok, sub["id"])["verdict"] == "accepted"
    status, _, doc = call(server, "GET", "/problems/hello", token=tok)
    assert doc["progress"]["attempts"] == 1 and doc["progress"]["solved"]


def test_missing_problems_and_admin_routes(server):
    tok = register(server)["access_token"]
    status, _, err = call(server, "GET", "/problems/nope", token=tok)
    assert status == 404 and error_code(err) == "not_found"
    # Not an admin: the route answers as if there were nothing to delete.
    status, _, err = call(server, "DELETE", "/problems/sortlines", token=tok)
    assert status == 404 and error_code(err) == "not_found"
    assert call(server, "GET", "/problems/sortlines", token=tok)[0] == 200
    admin = make_admin(server)
    assert call(server, "DELETE", "/problems/sortlines", token=admin)[0] == 204
    assert call(server, "GET", "/problems/sortlines", token=tok)[0] == 404
    assert call(server, "DELETE", "/problems/sortlines", token=admin)[0] == 404
    assert call(server, "GET", "/problems")[0] == 401


def test_statement_images_come_inline_as_base64(server):
    """An <img> cannot send the bearer token, so a statement's images travel with the problem:
    each asset's bytes, base64 (standard alphabet, padded), equal to the package's file."""
    import base64

    tok = register(server)["access_token"]
    status, _, doc = call(server, "GET", "/problems/sum", token=tok)
    assert status == 200, doc
    assets = {a["path"]: a for a in doc["assets"]}
    assert "images/sum.svg" in assets, assets.keys()
    want = (EXAMPLES / "sum" / "images" / "sum.svg").read_bytes()
    got = base64.b64decode(assets["images/sum.svg"]["data"], validate=True)
    assert got == want and assets["images/sum.svg"]["size"] == len(want)
