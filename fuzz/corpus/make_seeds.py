#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/), each seed a real input
of the kind our tests and examples use, in the byte layout its target reads (see the comment
at the top of fuzz/<target>_fuzz.cpp). Run from anywhere; rewrites the seeds it makes and
leaves other files (inputs a fuzz run found and someone kept) alone."""
import io
import json
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fdp_string(s):
    """A string as FuzzedDataProvider::ConsumeRandomLengthString reads it (a backslash doubled;
    a backslash and another byte end it)."""
    if isinstance(s, str):
        s = s.encode()
    return s.replace(b"\\", b"\\\\") + b"\\n"


def frame(kind, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return kind.encode() + struct.pack(">I", len(payload)) + payload


def body(obj, blob=b""):
    text = json.dumps(obj).encode()
    return struct.pack(">I", len(text)) + text + blob


# paths: workspace paths from the file tests, good and refused.
for i, p in enumerate(["src/main.py", "./notes/todo.md", "a//b///c/", "../etc/passwd", "/abs",
                       "caf\u00e9/e\u0301t\u00e9.txt", "a/./b", "x" * 300, "dir/\u202etxt.exe",
                       "node_modules/pkg/index.js", "\u00ff\u00fe", ".syncignore"]):
    put("paths", f"seed-{i:02d}", p)

# syncignore: the file's text, then (is_dir flag at the end) paths to match.
rules = ["*.log\n", "build/\n!build/keep.txt\n", "# comment\n/dist\n*.py[co]\n",
         "node_modules/\n!node_modules/\n", "a/**/b\n[a-z]?.txt\n\\#hash\n"]
for i, r in enumerate(rules):
    put("syncignore", f"seed-{i:02d}",
        fdp_string(r) + fdp_string("build/keep.txt") + fdp_string("src/x.pyc") + b"\x01\x00")

# terminal: [0: hello | 1: resize][message], as the IDE and tests/server/terminal_client.py send.
put("terminal", "hello", b"\x00" + json.dumps({"token": "eyJhbGciOi.x.y", "cols": 80,
                                               "rows": 24, "readonly": False}).encode())
put("terminal", "hello-2", b"\x00" + json.dumps({"token": "t", "terminal": 2}).encode())
put("terminal", "hello-bad", b"\x00{\"token\":5,\"cols\":0}")
put("terminal", "resize", b"\x01{\"rows\":40,\"cols\":120}")
put("terminal", "resize-big", b"\x01{\"rows\":100000,\"cols\":-1}")

# lsp: [piece size][Content-Length framed JSON-RPC], as pylsp and clangd answer.
msg = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"capabilities": {"hoverProvider": True}}})
put("lsp", "one", b"\x07" + f"Content-Length: {len(msg)}\r\n\r\n{msg}".encode())
put("lsp", "two", b"\xff" + (f"Content-Length: {len(msg)}\r\nContent-Type: application/"
                             f"vscode-jsonrpc; charset=utf-8\r\n\r\n{msg}" * 2).encode())
put("lsp", "bad", b"\x10Content-Length: 99999999999\r\n\r\n{}")

# pod_protocol: [mode][piece][bytes]. What an agent answers each call (agent_protocol.hpp);
# modes 224+ are the library's frames as the agent reads them.
exit_report = json.dumps({"exit_code": 0, "cpu_ms": 3, "wall_ms": 5, "memory_kb": 1024})
exec_answer = (frame("a", json.dumps({"pid": 42})) + frame("d", "hello\n") + frame("E", "warn\n")
               + frame("t", "3") + frame("x", exit_report))
put("pod_protocol", "exec", b"\x00\x01" + exec_answer)
put("pod_protocol", "exec-tty", b"\x01\x00" + exec_answer.replace(b"x", b"g", 0)
    + frame("g", json.dumps({"skipped": 100})))
put("pod_protocol", "exec-error", b"\x00\x10" + frame("e", json.dumps(
    {"type": "error", "code": "not_found", "message": "no such file"})))
put("pod_protocol", "session", b"\x02\x02" + frame("a", json.dumps({"started": True, "pid": 7}))
    + frame("d", "$ ") + frame("x", json.dumps({"signal": 9})))
files_reply = body({"files": [{"path": "a.txt", "kind": "file", "size": 5, "mode": 420,
                               "mtime_ns": 1}]}, b"hello")
put("pod_protocol", "get", b"\x03\x04" + frame("d", files_reply) + frame("z", ""))
list_reply = body({"entries": [{"path": "src", "kind": "dir", "size": 0, "mtime_ns": 5,
                                "mode": 493}, {"path": "src/a.py", "kind": "file", "size": 3,
                                               "mtime_ns": 5, "mode": 420, "sha256": "ab" * 32}]})
put("pod_protocol", "list", b"\x04\x08" + frame("d", list_reply) + frame("z", ""))
put("pod_protocol", "put", b"\x05\x08" + frame("d", body({})) + frame("z", ""))
put("pod_protocol", "port", b"\x06\x03" + frame("a", "{}") + frame("d", "HTTP/1.1 200 OK\r\n\r\nhi")
    + frame("z", ""))
put("pod_protocol", "reset", b"\x07\x00" + frame("d", body({})) + frame("z", ""))
put("pod_protocol", "to-pod", b"\xe0\x00" + frame("o", json.dumps(
    {"op": "exec", "exec": {"argv": ["sh", "-c", "ls"], "cwd": "/workspace", "env": {"A": "1"},
                            "tty": True, "rows": 24, "cols": 80}, "stdin_open": True}))
    + frame("i", "ls\n") + frame("r", "{\"rows\":40,\"cols\":100}") + frame("s", "{\"signal\":2}")
    + frame("z", ""))
put("pod_protocol", "to-pod-put", b"\xe1\x00" + frame("o", "{\"op\":\"put\"}") + frame(
    "i", body({"files": [{"path": "a.txt", "kind": "file", "size": 2, "mode": 420}]}, b"hi"))
    + frame("z", ""))

# http_exchange: [mode][piece][bytes]. Responses of a program behind the preview relay.
responses = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 404 Not Found\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n\r\nnot here",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n",
    b"HTTP/1.1 301 Moved\r\nLocation: /x/\r\nContent-Length: 0\r\n\r\n",
]
for i, r in enumerate(responses):
    put("http_exchange", f"response-{i}", bytes([i % 3, i * 7]) + r)
put("http_exchange", "switch", b"\x03\x00" + fdp_string("dGhlIHNhbXBsZSBub25jZQ==")
    + fdp_string("chat, superchat") + fdp_string("sec-websocket-accept")
    + fdp_string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + fdp_string("sec-websocket-protocol")
    + fdp_string("chat"))
put("http_exchange", "request", b"\x04\x00" + fdp_string("POST") + fdp_string("/api/items?x=1")
    + fdp_string("content-type") + fdp_string("application/json") + fdp_string("cookie")
    + fdp_string("a=b") + b"\x00")

# kube: [parser][input]. API server answers as the fake (tests/kube_fake) and a real one send.
pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {
    "name": "cy-abc", "namespace": "codeyard", "resourceVersion": "12",
    "labels": {"app.kubernetes.io/managed-by": "codeyard"},
    "annotations": {"codeyard.dev/held-until": "2026-12-06T18:29:20Z"},
    "creationTimestamp": "2026-12-06T18:29:20Z"},
    "spec": {"containers": [{"name": "pod", "image": "codeyard/workspace:1",
                             "env": [{"name": "HOME", "value": "/workspace"}]}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "pod", "ready": True,
                                      "state": {"running": {"startedAt": "2026-12-06T18:29:21Z"}}}]}}
pending = json.loads(json.dumps(pod))
pending["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                     "reason": "Unschedulable", "message": "0/3 nodes are available"}],
                     "containerStatuses": [{"name": "pod", "state": {"waiting": {
                         "reason": "ImagePullBackOff", "message": "not found"}}}]}
lines = [json.dumps({"type": "ADDED", "object": pod}), json.dumps({"type": "MODIFIED",
         "object": pending}), json.dumps({"type": "BOOKMARK", "object": {"kind": "Pod",
         "metadata": {"resourceVersion": "13"}}}), json.dumps({"type": "ERROR", "object": {
         "kind": "Status", "status": "Failure", "reason": "Expired", "code": 410,
         "message": "too old resource version"}}), json.dumps({"type": "DELETED", "object": pod})]
put("kube", "watch", b"\x00" + "\n".join(lines).encode() + b"\n")
put("kube", "pod", b"\x01" + json.dumps(pod).encode())
put("kube", "pod-pending", b"\x01" + json.dumps(pending).encode())
put("kube", "status-403", b"\x02" + json.dumps({"kind": "Status", "status": "Failure",
    "reason": "Forbidden", "code": 403, "message": "pods is forbidden: User \"x\" cannot create",
    "details": {"kind": "pods"}}).encode())
put("kube", "status-422", b"\x02" + json.dumps({"kind": "Status", "status": "Failure",
    "reason": "Invalid", "code": 422, "details": {"causes": [{"field": "spec.containers[0].image",
    "message": "Required value"}]}}).encode())
ws = bytes([0x82, 0x06]) + b"\x01hello" + bytes([0x82, len(b'\x03{"status":"Success"}')]) \
    + b'\x03{"status":"Success"}' + bytes([0x89, 0x00]) + bytes([0x88, 0x02, 0x03, 0xe8])
put("kube", "exec-frames", b"\x03" + ws)
put("kube", "exec-status", b"\x04" + json.dumps({"status": "Failure", "reason":
    "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": "2"}]}}).encode())
put("kube", "quantity", b"\x04512Mi")
put("kube", "time", b"\x042026-12-06T18:29:20.123+02:00")
put("kube", "annotation", b"\x05" + json.dumps({"image": "python", "labels": {"a": "b"},
    "env": {"X": "1"}, "memory_bytes": 268435456, "cpu_millis": 500}).encode())
put("kube", "kubeconfig", b"\x06" + b"""apiVersion: v1
kind: Config
current-context: kind
clusters:
- name: kind
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: abc.def
contexts:
- name: kind
  context: {cluster: kind, user: admin, namespace: codeyard}
""")
put("kube", "yaml", b"\x07a: [1, 2, {b: c}]\nd: |\n  text\n&x e: *x\n")
put("kube", "uri", b"\x08k8s:?namespace=codeyard&image=codeyard/workspace:1&kubeconfig=/x")

# config: a JSON file as docs/configuration.md shows, then key=value settings from the end.
conf = {"server": {"listen": "127.0.0.1:8080"}, "data_dir": "/var/lib/codeyard",
        "storage.uri": "postgresql://codeyard@localhost/codeyard", "executor": {"uri": "local:",
        "pool_size": 2}, "log.level": "info", "dev_mode": False}
put("config", "file", fdp_string(json.dumps(conf)) + fdp_string("30") + b"\x00\x05\x01\x01")
put("config", "comments", fdp_string('{\n  // a comment\n  "server.cors_origins": '
                                     '"https://a.example, http://localhost:5173",\n}')
    + fdp_string("-1") + b"\x01\x02\x00\x01")
put("config", "flags", fdp_string("") + fdp_string("0.0.0.0:80") + fdp_string("1k")
    + fdp_string("server.listen=[::1]:8080") + b"\x00\x00\x10\x00\x20\x01\x00")

# problem_package: [0: zip | 1: files | 2: LaTeX | 3: problem JSON], from examples/problems.
for name in ["hello", "guess", "sortlines"]:
    folder = os.path.join(ROOT, "examples", "problems", name)
    buf = io.BytesIO()
    tree = b""
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for base, _, files in os.walk(folder):
            for f in sorted(files):
                path = os.path.join(base, f)
                rel = os.path.relpath(path, folder)
                with open(path, "rb") as fh:
                    content = fh.read()
                info = zipfile.ZipInfo(f"{name}/{rel}", date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, content)
                tree += fdp_string(rel) + fdp_string(content[:4096])
    put("problem_package", f"zip-{name}", b"\x00" + buf.getvalue())
    put("problem_package", f"tree-{name}", b"\x01" + tree)
put("problem_package", "latex", b"\x02" + rb"""\problemname{Hello}
Print \texttt{Hello, World!} $x^2 \le 10^9$.
\begin{itemize}\item one \item two\end{itemize}
\section*{Input} None. \emph{Really}. \\ %% a comment
""")
problem = {"id": "sum", "title": "Sum", "statement": "Add two numbers.", "level": 1,
           "limits": {"time_limit_s": 1, "memory_limit_mb": 256},
           "tests": [{"name": "1", "input": "1 2\n", "output": "3\n", "sample": True}],
           "checker": {"kind": "tokens"}, "tags": ["math"]}
put("problem_package", "problem-json", b"\x03" + json.dumps(problem).encode())

# search: the query (then the file's content); its regex and case flags are the last bytes.
code = open(os.path.join(ROOT, "examples", "problems", "hello", "submissions", "accepted",
                         "hello.py"), "rb").read()
for i, (query, regex, case) in enumerate([("print", 0, 0), ("Hello", 0, 1), (r"def\s+\w+\(", 1, 0),
                                          ("(a|b)*c", 1, 1), ("caf\u00e9", 0, 0),
                                          (r"^\s*#.*$", 1, 0)]):
    put("search", f"seed-{i:02d}", fdp_string(query) + code + "\n# caf\u00e9 \u00e9t\u00e9\n"
        .encode() + bytes([case, regex]))

# ---- the CLI's saved login (cli_login): the text of login.json, as `codeyard login` writes it
# (shells/cli/login_file.cpp) and as a hand or another tool may have left it
put("cli_login", "saved", json.dumps({"url": "http://127.0.0.1:8080", "username": "ada",
                                      "access_token": "eyJ.a.b",
                                      "access_expires_at": 1765000000000,
                                      "refresh_token": "r1"}) + "\n")
put("cli_login", "wrong-types", '{"url":7,"username":null,"access_expires_at":"soon"}')
put("cli_login", "not-an-object", "[1,2]")
put("cli_login", "odd-values", '{"access_expires_at":1.5e300,"url":"x\\u0000y"}')

# ---- the server shell (router, request_body): from shells/server/openapi.json, which
# tests/server/test_ops.py keeps equal to the route table.
OPENAPI = json.load(open(os.path.join(ROOT, "shells", "server", "openapi.json")))
SCHEMAS = OPENAPI["components"]["schemas"]
METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]


def instance(schema, name="", depth=0):
    """A value that fits `schema` (its example, default or first enum value, else one made
    from its type and bounds): the body a well-behaved client sends."""
    if "$ref" in schema:
        return instance(SCHEMAS[schema["$ref"].split("/")[-1]], name, depth)
    if "allOf" in schema:
        out = {}
        for part in schema["allOf"]:
            value = instance(part, name, depth)
            if isinstance(value, dict):
                out.update(value)
        return out
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        if not props and isinstance(schema.get("additionalProperties"), dict):
            return {"main.py": "print(input())\n"} if depth < 3 else {}
        return {k: instance(v, k, depth + 1) for k, v in props.items()} if depth < 4 else {}
    if kind == "array":
        return [instance(schema.get("items", {}), name, depth + 1)] if depth < 4 else []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    made = {"language": "python", "username": "fuzzuser", "password": "fuzz-password-1",
            "path": "src/main.py", "from": "src/main.py", "to": "src/other.py",
            "slug": "team", "user": "fuzzuser", "role": "member"}
    return made.get(name, name or "x")


def filled(path):
    return (path.replace("{id}", "ws_1").replace("{path}", "src/main.py")
            .replace("{port}", "8000").replace("{ticket}", "tkt_1").replace("{token}", "dl.tok")
            .replace("{user}", "usr_1").replace("{cid}", "1").replace("{n}", "1"))


# router: every operation's request line, with ids in its parameters, and lines as browsers and
# tests/server/test_abuse.py send them.
operations = sorted((p, m) for p, item in OPENAPI["paths"].items() for m in item if m in METHODS)
for i, (path, method) in enumerate(operations):
    put("router", f"op-{i:03d}", f"{method.upper()} {filled(path)} HTTP/1.1")
for i, line in enumerate([
        "PUT /api/v1/workspaces/ws_1/files/a%2Fb%20c.txt?version=3 HTTP/1.1",
        "GET /api/v1/workspaces/ws_1/ports/8000/static/app.js?v=1&x HTTP/1.1",
        "POST /api/v1/previews/tkt_abc/api//items/ HTTP/1.1",
        "PATCH /api/v1/reviews/rv_1/comments/c_1 HTTP/1.0",
        "GET /api/v1/reviews/rv_1/revisions/2/files/x/../y HTTP/1.1",
        "OPTIONS /api/v1/jobs?limit=10&cursor=abc%3D HTTP/1.1",
        "GET /api/v1/workspaces/%ZZ HTTP/1.1",
        "GET /api/v1/workspaces?q=a+b&q=%2B HTTP/1.1"]):
    put("router", f"seed-{i:02d}", line)

# request_body: [route][body], the route byte the index in the list request_body_fuzz.cpp makes
# (every POST, PUT and PATCH, sorted by OpenAPI path, then method); a body made from each
# operation's schema, and bodies the server tests send.
body_routes = sorted((p, m.upper()) for p, item in OPENAPI["paths"].items() for m in item
                     if m in ("post", "put", "patch"))
index = {route: i for i, route in enumerate(body_routes)}
for i, (path, method) in enumerate(body_routes):
    content = OPENAPI["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    if "application/json" in content:
        data = json.dumps(instance(content["application/json"].get("schema", {}))).encode()
    elif "application/zip" in content:
        data = open(os.path.join(HERE, "problem_package", "zip-hello"), "rb").read()[1:]
    else:
        data = b"print(input())\n"
    put("request_body", f"op-{i:02d}", bytes([i]) + data)
twice = {"id": "twice", "title": "Twice", "statement": "Print twice the number.",
         "tags": {"level": 1, "topics": ["arithmetic"]},
         "limits": {"time_limit_s": 2, "memory_bytes": 128 << 20, "output_bytes": 4096},
         "starter_code": {"python": "n = int(input())\n"}, "groups": [{"name": "big", "points": 50}],
         "tests": [{"name": "sample", "input": "1\n", "expected_output": "2\n", "public": True},
                   {"name": "big/1", "group": "big", "input": "3\n", "expected_output": "6\n"}],
         "checker": {"kind": "tokens"}, "scoring": True,
         "assets": [{"path": "images/dot.png", "data": "iVBORw0K"}]}
for i, (route, data) in enumerate([
        (("/api/v1/problems", "POST"), twice),
        (("/api/v1/problems/{id}", "PUT"), twice),
        (("/api/v1/run", "POST"), {"language": "python", "files": {"main.py": "print(input())"},
                                   "stdin": "1\n", "time_limit_s": 2, "memory_limit_mb": 128}),
        (("/api/v1/workspaces/{id}/exec", "POST"),
         {"argv": ["python3", "-c", "print(1)"], "stdin": "", "time_limit_s": 5}),
        (("/api/v1/jobs/batch", "POST"), {"jobs": [{"language": "c",
                                                    "files": {"main.c": "int main(){}"}}]}),
        (("/api/v1/reviews/{id}/comments", "POST"),
         {"revision": 1, "path": "src/main.py", "start_line": 1, "side": "right", "body": "why?"}),
        (("/api/v1/me", "PATCH"), {"old_password": "fuzz-password-1", "new_password": "b" * 10}),
        (("/api/v1/orgs/{id}/quotas", "PUT"), {"org": {"max_workspaces": 10}}),
        (("/api/v1/workspaces", "POST"), {"name": "x", "image": "../etc"}),
        (("/api/v1/workspaces", "POST"), "{\"name\": [1, 2, {\"x\": \"\\ud800\"}]"),
        (("/api/v1/auth/login", "POST"), "not json")]):
    text = data if isinstance(data, str) else json.dumps(data)
    put("request_body", f"seed-{i:02d}", bytes([index[route]]) + text.encode())
