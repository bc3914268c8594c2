"""Operations: Prometheus metrics, the OpenAPI document against the routes, and server flags."""

import json
import pathlib
import re
import socket
import time

import prometheus_text
from api_client import API, call, create_workspace, register, wait_for
from test_server import Server, clean_env, run_to_exit

OPENAPI_FILE = pathlib.Path(__file__).resolve().parents[2] / "shells" / "server" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def scrape(server, path="/api/v1/metrics"):
    status, headers, body = server.request("GET", path)
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return prometheus_text.parse(body.decode("utf-8"))


def requests_total(families, **labels):
    return prometheus_text.value(families, "codeyard_http_requests_total", **labels)


# ---- metrics -----------------------------------------------------------------------------

def test_metrics_need_no_auth_and_both_paths_serve_the_same_families(server):
    api = scrape(server, "/api/v1/metrics")
    root = scrape(server, "/metrics")
    assert set(api) == set(root)
    expected = {
        "codeyard_http_requests_total": "counter",
        "codeyard_http_request_duration_seconds": "histogram",
        "codeyard_process_start_time_seconds": "gauge",
        "codeyard_workspaces_running": "gauge",
        "codeyard_pods_running": "gauge",
        "codeyard_pool_size": "gauge",
        "codeyard_pool_hits_total": "counter",
        "codeyard_pool_misses_total": "counter",
        "codeyard_sync_passes_total": "counter",
        "codeyard_sync_bytes_total": "counter",
        "codeyard_storage_read_cache_hits_total": "counter",
        "codeyard_storage_read_cache_misses_total": "counter",
        "codeyard_storage_read_cache_bytes": "gauge",
    }
    for name, kind in expected.items():
        assert api[name]["type"] == kind, name
        assert api[name]["help"], name
    start = prometheus_text.value(api, "codeyard_process_start_time_seconds")
    assert time.time() - 3600 < start <= time.time()


def test_request_counters_move_by_route_pattern_method_and_status(server):
    token = register(server)["access_token"]
    wid = create_workspace(server, token)["id"]
    before = scrape(server)
    for _ in range(3):
        assert server.request("GET", "/api/v1/health")[0] == 200
    assert server.request("HEAD", "/api/v1/health")[0] == 200
    assert call(server, "GET", f"/workspaces/{wid}", token=token)[0] == 200
    assert call(server, "GET", f"/workspaces/{wid}/files/a/b.txt", token=token)[0] == 404
    assert server.request("GET", "/api/v1/no/such/thing")[0] == 404
    assert server.request("DELETE", "/api/v1/health")[0] == 405
    after = scrape(server)

    def moved(**labels):
        return requests_total(after, **labels) - requests_total(before, **labels)

    assert moved(method="GET", route="/api/v1/health", status=200) == 3
    assert moved(method="HEAD", route="/api/v1/health", status=200) == 1
    assert moved(method="GET", route="/api/v1/workspaces/{id}", status=200) == 1
    assert moved(method="GET", route="/api/v1/workspaces/{id}/files/{path...}", status=404) == 1
    assert moved(method="GET", route="unmatched", status=404) == 1
    assert moved(method="DELETE", route="unmatched", status=405) == 1
    # The duration histogram counted the same requests.
    count = prometheus_text.value(after, "codeyard_http_request_duration_seconds_count",
                                  method="GET", route="/api/v1/health")
    count_before = prometheus_text.value(before, "codeyard_http_request_duration_seconds_count",
                                         method="GET", route="/api/v1/health")
    assert count - count_before == 3
    # Raw paths never become labels: no id, no file name, no unknown path.
    text = server.request("GET", "/metrics")[2].decode()
    assert wid not in text and "b.txt" not in text and "no/such" not in text


def test_server_made_errors_count_under_route_server(server):
    before = scrape(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 413 ")
    # The access log (and the hook) runs once the answer is written; poll briefly for it.
    def counted():
        return (requests_total(scrape(server), method="POST", route="server", status=413) -
                requests_total(before, method="POST", route="server", status=413))

    assert wait_for(counted, 5, "the 413 is counted", interval=0.02) == 1


def test_workspace_sync_and_pod_metrics_follow_an_exec(server):
    token = register(server)["access_token"]
    wid = create_workspace(server, token)["id"]
    assert call(server, "PUT", f"/workspaces/{wid}/files/in.txt", token=token,
                body=b"x" * 1000)[0] == 200
    before = scrape(server)
    status, _, run = call(server, "POST", f"/workspaces/{wid}/exec", token=token,
                          json_body={"argv": ["sh", "-c", "head -c 700 /dev/zero > out.bin"]})
    assert status == 200 and run["verdict"] == "ok", run
    during = scrape(server)
    assert prometheus_text.value(during, "codeyard_workspaces_running") >= 1
    assert prometheus_text.value(during, "codeyard_pods_running") >= 1
    passes = (prometheus_text.value(during, "codeyard_sync_passes_total") -
              prometheus_text.value(before, "codeyard_sync_passes_total"))
    assert passes >= 1
    to_pod = (prometheus_text.value(during, "codeyard_sync_bytes_total", direction="to_pod") -
              prometheus_text.value(before, "codeyard_sync_bytes_total", direction="to_pod"))
    from_pod = (prometheus_text.value(during, "codeyard_sync_bytes_total", direction="from_pod") -
                prometheus_text.value(before, "codeyard_sync_bytes_total", direction="from_pod"))
    assert to_pod >= 1000  # in.txt seeded into the new pod
    assert from_pod >= 700  # out.bin read back
    running = prometheus_text.value(during, "codeyard_workspaces_running")
    assert call(server, "POST", f"/workspaces/{wid}/stop", token=token)[0] == 200
    assert prometheus_text.value(scrape(server), "codeyard_workspaces_running") == running - 1


# ---- OpenAPI -----------------------------------------------------------------------------

def routed():
    result = run_to_exit("--print-routes", env={})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    routes = set()
    for line in result.stdout.splitlines():
        method, pattern = line.split(" ")
        # The router's rest-of-path "{name...}" (and "{name**}") is OpenAPI's "{name}".
        routes.add((method.lower(), re.sub(r"\{(\w+)(?:\.\.\.|\*\*)\}", r"{\1}", pattern)))
    return routes


def documented(doc):
    return {(method, path) for path, item in doc["paths"].items()
            for method in item if method in HTTP_METHODS}


def test_print_routes_needs_no_config_and_lists_every_group():
    routes = routed()
    assert ("get", "/api/v1/health") in routes
    assert ("post", "/api/v1/run") in routes
    assert ("get", "/metrics") in routes
    assert ("put", "/api/v1/workspaces/{id}/files/{path}") in routes


def test_every_route_is_documented_and_every_documented_operation_is_routed():
    doc = json.loads(OPENAPI_FILE.read_text())
    routes, docs = routed(), documented(doc)
    assert routes - docs == set(), "routed but not in openapi.json"
    assert docs - routes == set(), "in openapi.json but not routed"


def test_openapi_document_is_well_formed():
    doc = json.loads(OPENAPI_FILE.read_text())
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"]}

    def resolve(ref):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node["$ref"])  # KeyError if dangling
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    op_ids = []
    for path, item in doc["paths"].items():
        declared = {resolve(p["$ref"])["name"] if "$ref" in p else p["name"]
                    for p in item.get("parameters", [])}
        assert set(re.findall(r"\{(\w+)\}", path)) == declared, path
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            op_ids.append(op["operationId"])
            assert op["responses"], (method, path)
            for status, resp in op["responses"].items():
                resp = resolve(resp["$ref"]) if "$ref" in resp else resp
                if int(status) >= 400:  # every error is the envelope
                    schema = resp["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
            # The terminal, the events channel and Run authenticate in their first WebSocket
            # message, not by header; a signed download link is its own credential.
            public = path in ("/api/v1/health", "/api/v1/ready", "/metrics", "/api/v1/languages",
                              "/api/v1/metrics", "/api/v1/openapi.json",
                              "/api/v1/workspaces/{id}/terminal", "/api/v1/events",
                              "/api/v1/downloads/{token}",
                              "/api/v1/workspaces/{id}/run",
                              "/api/v1/workspaces/{id}/lsp",
                              "/api/v1/workspaces/{id}/ports/{port}",
                              "/api/v1/previews/{ticket}", "/api/v1/previews/{ticket}/{path}"
                              ) or "/auth/" in path
            assert (op["security"] == []) == public, (method, path)
    assert len(op_ids) == len(set(op_ids))


def test_served_openapi_document_is_the_file_byte_for_byte(server):
    status, headers, body = server.request("GET", API + "/openapi.json")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == OPENAPI_FILE.read_bytes()


# ---- flags -------------------------------------------------------------------------------

def test_data_and_executor_flags(tmp_path):
    data = tmp_path / "data"
    pods = tmp_path / "pods"
    s = Server(tmp_path, "--data", str(data), "--executor", f"local:?state_dir={pods}",
               data_flag=False)
    try:
        assert (data / "codeyard.db").is_file()
        # The warm pool starts pods at once, in the executor's state directory.
        wait_for(lambda: pods.is_dir() and any(pods.iterdir()), 20, "a warm pod is started")
        assert not (data / "pods").exists()  # not the default place
    finally:
        assert s.stop()[0] == 0


def test_a_relative_data_dir_works_as_scripts_run_passes_it(tmp_path):
    # ./scripts/run starts `codeyard-server --data ./data --dev` from the checkout.
    s = Server(tmp_path, "--data", "data", "--dev", data_flag=False, cwd=tmp_path,
               env=clean_env(secret=None))
    try:
        assert (tmp_path / "data" / "codeyard.db").is_file()
        assert (tmp_path / "data" / "secret").is_file()
        token = register(s)["access_token"]
        ws = create_workspace(s, token)["id"]
        status, _, doc = call(s, "POST", f"/workspaces/{ws}/exec", token=token,
                              json_body={"argv": ["echo", "pod ok"]})
        assert (status, doc["stdout"]) == (200, "pod ok\n"), doc
    finally:
        assert s.stop()[0] == 0


def test_unknown_executor_exits_2_naming_it(tmp_path):
    result = run_to_exit("--data", str(tmp_path / "d"), "--executor", "nope:")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("codeyard-server: cannot open executor nope:")
    assert "unknown executor backend" in last
