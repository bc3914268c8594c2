"""The browser UI's static files (api_static.cpp): content types, caching, the SPA fallback,
the UI's Content-Security-Policy, ETag/304, and that nothing outside server.web_dir is served
(symlinks, dot files, '..' in raw and percent-encoded forms). Each module server gets its own
web directory built here, with a secret file beside it that must never come back."""

import json
import os
import socket

import pytest

from test_server import SERVER_BIN, Server, error_of

UI_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "worker-src 'self' blob:; font-src 'self' data:; img-src 'self' data:; "
          "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
          "form-action 'self'")
INDEX = b"<!doctype html><title>Codeyard</title><div id=root></div>"
SCRIPT = b"console.log('app');"
SECRET = b"TOP-SECRET-OUTSIDE-WEB-DIR"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    base = tmp_path_factory.mktemp("static")
    outside = base / "outside.txt"
    outside.write_bytes(SECRET)
    (base / "private").mkdir()
    (base / "private" / "secret.txt").write_bytes(SECRET)
    root = base / "web"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-3f9a1c.js").write_bytes(SCRIPT)
    (root / "assets" / "style-77aa.css").write_bytes(b"body{}")
    (root / "assets" / "codicon-1b2c.ttf").write_bytes(b"\x00\x01\x00\x00font")
    (root / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / ".env").write_bytes(SECRET)
    os.symlink(outside, root / "assets" / "link.js")
    os.symlink(base / "private", root / "linked")
    return base


@pytest.fixture(scope="module")
def server(web):
    s = Server(web, "--set", f"server.web_dir={web / 'web'}")
    yield s
    s.stop()


def raw_get(server, target):
    """Sends the request line as given (no client-side normalisation) and returns the reply."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def test_root_is_index_html_with_the_ui_csp_and_no_cache(server):
    status, headers, body = server.request("GET", "/")
    assert status == 200
    assert body == INDEX
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == UI_CSP
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"].startswith('"') and headers["ETag"].endswith('"')
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/login", "/workspaces", "/w/0b8e2c3a-1111-4222-8333-444455556666",
                                  "/w/abc/", "/deep/page/path"])
def test_app_pages_fall_back_to_index_html(server, path):
    status, headers, body = server.request("GET", path)
    assert status == 200, path
    assert body == INDEX
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Security-Policy"] == UI_CSP


@pytest.mark.parametrize("path,ctype", [
    ("/assets/index-3f9a1c.js", "text/javascript; charset=utf-8"),
    ("/assets/style-77aa.css", "text/css; charset=utf-8"),
    ("/assets/codicon-1b2c.ttf", "font/ttf"),
])
def test_hashed_assets_have_their_type_and_a_long_cache(server, path, ctype):
    status, headers, body = server.request("GET", path)
    assert status == 200
    assert headers["Content-Type"] == ctype
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Scripts become Monaco's workers, whose CSP is their own response's.
    assert headers["Content-Security-Policy"] == UI_CSP
    assert int(headers["Content-Length"]) == len(body)


def test_other_files_are_revalidated(server):
    status, headers, body = server.request("GET", "/favicon.svg")
    assert status == 200 and body.startswith(b"<svg")
    assert headers["Content-Type"] == "image/svg+xml"
    assert headers["Cache-Control"] == "no-cache"


def test_matching_if_none_match_is_304_without_body(server):
    _, headers, _ = server.request("GET", "/assets/index-3f9a1c.js")
    etag = headers["ETag"]
    for value in (etag, f'W/{etag}', f'"nope", {etag}', "*"):
        status, h304, body = server.request("GET", "/assets/index-3f9a1c.js",
                                            {"If-None-Match": value})
        assert status == 304, value
        assert body == b""
        assert h304["ETag"] == etag
    status, _, body = server.request("GET", "/assets/index-3f9a1c.js",
                                     {"If-None-Match": '"other"'})
    assert status == 200 and body == SCRIPT


def test_etag_changes_when_the_file_changes(server, web):
    path = web / "web" / "favicon.svg"
    _, before, _ = server.request("GET", "/favicon.svg")
    path.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>")
    status, after, body = server.request("GET", "/favicon.svg", {"If-None-Match": before["ETag"]})
    assert status == 200 and b"<rect/>" in body
    assert after["ETag"] != before["ETag"]


def test_head_sends_headers_only(server):
    status, headers, body = server.request("HEAD", "/assets/index-3f9a1c.js")
    assert status == 200 and body == b""
    assert headers["Content-Length"] == str(len(SCRIPT))


@pytest.mark.parametrize("path", ["/assets/missing-0000.js", "/missing.png", "/assets/",
                                  "/assets/index-3f9a1c.js/x"])
def test_missing_assets_are_404_not_index_html(server, path):
    status, _, body = server.request("GET", path)
    assert status == 404, path
    assert error_of(body)["code"] == "not_found"


@pytest.mark.parametrize("method,path", [("GET", "/api/v1/no-such-thing"),
                                         ("POST", "/api/v1/no-such-thing"),
                                         ("DELETE", "/api/v1/workspaces/x/y/z"),
                                         ("GET", "/api"), ("GET", "/api/")])
def test_api_paths_never_fall_back(server, method, path):
    status, headers, body = server.request(method, path)
    assert status == 404, (method, path)
    assert headers["Content-Type"] == "application/json"
    assert error_of(body)["code"] == "not_found"


def test_api_routes_keep_their_405(server):
    status, headers, _ = server.request("POST", "/api/v1/health", body=b"{}",
                                        headers={"Content-Type": "application/json"})
    assert status == 405 and headers["Allow"] == "GET"


def test_writes_to_ui_paths_are_405(server):
    status, headers, body = server.request("POST", "/login", body=b"x")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert error_of(body)["code"] == "invalid_argument"


@pytest.mark.parametrize("path", ["/assets/link.js", "/linked/secret.txt", "/.env",
                                  "/assets/.hidden"])
def test_symlinks_and_dot_files_are_never_served(server, path):
    status, _, body = server.request("GET", path)
    assert SECRET not in body
    assert status == 404, path


@pytest.mark.parametrize("target", [
    "/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt",
    "/%2E%2E/%2e%2e/outside.txt", "/assets/..%2f..%2foutside.txt", "/..%2foutside.txt",
    "/%252e%252e/outside.txt", "/linked/../../outside.txt", "//outside.txt",
    "/assets/%2e%2e%2f%2e%2e%2fprivate/secret.txt",
])
def test_dot_dot_never_leaves_the_web_dir(server, target):
    head, body = raw_get(server, target)
    assert SECRET not in body, target
    assert head.startswith(b"HTTP/1.1 "), head


def test_server_still_serves_after_hostile_paths(server):
    assert server.request("GET", "/api/v1/health")[0] == 200
    assert server.request("GET", "/")[0] == 200


def test_a_missing_web_dir_is_a_clear_404(tmp_path):
    missing = tmp_path / "not-built"
    s = Server(tmp_path, "--set", f"server.web_dir={missing}")
    try:
        status, headers, body = s.request("GET", "/")
        assert status == 404
        err = error_of(body)
        assert "not built" in err["message"] and str(missing) in err["message"]
        assert s.request("GET", "/api/v1/health")[0] == 200
    finally:
        s.stop()


def test_the_default_web_dir_is_beside_the_binary(tmp_path):
    expected = os.path.normpath(os.path.join(os.path.dirname(SERVER_BIN), "..", "web"))
    s = Server(tmp_path)
    try:
        status, _, body = s.request("GET", "/")
        if os.path.isfile(os.path.join(expected, "index.html")):
            assert status == 200
            with open(os.path.join(expected, "index.html"), "rb") as f:
                assert body == f.read()
        else:
            assert status == 404 and expected in json.loads(body)["error"]["message"]
    finally:
        s.stop()
