#!/usr/bin/python3
"""Language-server benchmark (issue 17): the first diagnostic after a keystroke.

Starts the real codeyard-server on a free loopback port with a temporary data dir, and in the
same run a baseline with the same client, so the client's own cost cancels out of the ratio:
K keystroke-like edits in a Python document over the language-server WebSocket, each turning a
valid line into `def broken(:`; the time is from sending the didChange until the diagnostic
for it arrives (p50/p95); baseline: the same exchange with pylsp run on the host over its stdio,
from this process (no server, no sandbox). The preview relay's benchmark is
`codeyard-bench preview` (shells/harness/cmd_preview.cpp).

Run with Debian's python3:
  /usr/bin/python3 shells/harness/lsp_bench.py [--server build/bin/codeyard-server] [--edits 10]
Progress goes to stderr, results to stdout (one line, or --json for a document).
"""

import argparse
import asyncio
import json
import subprocess
import time

import websockets

from bench_lib import DEFAULT_SERVER, Server, new_user, new_workspace, percentile

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
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = Server(args.server)
    try:
        remote = asyncio.run(lsp_remote(server, args.edits))
        direct = asyncio.run(lsp_direct(args.edits))
    finally:
        server.stop()
    lsp = {"codeyard_p50_ms": percentile(remote, 50), "codeyard_p95_ms": percentile(remote, 95),
           "direct_p50_ms": percentile(direct, 50), "direct_p95_ms": percentile(direct, 95)}
    lsp["p50_ratio"] = lsp["codeyard_p50_ms"] / lsp["direct_p50_ms"]
    if args.json:
        print(json.dumps({"lsp": lsp}, indent=2))
    else:
        print(f"lsp: first diagnostic after an edit p50 {lsp['codeyard_p50_ms']:.0f} ms, "
              f"p95 {lsp['codeyard_p95_ms']:.0f} ms; pylsp on the host p50 "
              f"{lsp['direct_p50_ms']:.0f} ms, p95 {lsp['direct_p95_ms']:.0f} ms "
              f"({lsp['p50_ratio']:.2f}x)")


if __name__ == "__main__":
    main()
