#!/usr/bin/python3
"""Preview relay and language-server benchmark (issue 17).

Starts the real codeyard-server on a free loopback port with a temporary data dir, and in the
same run a baseline with the same client, so the client's own cost cancels out of the ratio:

  relay  R fetches of a FILE_MB file served by `python3 -m http.server` in a workspace's pod,
         through /api/v1/workspaces/{id}/ports/{port}/ (the pod's init connects on the pod's
         loopback, the server relays), against R fetches of the same file from the same
         `python3 -m http.server` program run on the host's loopback (the direct fetch).
         Throughput (MB/s, median of the runs) of both and their ratio; also the latency of a
         small page (p50) both ways.
  lsp    K keystroke-like edits in a Python document over the language-server WebSocket: each
         turns a valid line into `def broken(:` and the time is from sending the didChange
         until the diagnostic for it arrives (p50/p95); baseline: the same exchange with pylsp
         run on the host over its stdio, from this process (no server, no sandbox).

Run with Debian's python3:
  /usr/bin/python3 shells/harness/preview_bench.py [--server build/bin/codeyard-server]
      [--runs 10] [--file-mb 8] [--edits 10]
Progress goes to stderr, results to stdout (one line each, and --json for a document).
"""

import argparse
import asyncio
import http.client
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

import websockets

from bench_lib import DEFAULT_SERVER, Server, free_port, new_user, new_workspace, percentile, \
    progress_printer, wait_until

progress = progress_printer("preview_bench")

DAEMON = ("import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True, "
          "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)")


def fetch(port, path, headers=None):
    """GET on 127.0.0.1:port; returns (status, body bytes, seconds)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, time.perf_counter() - start
    finally:
        conn.close()


def relay_bench(server, runs, file_mb):
    token = new_user(server)
    wid = new_workspace(server, token)
    payload = os.urandom(file_mb << 20)
    status, doc = server.call("PUT", f"/workspaces/{wid}/files/site/big.bin", token, raw=payload)
    assert status == 200, doc
    status, doc = server.call("PUT", f"/workspaces/{wid}/files/site/small.html", token,
                              raw=b"<h1>small</h1>")
    assert status == 200, doc
    status, doc = server.call("POST", f"/workspaces/{wid}/exec", token, {
        "argv": ["python3", "-c", DAEMON, "python3", "-m", "http.server", "8000", "--bind",
                 "127.0.0.1", "--directory", "site"]})
    assert status == 200 and doc["exit_code"] == 0, doc
    auth = {"Authorization": f"Bearer {token}"}
    prefix = f"/api/v1/workspaces/{wid}/ports/8000/"
    wait_until(lambda: fetch(server.port, prefix + "small.html", auth)[0] == 200, 30,
               "the pod's http.server did not answer")

    # The direct baseline: the same program and file on the host's loopback.
    site = tempfile.mkdtemp(prefix="preview-bench-")
    with open(os.path.join(site, "big.bin"), "wb") as f:
        f.write(payload)
    with open(os.path.join(site, "small.html"), "wb") as f:
        f.write(b"<h1>small</h1>")
    direct_port = free_port()
    direct = subprocess.Popen([sys.executable, "-m", "http.server", str(direct_port), "--bind",
                               "127.0.0.1", "--directory", site],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(direct_port), 30, "the host's http.server did not answer")
        result = {}
        for name, port, path, headers in (("relay", server.port, prefix, auth),
                                          ("direct", direct_port, "/", {})):
            rates, small = [], []
            for _ in range(runs):
                status, body, seconds = fetch(port, path + "big.bin", headers)
                assert status == 200 and body == payload, (name, status, len(body))
                rates.append(len(body) / seconds / 1e6)
                status, _, seconds = fetch(port, path + "small.html", headers)
                assert status == 200
                small.append(seconds * 1000)
            result[name] = {"mb_per_s": statistics.median(rates),
                            "small_p50_ms": percentile(small, 50)}
            progress(f"{name}: {result[name]}")
        result["throughput_ratio"] = result["relay"]["mb_per_s"] / result["direct"]["mb_per_s"]
        result["small_latency_ratio"] = (result["relay"]["small_p50_ms"] /
                                         result["direct"]["small_p50_ms"])
        return result
    finally:
        direct.terminate()
        direct.wait()


def _answers(port):
    try:
        return fetch(port, "/small.html")[0] == 200
    except OSError:
        return False


GOOD = "def fine():\n    return 1\n"
BAD = "def broken(:\n    return 1\n"


def is_error_diag(message, uri):
    if message.get("method") != "textDocument/publishDiagnostics":
        return None
    params = message["params"]
    if params["uri"] != uri:
        return None
    return any(d.get("severity") == 1 for d in params["diagnostics"])


async def lsp_remote(server, edits):
    token = new_user(server)
    wid = new_workspace(server, token)
    status, doc = server.call("POST", f"/workspaces/{wid}/start", token)
    assert status == 200, doc
    uri = "file:///workspace/bench.py"
    async with websockets.connect(server.url(f"/workspaces/{wid}/lsp?language=python"),
                                  open_timeout=30, ping_interval=None, max_size=None) as ws:
        await ws.send(json.dumps({"token": token}))

        async def send(message):
            await ws.send(json.dumps(message))

        async def until(match):
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if "id" in message and "method" in message:  # a server request: no settings
                    await send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                    continue
                if match(message):
                    return message

        return await _lsp_rounds(send, until, uri, edits)


async def _lsp_rounds(send, until, uri, edits):
    await send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": None, "rootUri": "file:///workspace", "capabilities": {}}})
    await until(lambda m: m.get("id") == 1)
    await send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    await send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": GOOD}}})
    await until(lambda m: is_error_diag(m, uri) is False)
    times, version = [], 1
    for _ in range(edits):
        for text, want in ((BAD, True), (GOOD, False)):
            version += 1
            start = time.perf_counter()
            await send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}]}})
            await until(lambda m, w=want: is_error_diag(m, uri) is w)
            if want:
                times.append((time.perf_counter() - start) * 1000)
    return times


async def lsp_direct(edits):
    proc = await asyncio.create_subprocess_exec("pylsp", stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL)
    buffer = b""

    async def send(message):
        body = json.dumps(message).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await proc.stdin.drain()

    async def until(match):
        nonlocal buffer
        while True:
            while b"\r\n\r\n" not in buffer:
                buffer += await asyncio.wait_for(proc.stdout.read(65536), 60)
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")][0])
            while len(rest) < length:
                rest += await asyncio.wait_for(proc.stdout.read(65536), 60)
            message, buffer = json.loads(rest[:length]), rest[length:]
            if "id" in message and "method" in message:
                await send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if match(message):
                return message

    try:
        return await _lsp_rounds(send, until, "file:///tmp/bench.py", edits)
    finally:
        proc.kill()
        await proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--file-mb", type=int, default=8)  # files.max_file_bytes: 10 MiB
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = Server(args.server)
    try:
        relay = relay_bench(server, args.runs, args.file_mb)
        remote = asyncio.run(lsp_remote(server, args.edits))
        direct = asyncio.run(lsp_direct(args.edits))
    finally:
        server.stop()
    lsp = {"codeyard_p50_ms": percentile(remote, 50), "codeyard_p95_ms": percentile(remote, 95),
           "direct_p50_ms": percentile(direct, 50), "direct_p95_ms": percentile(direct, 95)}
    lsp["p50_ratio"] = lsp["codeyard_p50_ms"] / lsp["direct_p50_ms"]
    if args.json:
        print(json.dumps({"relay": relay, "lsp": lsp}, indent=2))
    else:
        print(f"relay: {relay['relay']['mb_per_s']:.1f} MB/s vs direct "
              f"{relay['direct']['mb_per_s']:.1f} MB/s ({relay['throughput_ratio']:.2f}x); "
              f"small page p50 {relay['relay']['small_p50_ms']:.2f} ms vs "
              f"{relay['direct']['small_p50_ms']:.2f} ms ({relay['small_latency_ratio']:.1f}x)")
        print(f"lsp: first diagnostic after an edit p50 {lsp['codeyard_p50_ms']:.0f} ms, "
              f"p95 {lsp['codeyard_p95_ms']:.0f} ms; pylsp on the host p50 "
              f"{lsp['direct_p50_ms']:.0f} ms, p95 {lsp['direct_p95_ms']:.0f} ms "
              f"({lsp['p50_ratio']:.2f}x)")


if __name__ == "__main__":
    main()
