"""REST API: workspace files as raw bytes with versions as ETags, and path checking."""

import pytest

from api_client import call, create_workspace, error_code, register


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


@pytest.fixture
def ws(server, token):
    return create_workspace(server, token)["id"]


def put(server, token, ws, path, body, headers=None):
    return call(server, "PUT", f"/workspaces/{ws}/files/{path}", token=token, body=body,
                headers=headers)


def test_put_get_nested_path_and_etag(server, token, ws):
    data = bytes(range(256))
    status, headers, info = put(server, token, ws, "src/pkg/data.bin", data)
    assert status == 200 and info["kind"] == "file" and info["size"] == 256
    status, headers, body = call(server, "GET", f"/workspaces/{ws}/files/src/pkg/data.bin",
                                 token=token)
    assert status == 200 and body == data and headers["ETag"] == f'"{info["version"]}"'
    status, _, tree = call(server, "GET", f"/workspaces/{ws}/tree", token=token)
    assert [(i["path"], i["kind"]) for i in tree["items"]] == [
        ("src", "dir"), ("src/pkg", "dir"), ("src/pkg/data.bin", "file")]


def test_empty_file_is_fine(server, token, ws):
    status, _, info = put(server, token, ws, "empty.txt", b"")
    assert status == 200 and info["size"] == 0
    status, _, body = call(server, "GET", f"/workspaces/{ws}/files/empty.txt", token=token)
    assert (status, body) == (200, b"")


def test_if_match_current_version_writes_stale_is_412(server, token, ws):
    _, _, v1 = put(server, token, ws, "a.txt", b"one")
    status, _, v2 = put(server, token, ws, "a.txt", b"two", {"If-Match": f'"{v1["version"]}"'})
    assert status == 200 and v2["version"] > v1["version"]
    status, _, doc = put(server, token, ws, "a.txt", b"three", {"If-Match": f'"{v1["version"]}"'})
    assert status == 412 and error_code(doc) == "conflict"
    assert call(server, "GET", f"/workspaces/{ws}/files/a.txt", token=token)[2] == b"two"


@pytest.mark.parametrize("headers", [{"If-Match": '"0"'}, {"If-None-Match": "*"}])
def test_create_only_is_409_when_the_file_exists(server, token, ws, headers):
    status, _, _ = put(server, token, ws, "new.txt", b"first", headers)
    assert status == 200
    status, _, doc = put(server, token, ws, "new.txt", b"second", headers)
    assert status == 409 and error_code(doc) == "already_exists"


def test_bad_if_match_is_400(server, token, ws):
    status, _, doc = put(server, token, ws, "a.txt", b"x", {"If-Match": "yesterday"})
    assert status == 400 and error_code(doc) == "invalid_argument"


def test_delete_file_and_folder(server, token, ws):
    put(server, token, ws, "d/x.txt", b"x")
    status, _, body = call(server, "DELETE", f"/workspaces/{ws}/files/d/x.txt", token=token)
    assert (status, body) == (204, b"")
    assert call(server, "GET", f"/workspaces/{ws}/files/d/x.txt", token=token)[0] == 404
    assert call(server, "DELETE", f"/workspaces/{ws}/files/d", token=token)[0] == 204
    status, _, doc = call(server, "DELETE", f"/workspaces/{ws}/files/d", token=token)
    assert status == 404 and error_code(doc) == "not_found"


def test_move(server, token, ws):
    put(server, token, ws, "old.txt", b"content")
    put(server, token, ws, "taken.txt", b"other")
    status, _, info = call(server, "POST", f"/workspaces/{ws}/files:move", token=token,
                           json_body={"from": "old.txt", "to": "lib/new.txt"})
    assert status == 200 and info["path"] == "lib/new.txt"
    assert call(server, "GET", f"/workspaces/{ws}/files/lib/new.txt", token=token)[2] == b"content"
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/files:move", token=token,
                          json_body={"from": "lib/new.txt", "to": "taken.txt"})
    assert status == 409 and error_code(doc) == "already_exists"
    status, _, doc = call(server, "POST", f"/workspaces/{ws}/files:move", token=token,
                          json_body={"from": "taken.txt"})
    assert status == 400 and "'to'" in doc["error"]["message"]


def test_make_dir_and_reading_a_folder(server, token, ws):
    status, _, info = call(server, "POST", f"/workspaces/{ws}/dirs/a/b", token=token)
    assert status == 201 and info["kind"] == "dir" and info["path"] == "a/b"
    status, _, doc = call(server, "GET", f"/workspaces/{ws}/files/a/b", token=token)
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = put(server, token, ws, "a/b", b"x")  # a folder is there
    assert status == 412 and error_code(doc) == "failed_precondition"


@pytest.mark.parametrize("path", ["bad%01name", "bad%FFname", "a%7F"])
def test_bad_bytes_in_a_path_are_400(server, token, ws, path):
    status, _, doc = put(server, token, ws, path, b"x")
    assert status == 400 and error_code(doc) == "invalid_argument"
    assert call(server, "GET", "/health")[0] == 200


@pytest.mark.parametrize("path", ["%2e%2e/secret", "a/%2e%2e/%2e%2e/secret", "..%2Fsecret",
                                  "%2e%2e%2fsecret", "a/%2E%2E/%2E%2E/%2E%2E/etc/passwd"])
def test_dot_dot_never_leaves_the_workspace(server, token, ws, path):
    # libwebsockets decodes the URI and resolves dot segments (encoded ones too) before the
    # router sees it, so such a path either names another route (404) or is rejected by
    # NormalizePath (400); it never reaches a file outside the workspace.
    status, _, doc = put(server, token, ws, path, b"x")
    assert status in (400, 404) and error_code(doc) in ("invalid_argument", "not_found")
    status, _, tree = call(server, "GET", f"/workspaces/{ws}/tree", token=token)
    assert status == 200 and all("secret" not in i["path"] and "passwd" not in i["path"]
                                 for i in tree["items"])


def test_file_routes_need_a_token(server, token, ws):
    put(server, token, ws, "p.txt", b"private")
    for method in ("GET", "PUT", "DELETE"):
        status, _, doc = call(server, method, f"/workspaces/{ws}/files/p.txt", body=b"x")
        assert status == 401 and error_code(doc) == "unauthenticated"
    assert call(server, "GET", f"/workspaces/{ws}/files/p.txt", token=token)[2] == b"private"
