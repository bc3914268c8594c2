#!/usr/bin/python3
"""Terminal WebSocket benchmark: keystroke echo round trips and many idle terminals.

Starts the real codeyard-server on a free loopback port with a temporary data dir, and in the
same run two baselines that use the same Python websockets client, so the client's own cost
cancels out of the ratios:
  * "ws echo": a minimal websockets echo server in this process (the cost of any WebSocket
    round trip on this machine);
  * "pty echo": bash on a host pseudo-terminal read and written directly (the cost of the
    shell's own echo, with no server and no sandbox).

  echo   N keystrokes typed one at a time into a workspace's bash; each round trip is the
         time from sending the key until its echo arrives. p50/p99 for Codeyard and both
         baselines, and the ratios.
  attach A connections, one after another, to a workspace whose shell already runs and has
         nobody watching it: the time from the WebSocket connect to the running status (with
         the scrollback before it), p50/p95, against a baseline of a connect plus one round
         trip to the in-process websockets echo server. With pod sessions this is a new
         attachment to the pod's shell each time (the server lets go when the last viewer
         leaves); without, the server's own shell.
  idle   C concurrent terminal connections spread over W workspaces (viewers share a
         workspace's shell), left idle; prints the server's resident memory per connection,
         then checks every connection still answers a ping and sees a command typed in its
         workspace.

Run with Debian's python3 (it has python3-websockets):
  /usr/bin/python3 shells/harness/terminal_bench.py [--server build/bin/codeyard-server]
      [--keystrokes 1000] [--attaches 200] [--connections 1000] [--workspaces 10]
Progress goes to stderr, results to stdout (one line each, and --json for a document).
"""

import argparse
import asyncio
import json
import os
import pty
import resource
import select
import statistics
import sys
import time

import websockets

from bench_lib import DEFAULT_SERVER, Server, free_port, new_user, new_workspace, percentile, \
    progress_printer

progress = progress_printer("terminal-bench")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class TerminalServer(Server):
    """The server, with caps raised for `connections` viewers over `workspaces` workspaces."""

    def __init__(self, binary, workspaces, connections):
        viewers_per_workspace = -(-connections // workspaces) + 1
        super().__init__(binary, [
            "--set", f"workspace.max_running_total={max(32, workspaces)}",
            # The idle test's viewers of one workspace are over the default caps (16, 32) ...
            "--set", f"terminal.max_viewers_per_terminal={max(16, viewers_per_workspace)}",
            "--set", f"terminal.max_viewers_per_user={max(32, viewers_per_workspace)}",
            # ... and all come from 127.0.0.1.
            "--set", f"server.max_connections_per_ip={max(256, connections + 64)}",
            "--set", "log.level=warn"], startup_s=15)

    def user_with_workspace(self):
        token = new_user(self)
        return token, new_workspace(self, token)

    def terminal_url(self, workspace):
        return self.url(f"/workspaces/{workspace}/terminal")


# ---- a terminal connection -----------------------------------------------------------------

class Term:
    def __init__(self, ws):
        self.ws = ws
        self.output = bytearray()

    @classmethod
    async def open(cls, url, token, cols=200, rows=50):
        ws = await websockets.connect(url, max_size=None, ping_interval=None, open_timeout=60,
                                      close_timeout=5)
        await ws.send(json.dumps({"token": token, "cols": cols, "rows": rows}))
        term = cls(ws)
        while True:
            message = await asyncio.wait_for(ws.recv(), 60)
            if message[:1] == b"3" and json.loads(message[1:])["state"] == "running":
                return term
            if message[:1] == b"0":
                term.output += message[1:]

    async def until(self, needle, start, timeout=30):
        scanned = start
        deadline = time.monotonic() + timeout
        while self.output.find(needle, scanned) == -1:
            scanned = max(start, len(self.output) - len(needle) + 1)
            message = await asyncio.wait_for(self.ws.recv(), max(0.001, deadline - time.monotonic()))
            if message[:1] == b"0":
                self.output += message[1:]


async def wait_prompt(term):
    start = len(term.output)
    await term.ws.send(b"0echo ready_$((6*7))\r")
    await term.until(b"ready_42", start)


# ---- echo ----------------------------------------------------------------------------------

KEYS = b"abcdefghijklmnopqrstuvwxyz"


async def echo_codeyard(server, keystrokes):
    token, ws = server.user_with_workspace()
    term = await Term.open(server.terminal_url(ws), token)
    await wait_prompt(term)
    times = []
    for i in range(keystrokes):
        if i % 100 == 99:  # keep the line short: ctrl-U erases it
            await term.ws.send(b"0\x15")
            await asyncio.sleep(0.01)
        key = KEYS[i % len(KEYS):i % len(KEYS) + 1]
        start = len(term.output)
        t0 = time.perf_counter()
        await term.ws.send(b"0" + key)
        await term.until(key, start)
        times.append((time.perf_counter() - t0) * 1000)
    await term.ws.close()
    return times


async def echo_ws_baseline(keystrokes):
    async def handler(ws, *_):
        async for message in ws:
            await ws.send(b"0" + message[1:])

    port = free_port()
    async with websockets.serve(handler, "127.0.0.1", port, ping_interval=None):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/", ping_interval=None)
        times = []
        for i in range(keystrokes):
            t0 = time.perf_counter()
            await ws.send(b"0" + KEYS[i % len(KEYS):i % len(KEYS) + 1])
            await ws.recv()
            times.append((time.perf_counter() - t0) * 1000)
        await ws.close()
    return times


def echo_pty_baseline(keystrokes):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"],
                   {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "PS1": "$ "})
    try:
        def read_until(needle, timeout=10):
            buf = b""
            deadline = time.monotonic() + timeout
            while needle not in buf:
                ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
                if not ready:
                    raise RuntimeError("pty baseline: no echo")
                buf += os.read(fd, 65536)
            return buf

        os.write(fd, b"echo ready_$((6*7))\r")
        read_until(b"ready_42")
        times = []
        for i in range(keystrokes):
            if i % 100 == 99:
                os.write(fd, b"\x15")
                time.sleep(0.01)
                try:
                    while select.select([fd], [], [], 0)[0]:
                        os.read(fd, 65536)
                except OSError:
                    pass
            key = KEYS[i % len(KEYS):i % len(KEYS) + 1]
            t0 = time.perf_counter()
            os.write(fd, key)
            read_until(key)
            times.append((time.perf_counter() - t0) * 1000)
        return times
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def summary(times):
    return {"p50_ms": round(percentile(times, 50), 3), "p95_ms": round(percentile(times, 95), 3),
            "p99_ms": round(percentile(times, 99), 3), "mean_ms": round(statistics.mean(times), 3)}


# ---- attach to a running shell -------------------------------------------------------------

async def attach_codeyard(server, attaches):
    token, ws = server.user_with_workspace()
    first = await Term.open(server.terminal_url(ws), token)  # starts the pod and the shell
    await wait_prompt(first)
    await first.ws.close()
    times = []
    for _ in range(attaches):
        t0 = time.perf_counter()
        term = await Term.open(server.terminal_url(ws), token)
        times.append((time.perf_counter() - t0) * 1000)
        if b"ready_42" not in term.output:
            raise RuntimeError("an attach did not replay the scrollback before its status")
        await term.ws.close()
    return times


async def attach_ws_baseline(attaches):
    async def handler(ws, *_):
        async for message in ws:
            await ws.send(message)

    port = free_port()
    async with websockets.serve(handler, "127.0.0.1", port, max_size=None):
        times = []
        for _ in range(attaches):
            t0 = time.perf_counter()
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/", max_size=None,
                                          ping_interval=None, close_timeout=5)
            await ws.send(json.dumps({"token": "x", "cols": 200, "rows": 50}))
            await ws.recv()
            times.append((time.perf_counter() - t0) * 1000)
            await ws.close()
    return times


# ---- idle connections ----------------------------------------------------------------------

async def idle(server, connections, workspaces):
    owners = [server.user_with_workspace() for _ in range(workspaces)]
    # Start every workspace's shell first, then attach the rest in bounded batches.
    rss_before = None
    terms = []
    for token, ws in owners:
        terms.append((await Term.open(server.terminal_url(ws), token), token, ws))
    for t, _, _ in terms:
        await wait_prompt(t)
    rss_before = vm_rss_kib(server.proc.pid)
    progress(f"idle: {workspaces} shells running, server RSS {rss_before / 1024:.1f} MiB")
    batch = 50
    while len(terms) < connections:
        n = min(batch, connections - len(terms))
        group = [owners[(len(terms) + i) % workspaces] for i in range(n)]
        opened = await asyncio.gather(*(Term.open(server.terminal_url(ws), token) for token, ws in group))
        terms.extend((t, token, ws) for t, (token, ws) in zip(opened, group))
        if len(terms) % 200 == 0 or len(terms) == connections:
            progress(f"idle: {len(terms)}/{connections} connected")
    # Let the attaches' replies settle, then measure.
    await asyncio.sleep(1.0)
    rss_after = vm_rss_kib(server.proc.pid)
    per_conn_kib = (rss_after - rss_before) / max(1, connections - workspaces)

    # Every connection answers a ping.
    async def ping(t, i):
        payload = f"p{i}".encode()
        await t.ws.send(b"2" + payload)
        while True:
            message = await asyncio.wait_for(t.ws.recv(), 60)
            if message == b"2" + payload:
                return True
            if message[:1] == b"0":
                t.output += message[1:]

    pinged = await asyncio.gather(*(ping(t, i) for i, (t, _, _) in enumerate(terms)))

    # A command typed in each workspace reaches every viewer of it.
    starts = [len(t.output) for t, _, _ in terms]
    for index, (token, ws) in enumerate(owners):
        writer = next(t for t, _, w in terms if w == ws)
        await writer.ws.send(f"0echo seen_{index}_$((1+1))\r".encode())

    async def sees(i):
        t, _, ws = terms[i]
        index = [w for _, w in owners].index(ws)
        await t.until(f"seen_{index}_2".encode(), starts[i], timeout=60)
        return True

    seen = await asyncio.gather(*(sees(i) for i in range(len(terms))))
    await asyncio.gather(*(t.ws.close() for t, _, _ in terms))
    return {"connections": len(terms), "workspaces": workspaces,
            "rss_before_mib": round(rss_before / 1024, 1), "rss_after_mib": round(rss_after / 1024, 1),
            "kib_per_connection": round(per_conn_kib, 1), "answered_ping": sum(pinged),
            "saw_command": sum(seen)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--keystrokes", type=int, default=1000)
    parser.add_argument("--attaches", type=int, default=200)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.access(args.server, os.X_OK):
        print(f"terminal-bench: no server binary at {args.server}", file=sys.stderr)
        return 2
    if (args.keystrokes < 1 or args.attaches < 1 or args.connections < args.workspaces
            or args.workspaces < 1):
        print("terminal-bench: need keystrokes, attaches >= 1 and connections >= workspaces >= 1",
              file=sys.stderr)
        return 2
    # Each connection is a descriptor here and in the server (which inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * args.connections + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    server = TerminalServer(args.server, args.workspaces, args.connections)
    try:
        progress(f"echo: {args.keystrokes} keystrokes through codeyard-server")
        ours = asyncio.run(echo_codeyard(server, args.keystrokes))
        progress("echo: websockets echo baseline")
        ws_base = asyncio.run(echo_ws_baseline(args.keystrokes))
        progress("echo: host pty baseline")
        pty_base = echo_pty_baseline(args.keystrokes)
        echo = {"codeyard": summary(ours), "ws_echo": summary(ws_base), "pty_echo": summary(pty_base)}
        c, w, p = echo["codeyard"], echo["ws_echo"], echo["pty_echo"]
        print(f"echo {args.keystrokes} keystrokes: codeyard p50 {c['p50_ms']} ms p99 {c['p99_ms']} ms"
              f" | ws echo p50 {w['p50_ms']} ms p99 {w['p99_ms']} ms"
              f" | pty echo p50 {p['p50_ms']} ms p99 {p['p99_ms']} ms"
              f" | codeyard / (ws + pty) p50 {c['p50_ms'] / (w['p50_ms'] + p['p50_ms']):.2f}x")
        progress(f"attach: {args.attaches} attaches to a running shell")
        attach = {"codeyard": summary(asyncio.run(attach_codeyard(server, args.attaches))),
                  "ws_connect": summary(asyncio.run(attach_ws_baseline(args.attaches)))}
        a, b = attach["codeyard"], attach["ws_connect"]
        print(f"attach {args.attaches} times to a running shell: codeyard p50 {a['p50_ms']} ms "
              f"p95 {a['p95_ms']} ms | ws connect + round trip p50 {b['p50_ms']} ms p95 "
              f"{b['p95_ms']} ms | codeyard / ws p50 {a['p50_ms'] / b['p50_ms']:.1f}x "
              f"p95 {a['p95_ms'] / b['p95_ms']:.1f}x")
        progress(f"idle: {args.connections} connections over {args.workspaces} workspaces")
        idle_result = asyncio.run(idle(server, args.connections, args.workspaces))
        r = idle_result
        print(f"idle {r['connections']} terminals over {r['workspaces']} workspaces: server RSS "
              f"{r['rss_before_mib']} -> {r['rss_after_mib']} MiB ({r['kib_per_connection']} KiB per "
              f"connection); answered ping {r['answered_ping']}/{r['connections']}, saw a command "
              f"{r['saw_command']}/{r['connections']}")
        if args.json:
            print(json.dumps({"echo": echo, "attach": attach, "idle": idle_result}))
        ok = r["answered_ping"] == r["connections"] and r["saw_command"] == r["connections"]
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
