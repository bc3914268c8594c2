"""Admin problem routes over HTTP (issue 16): POST /api/v1/problems (409 when the id exists)
and PUT /api/v1/problems/{id} (create or replace) taking the whole problem as JSON, checked by
the library with 400s naming the field; POST /api/v1/admin/problems/import taking a package
zip (our format or Kattis) with the CLI's importer, its caps (413) and ?id= / ?time_limit_s=;
non-admins get 404 from all of them; a problem made through the API grades for real; and the
solved=true|false filter of GET /api/v1/problems in keyset pages. Runs on SQLite, and on
PostgreSQL in the "on postgres" variant (storage_choice.py)."""

import base64
import io
import json
import zipfile

import pytest

from api_client import call, error_code, register
from raw_http import connect, read_until_closed, split_response
from storage_choice import set_role
from test_submissions import EXAMPLES, assert_no_hidden, graded, start, submit

# A body cap this module's server has, far below the default, so a 413 costs little to send.
BODY_CAP = 1 << 20
FILES_CAP = 40

TWICE = {
    "id": "twice",
    "title": "Twice",
    "statement": "Print twice the number.\n\n![](images/dot.png)",
    "tags": {"level": 1, "age_group": "10-12", "topics": ["arithmetic"]},
    "limits": {"time_limit_s": 2, "memory_bytes": 128 << 20, "output_bytes": 4096},
    "starter_code": {"python": "n = int(input())\n"},
    "groups": [{"name": "big", "points": 50}],
    "tests": [
        {"name": "sample", "input": "1\n", "expected_output": "2\n", "points": 0, "public": True},
        {"name": "small", "input": "21\n", "expected_output": "42\n", "points": 50},
        {"name": "big/1", "group": "big", "input": "123456789\n",
         "expected_output": "246913578\n"},
    ],
    "checker": {"kind": "tokens"},
    "scoring": True,
    "assets": [{"path": "images/dot.png", "data": base64.b64encode(b"\x89PNG\x00\xff").decode()}],
}
HIDDEN = ["123456789", "246913578", "21\\n", "42\\n"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("problems_admin"), f"server.max_body_bytes={BODY_CAP}",
              f"problems.max_package_files={FILES_CAP}")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(server):
    session = register(server)
    set_role(server, session["user"]["id"], "admin")
    return session["access_token"]


def zip_of(name, top):
    """A zip of examples/problems/<name>, its files under `top` ("" for the root)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted((EXAMPLES / name).rglob("*")):
            if f.is_file():
                z.write(f, top + str(f.relative_to(EXAMPLES / name)))
    return out.getvalue()


def upload(server, token, body, query=""):
    return call(server, "POST", "/admin/problems/import" + query, token=token, body=body,
                headers={"Content-Type": "application/zip"})


def test_post_creates_once_and_put_creates_or_replaces(server, admin):
    status, _, doc = call(server, "POST", "/problems", token=admin, json_body=TWICE)
    assert status == 201, doc
    assert doc["id"] == "twice" and doc["hidden_tests"] == 2 and doc["max_score"] == 100
    assert [t["name"] for t in doc["tests"]] == ["sample"]
    assert_no_hidden(doc)
    assert not any(h in str(doc) for h in HIDDEN)
    status, _, err = call(server, "POST", "/problems", token=admin, json_body=TWICE)
    assert status == 409 and error_code(err) == "already_exists", err

    # Everyone reads the public part, assets' bytes included.
    tok = register(server)["access_token"]
    status, _, read = call(server, "GET", "/problems/twice", token=tok)
    assert status == 200 and read["title"] == "Twice" and read["tags"]["level"] == 1
    assert base64.b64decode(read["assets"][0]["data"]) == b"\x89PNG\x00\xff"
    assert read["starter_code"] == {"python": "n = int(input())\n"}
    assert not any(h in str(read) for h in HIDDEN)

    # A problem made through the API grades for real, hidden tests and groups included.
    good = submit(server, tok, "twice", "python", {"a.py": "print(2 * int(input()))\n"})[2]
    result = graded(server, tok, good["id"])
    assert result["verdict"] == "accepted" and result["score"] == 100, result
    half = submit(server, tok, "twice", "python",
                  {"a.py": "n = int(input())\nprint(2 * n if n < 1000 else 0)\n"})[2]
    result = graded(server, tok, half["id"])
    assert result["verdict"] == "wrong_answer" and result["score"] == 50, result

    # PUT replaces every part (created_at kept); the body's id may be left out.
    replaced = dict(TWICE, title="Twice, again", public=False)
    del replaced["id"]
    status, _, doc = call(server, "PUT", "/problems/twice", token=admin, json_body=replaced)
    assert status == 200 and doc["title"] == "Twice, again" and not doc["public"], doc
    assert doc["created_at"] == read["created_at"] and doc["updated_at"] >= read["updated_at"]
    assert call(server, "GET", "/problems/twice", token=tok)[0] == 404  # private now
    # PUT makes a problem that does not exist.
    status, _, doc = call(server, "PUT", "/problems/thrice", token=admin,
                          json_body=dict(TWICE, id="thrice", title="Thrice"))
    assert status == 200 and doc["id"] == "thrice", doc
    # GET's answer can be sent back as it is.
    status, _, got = call(server, "GET", "/problems/thrice", token=admin)
    got["tests"] = TWICE["tests"]  # GET holds the public tests only
    assert call(server, "PUT", "/problems/thrice", token=admin, json_body=got)[0] == 200


@pytest.mark.parametrize("change, field", [
    ({"title": None}, "title is required"),
    ({"tests": [{"name": "x", "expected_output": ""}]}, "tests[0].input is required"),
    ({"tests": [{"name": "x", "input": "", "expected_output": "", "group": "g"}]},
     "tests[0].group names group \"g\""),
    ({"checker": {"kind": "fuzzy"}}, "checker.kind"),
    ({"limits": {"memory_bytes": 1}}, "limits.memory_bytes"),
    ({"starter_code": {"cobol": ""}}, "starter_code.cobol"),
    ({"assets": [{"path": "../x", "data": ""}]}, "assets[0].path"),
    ({"extra": 1}, "extra is not a field"),
    ({"id": "Bad Id"}, "problem id 'Bad Id'"),
])
def test_a_bad_problem_is_a_400_naming_the_field(server, admin, change, field):
    body = {k: v for k, v in {**TWICE, "id": "bad", **change}.items() if v is not None}
    status, _, err = call(server, "POST", "/problems", token=admin, json_body=body)
    assert status == 400 and error_code(err) == "invalid_argument", err
    assert field in err["error"]["message"], err
    assert call(server, "GET", "/problems/bad", token=admin)[0] == 404


def test_put_id_must_match_and_bodies_must_be_json(server, admin):
    status, _, err = call(server, "PUT", "/problems/other", token=admin, json_body=TWICE)
    assert status == 400 and "differs from the path's \"other\"" in err["error"]["message"]
    status, _, err = call(server, "POST", "/problems", token=admin, body=b"{nope",
                          headers={"Content-Type": "application/json"})
    assert status == 400 and "not JSON" in err["error"]["message"], err


def test_non_admins_get_404_from_every_admin_route(server):
    tok = register(server)["access_token"]
    for method, path, body in [("POST", "/problems", TWICE), ("POST", "/problems", {"x": 1}),
                               ("PUT", "/problems/hello", TWICE), ("PUT", "/problems/zz", {})]:
        status, _, err = call(server, method, path, token=tok, json_body=body)
        assert status == 404 and error_code(err) == "not_found", (method, path, err)
    status, _, err = upload(server, tok, zip_of("hello", "hello/"))
    assert status == 404 and error_code(err) == "not_found", err
    assert call(server, "POST", "/problems", json_body=TWICE)[0] == 401
    status, _, doc = call(server, "GET", "/problems/hello", token=tok)
    assert status == 200 and doc["title"] != "Twice"


def test_import_takes_a_package_zip(server, admin):
    # Kattis legacy, zipped with its folder: named after the folder.
    status, _, doc = upload(server, admin, zip_of("hello", "hello/"))
    assert status == 201, doc
    assert doc["id"] == "hello" and doc["title"] == "Hello, World!", doc
    assert doc["format"] == "kattis-legacy" and doc["hidden_tests"] >= 1
    # Our own format, zipped flat: the id must be given.
    flat = zip_of("sum", "")
    status, _, err = upload(server, admin, flat)
    assert status == 400 and "?id=" in err["error"]["message"], err
    status, _, doc = upload(server, admin, flat, "?id=sum-copy")
    assert status == 201 and doc["id"] == "sum-copy" and doc["format"] == "codeyard", doc
    tok = register(server)["access_token"]
    status, _, read = call(server, "GET", "/problems/sum-copy", token=tok)
    assert status == 200 and read["hidden_tests"] == 4
    assert_no_hidden(read)
    sub = submit(server, tok, "sum-copy", "python",
                 {"a.py": "print(sum(int(x) for x in input().split()))\n"})[2]
    assert graded(server, tok, sub["id"])["state"] == "done"
    # Not a zip.
    status, _, err = upload(server, admin, b"PK\x03\x04 not really", "?id=junk")
    assert status == 400 and error_code(err) == "invalid_argument", err


def test_import_time_limit_given_or_fixed(server, admin):
    # A Kattis package that fixes no time limit (no .timelimit, no limits.time_limit).
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("tiny/problem.yaml", "name: Tiny\n")
        z.writestr("tiny/data/secret/1.in", "1\n")
        z.writestr("tiny/data/secret/1.ans", "1\n")
    package = out.getvalue()
    status, _, err = upload(server, admin, package)
    assert status == 400 and "time_limit_s" in err["error"]["message"], err
    status, _, doc = upload(server, admin, package, "?time_limit_s=1.5")
    assert status == 201 and doc["id"] == "tiny" and doc["time_limit_s"] == 1.5, doc
    status, _, read = call(server, "GET", "/problems/tiny", token=admin)
    assert read["limits"]["time_limit_s"] == 1.5
    # A package's own limit wins.
    status, _, doc = upload(server, admin, zip_of("average", "average/"), "?time_limit_s=5")
    assert status == 201 and doc["time_limit_s"] == 1, doc
    assert upload(server, admin, package, "?time_limit_s=0")[0] == 400
    assert upload(server, admin, package, "?time_limit_s=abc")[0] == 400


def test_import_caps_answer_413(server, admin):
    # The body over server.max_body_bytes: refused from its Content-Length, before it is read.
    with connect(server) as s:
        s.sendall(b"POST /api/v1/admin/problems/import?id=big HTTP/1.1\r\nHost: t\r\n"
                  b"Authorization: Bearer " + admin.encode() + b"\r\n"
                  b"Content-Type: application/zip\r\nContent-Length: " +
                  str(BODY_CAP + 1).encode() + b"\r\n\r\n")
        data, _, _ = read_until_closed(s, 10.0)
    status, _, body = split_response(data)
    err = json.loads(body)
    assert status == 413 and error_code(err) == "resource_exhausted", err
    assert "exceeds the limit of %d bytes" % BODY_CAP in err["error"]["message"], err
    # A package over problems.max_package_files: the cap is named.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("many/problem.yaml", "name: Many\n")
        for i in range(FILES_CAP + 5):
            z.writestr(f"many/data/secret/{i}.in", "1\n")
    status, _, err = upload(server, admin, out.getvalue())
    assert status == 413 and error_code(err) == "resource_exhausted", err
    assert "max_files" in err["error"]["message"], err
    assert call(server, "GET", "/problems/many", token=admin)[0] == 404


def test_solved_filter_in_keyset_pages(server):
    tok = register(server)["access_token"]
    for pid, source in [("hello", "print('Hello, World!')\n"), ("sortlines", "print('no')\n")]:
        sub = submit(server, tok, pid, "python", {"a.py": source})[2]
        graded(server, tok, sub["id"])

    def ids(query):
        out, cursor = [], None
        while True:
            q = query + "&limit=1" + (f"&cursor={cursor}" if cursor else "")
            status, _, page = call(server, "GET", "/problems?" + q, token=tok)
            assert status == 200, page
            assert len(page["items"]) == 1 or not page.get("next_cursor")
            out += [p["id"] for p in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    assert ids("solved=true") == ["hello"]
    status, _, everything = call(server, "GET", "/problems?limit=200", token=tok)
    all_ids = [p["id"] for p in everything["items"]]
    assert ids("solved=false") == [i for i in all_ids if i != "hello"]
    assert "sortlines" in ids("solved=false")  # tried, not solved
    status, _, err = call(server, "GET", "/problems?solved=maybe", token=tok)
    assert status == 400 and error_code(err) == "invalid_argument"
    # Someone else's progress is theirs.
    other = register(server)["access_token"]
    status, _, page = call(server, "GET", "/problems?solved=true", token=other)
    assert status == 200 and page["items"] == []
