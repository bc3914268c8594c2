#!/usr/bin/python3
"""Events benchmark: how long a change takes from a write to a page's events channel.

Starts the real codeyard-server (one on SQLite; with --postgres, two replicas A and B on one
fresh PostgreSQL schema with one secret) and writes N files one at a time through
PUT /api/v1/workspaces/{id}/files on A, each timed from the start of the PUT until its
file.created event arrives on a /api/v1/events connection: on A itself, and on B. The baseline,
measured in the same run with the same client, is the PUT's own round trip (what the write
costs before anyone hears of it), so the ratio is the price of pushing over writing. The
poll interval (events.poll_interval_ms) bounds the added latency: about half of it on average
(writes start at random points of the interval, as independent users' would).

Run with Debian's python3 (it has python3-websockets):
  /usr/bin/python3 shells/harness/events_bench.py [--server build/bin/codeyard-server]
      [--writes 200] [--poll-ms 250] [--postgres postgres://user@host:port/db]
Progress goes to stderr, results to stdout (one line each, and --json for a document).
"""

import argparse
import asyncio
import json
import random
import secrets
import subprocess
import time
import uuid

from bench_lib import DEFAULT_SERVER, Server, events_channel, new_user, new_workspace, \
    percentile, progress_printer

progress = progress_printer("events-bench")


async def measure(writer, listener, token, ws_id, writes, tag, poll_ms):
    """Per write: (PUT round trip, PUT start to event arrival), in ms. Each write starts at a
    random point of the poll interval: back to back, writes would fall in step with the
    poller (each one just after a read) and always wait the whole interval."""
    arrived = {}
    ws = await events_channel(listener, token)
    try:
        async def reader():
            async for message in ws:
                doc = json.loads(message)
                if doc.get("type") == "file.created":
                    arrived[doc["path"]] = time.perf_counter()

        task = asyncio.create_task(reader())
        puts, latencies = [], []
        for i in range(writes):
            path = f"{tag}-{i}.txt"
            await asyncio.sleep(random.uniform(0, poll_ms / 1000))
            start = time.perf_counter()
            status, _ = await asyncio.to_thread(writer.call, "PUT",
                                                f"/workspaces/{ws_id}/files/{path}", token,
                                                raw=b"x")
            assert status in (200, 201), status
            puts.append((time.perf_counter() - start) * 1000)
            deadline = time.monotonic() + 10
            while path not in arrived:
                assert time.monotonic() < deadline, f"no event for {path}"
                await asyncio.sleep(0.001)
            latencies.append((arrived[path] - start) * 1000)
        task.cancel()
    finally:
        await ws.close()
    return puts, latencies


def report(results, name, puts, latencies):
    row = {
        "case": name,
        "put_p50_ms": round(percentile(puts, 50), 2),
        "event_p50_ms": round(percentile(latencies, 50), 2),
        "event_p95_ms": round(percentile(latencies, 95), 2),
        "ratio_p50": round(percentile(latencies, 50) / percentile(puts, 50), 1),
    }
    results.append(row)
    print(f"{name:<28} PUT p50 {row['put_p50_ms']:7.2f} ms   event p50 {row['event_p50_ms']:7.2f} ms"
          f"   p95 {row['event_p95_ms']:7.2f} ms   event/PUT {row['ratio_p50']:5.1f}x", flush=True)


def new_schema(uri):
    schema = "bench_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", uri, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    return f"{uri}{'&' if '?' in uri else '?'}options=-csearch_path%3D{schema}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--poll-ms", type=int, default=250)
    parser.add_argument("--postgres", help="a PostgreSQL server URI: adds two replicas on it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    secret = secrets.token_hex(32)
    extra = ["--set", f"events.poll_interval_ms={args.poll_ms}"]
    results = []

    def scenario(servers, cases):
        a = servers[0]
        token = new_user(a)
        ws = new_workspace(a, token)
        for name, listener in cases:
            progress(f"{name}: {args.writes} writes")
            puts, latencies = asyncio.run(
                measure(a, listener, token, ws, args.writes, uuid.uuid4().hex[:8], args.poll_ms))
            report(results, name, puts, latencies)

    progress("sqlite, one server")
    single = Server(args.server, extra, secret)
    try:
        scenario([single], [("sqlite same-server", single)])
    finally:
        single.stop()
    if args.postgres:
        storage = new_schema(args.postgres)
        progress("postgres, replicas A and B")
        a = Server(args.server, ["--storage", storage, *extra], secret, name="replica A")
        try:
            b = Server(args.server, ["--storage", storage, *extra], secret, name="replica B")
            try:
                scenario([a, b], [("postgres A->A", a), ("postgres A->B", b)])
            finally:
                b.stop()
        finally:
            a.stop()
    if args.json:
        print(json.dumps({"poll_interval_ms": args.poll_ms, "writes": args.writes,
                          "results": results}, indent=2))


if __name__ == "__main__":
    main()
