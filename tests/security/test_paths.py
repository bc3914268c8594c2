"""Issue 13, item 8: a file URL names exactly one file, decoded once.

libwebsockets 4.1.6 ended its request line at a percent-encoded CR or LF, so
`PUT …/files/victim.txt%0a.bak` overwrote victim.txt and the DELETE deleted it. The server now
reads the request target as sent and decodes it once itself (shells/server/request_target.hpp);
a control character in a file path is refused with 400 invalid_argument and touches nothing.
Requests go over raw sockets: an HTTP client library would refuse or re-encode these URLs."""

import json

import pytest

from api_client import call, create_workspace, error_code, register
from raw_http import connect, read_until_closed, split_response, split_responses

HOSTILE = [
    "victim.txt%0a.bak",        # LF: lws cut the path here
    "victim.txt%0d.bak",        # CR: likewise
    "victim.txt%0d%0a.bak",
    "victim.txt%0A",
    "victim.txt%00.bak",        # NUL inside a segment: lws dropped the connection unanswered
    "victim.txt%00",
    "victim.txt%09",            # TAB
    "victim.txt%7f",            # DEL
    "victim.txt%1b[0m",         # ESC
    "%2e%2e/victim.txt",        # ".." arriving encoded
    "x/%2e%2e/victim.txt",
    "x/%2E%2E/%2e%2e/victim.txt",
    "victim.txt%c0%ae",         # overlong UTF-8 for '.'
    "%c0%ae%c0%ae/victim.txt",  # overlong "..": not UTF-8, so not a path
    "victim.txt%ed%a0%80",      # a UTF-16 surrogate in UTF-8
]


@pytest.fixture(scope="module")
def owner(server):
    token = register(server)["access_token"]
    ws = create_workspace(server, token, "paths")["id"]
    return token, ws


def raw(server, method, target, token, body=b""):
    head = (f"{method} {target} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with connect(server) as s:
        s.sendall(head + body)
        data, _, _ = read_until_closed(s, 10.0)
    assert data, f"{method} {target}: connection closed without an answer"
    return split_response(data)


def victim(server, token, ws):
    status, headers, content = call(server, "GET", f"/workspaces/{ws}/files/victim.txt",
                                    token=token)
    assert status == 200, (status, content)
    return content, headers["ETag"]


def tree_paths(server, token, ws):
    status, _, tree = call(server, "GET", f"/workspaces/{ws}/tree", token=token)
    assert status == 200
    return sorted(item["path"] for item in tree["items"])


@pytest.fixture()
def planted(server, owner):
    token, ws = owner
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/victim.txt", token=token,
                          body=b"precious")
    assert status in (200, 201), doc
    return victim(server, token, ws)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_url_is_400_and_touches_nothing(server, owner, planted, name):
    token, ws = owner
    before_tree = tree_paths(server, token, ws)
    target = f"/api/v1/workspaces/{ws}/files/{name}"
    for method, body in (("PUT", b"overwritten"), ("GET", b""), ("DELETE", b""),
                         ("POST", b"")):
        # POST to a file URL: the folder route (…/dirs/…) is the other path-taking one.
        url = target.replace("/files/", "/dirs/") if method == "POST" else target
        status, headers, payload = raw(server, method, url, token, body)
        assert status == 400, (method, name, status, payload[:300])
        assert headers["content-type"].startswith("application/json")
        assert error_code(json.loads(payload)) == "invalid_argument", payload
    assert victim(server, token, ws) == planted
    assert tree_paths(server, token, ws) == before_tree


@pytest.mark.parametrize("name", ["victim.txt\n.bak", "victim.txt\r", "victim.txt\0.bak",
                                  "../victim.txt", "victim.txt\t", "victim.txt\x7f"])
def test_a_move_naming_a_hostile_path_is_400_and_touches_nothing(server, owner, planted, name):
    token, ws = owner
    for body in ({"from": name, "to": "moved.txt"}, {"from": "victim.txt", "to": name}):
        status, _, doc = call(server, "POST", f"/workspaces/{ws}/files:move", token=token,
                              json_body=body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)
    assert victim(server, token, ws) == planted
    assert "moved.txt" not in tree_paths(server, token, ws)


@pytest.mark.parametrize("name", ["victim.txt%zz", "victim.txt%2", "%g0victim.txt"])
def test_a_malformed_escape_touches_nothing(server, owner, planted, name):
    # libwebsockets refuses a '%' without two hex digits in its parser, with its own 403 page,
    # before the server sees the request.
    token, ws = owner
    for method in ("PUT", "DELETE"):
        status, _, _ = raw(server, method, f"/api/v1/workspaces/{ws}/files/{name}", token,
                           b"overwritten" if method == "PUT" else b"")
        assert status in (400, 403), (method, name, status)
    assert victim(server, token, ws) == planted


def test_an_encoded_line_break_in_the_query_is_400(server, owner):
    token, ws = owner
    status, _, payload = raw(server, "GET", f"/api/v1/workspaces?x=%0d%0aInjected:%20yes", token)
    assert status == 400 and error_code(json.loads(payload)) == "invalid_argument"


def test_the_headers_after_an_encoded_lf_are_still_read(server, owner, planted):
    # lws spilled the rest of the request line into the headers, so Authorization was lost
    # and the answer was 401; now the escape cannot end lws's line, and the answer is the 400.
    token, ws = owner
    status, _, payload = raw(server, "PUT", f"/api/v1/workspaces/{ws}/files/victim.txt%0a"
                                            "Authorization:%20x", token, b"overwritten")
    assert status == 400 and error_code(json.loads(payload)) == "invalid_argument"
    assert victim(server, token, ws) == planted


@pytest.mark.parametrize("encoded,name", [
    ("a%25b.txt", "a%b.txt"),          # %25 is a literal percent
    ("100%25%20done.txt", "100% done.txt"),
    ("%252e%252e", "%2e%2e"),          # decoded once: a literal "%2e%2e" name
    ("plus+sign.txt", "plus+sign.txt"),  # '+' is a plus in a path
    ("caf%C3%A9.txt", "café.txt"),
    ("dir%2Finner.txt", "dir/inner.txt"),  # %2F is a '/', as a file name cannot hold one
])
def test_escapes_decode_exactly_once(server, owner, encoded, name):
    token, ws = owner
    status, _, _ = raw(server, "PUT", f"/api/v1/workspaces/{ws}/files/{encoded}", token,
                       b"once")
    assert status in (200, 201)
    assert name in tree_paths(server, token, ws)
    status, _, content = raw(server, "GET", f"/api/v1/workspaces/{ws}/files/{encoded}", token)
    assert status == 200 and content == b"once"


def test_a_request_libwebsockets_answers_itself_cannot_lend_its_path_to_the_next(server, owner,
                                                                                 planted):
    # lws answers an unknown Upgrade with its own 403 and keeps the connection; the server never
    # sees that request, so the next one on the connection must not be read with its path.
    token, ws = owner
    first = (f"PUT /api/v1/workspaces/{ws}/files/victim.txt HTTP/1.1\r\nHost: t\r\n"
             "Upgrade: foo\r\nConnection: upgrade\r\n\r\n").encode()
    second = (f"PUT /api/v1/workspaces/{ws}/files/other.txt HTTP/1.1\r\nHost: t\r\n"
              f"Authorization: Bearer {token}\r\nContent-Length: 11\r\nConnection: close\r\n"
              "\r\noverwritten").encode()
    with connect(server) as s:
        s.sendall(first)
        s.sendall(second)
        data, _, _ = read_until_closed(s, 10.0)
    assert victim(server, token, ws) == planted
    answers = split_responses(data)
    assert answers and answers[0][0] == 403, data[:300]
    # The second request is answered as itself (other.txt written) or refused; never as the
    # first one's path.
    for status, _, body in answers[1:]:
        assert status in (200, 201, 400), (status, body[:200])
        if status != 400:
            assert json.loads(body)["path"] == "other.txt"
