"""CORS from server.cors_origins, the security headers of every answer, Strict-Transport-Security
when configured, and the UI's Content-Security-Policy as documented. Real binary, loopback."""

import pathlib
import re

import pytest

from test_server import Server, error_of, run_to_exit

ALLOWED = "https://ide.example.com"
ALSO_ALLOWED = "http://localhost:5173"
HSTS_MAX_AGE = 31536000
REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("cors"),
               "--set", f"server.cors_origins={ALLOWED}, {ALSO_ALLOWED}",
               "--set", f"server.hsts_max_age_s={HSTS_MAX_AGE}")
    yield s
    s.stop()


def preflight(server, origin, path="/api/v1/workspaces", method="POST",
              headers="authorization, content-type"):
    return server.request("OPTIONS", path, {"Origin": origin,
                                            "Access-Control-Request-Method": method,
                                            "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("origin", [ALLOWED, ALSO_ALLOWED])
@pytest.mark.parametrize("path", ["/api/v1/workspaces", "/api/v1/workspaces/x/files/a/b.txt",
                                  "/api/v1/no/such/route"])
def test_preflight_from_an_allowed_origin_is_204_with_cors_headers(cors_server, origin, path):
    status, headers, body = preflight(cors_server, origin, path)
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == origin
    methods = {m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} <= methods
    allowed_headers = {h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed_headers == {"authorization", "content-type", "if-match", "if-none-match",
                               "x-request-id"}
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers["Vary"] == "Origin"
    exposed = {h.strip().lower() for h in headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"etag", "x-request-id"}
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["X-Request-Id"]


@pytest.mark.parametrize("origin", ["https://evil.example", "https://ide.example.com.evil.example",
                                    "http://ide.example.com", "https://IDE.example.com", "null",
                                    "https://ide.example.com:443"])
def test_preflight_from_another_origin_is_403_without_cors_headers(cors_server, origin):
    status, headers, body = preflight(cors_server, origin)
    assert status == 403
    assert error_of(body)["code"] == "permission_denied"
    assert not any(k.lower().startswith("access-control-") for k in headers)


def test_actual_request_from_an_allowed_origin_gets_allow_origin_and_vary(cors_server):
    for path, expected in (("/api/v1/health", 200), ("/api/v1/missing", 404)):
        status, headers, _ = cors_server.request("GET", path, {"Origin": ALLOWED})
        assert status == expected
        assert headers["Access-Control-Allow-Origin"] == ALLOWED
        assert headers["Vary"] == "Origin"
        assert "X-Request-Id" in headers["Access-Control-Expose-Headers"]


def test_actual_request_from_another_origin_gets_no_cors_headers(cors_server):
    status, headers, _ = cors_server.request("GET", "/api/v1/health",
                                             {"Origin": "https://evil.example"})
    assert status == 200  # the browser, not the server, withholds the answer from the page
    assert not any(k.lower().startswith("access-control-") for k in headers)
    assert "Vary" not in headers


def test_same_origin_only_by_default(server):
    status, headers, body = preflight(server, ALLOWED)
    assert status == 403 and error_of(body)["code"] == "permission_denied"
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = server.request("GET", "/api/v1/health", {"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in headers


def test_options_without_origin_is_not_a_preflight(cors_server):
    status, headers, _ = cors_server.request("OPTIONS", "/api/v1/health")
    assert status == 405
    assert "Access-Control-Allow-Origin" not in headers


def test_every_answer_carries_the_security_headers(server):
    for method, path in (("GET", "/api/v1/health"), ("GET", "/api/v1/missing"),
                         ("POST", "/api/v1/health")):
        _, headers, _ = server.request(method, path, body=b"{}" if method == "POST" else None)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # off unless configured


def test_hsts_only_when_configured(cors_server):
    _, headers, _ = cors_server.request("GET", "/api/v1/health")
    assert headers["Strict-Transport-Security"] == f"max-age={HSTS_MAX_AGE}"


def ui_csp_from_header():
    text = (REPO / "shells/server/security_headers.hpp").read_text()
    body = text.split("kUiContentSecurityPolicy =", 1)[1].split(";\n", 1)[0]
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))


def test_ui_csp_has_what_monaco_and_xterm_need_and_is_the_documented_one():
    csp = ui_csp_from_header()
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["worker-src"] == ["'self'", "blob:"]
    assert directives["font-src"] == ["'self'", "data:"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert f"`{csp}`" in (REPO / "docs/api.md").read_text()


@pytest.mark.parametrize("setting", ["server.cors_origins=*", "server.cors_origins=ide.example.com",
                                     "server.cors_origins=https://ide.example.com/app",
                                     "server.idle_timeout_s=0", "server.request_timeout_s=x",
                                     "server.hsts_max_age_s=-1"])
def test_bad_security_settings_exit_2_naming_the_key(tmp_path, setting):
    result = run_to_exit("--data-dir", str(tmp_path / "d"), "--set", setting)
    assert result.returncode == 2
    assert setting.split("=")[0] in result.stderr
