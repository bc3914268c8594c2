#!/usr/bin/python3
"""Reviews benchmark (issue 15): what submitting, queueing and notifying cost, each against a
baseline measured in the same run on the same server.

1. Submit: a workspace of --files files (--file-bytes each) is written once through
   PUT /api/v1/workspaces/{id}/files (the baseline: time, and bytes the server process wrote,
   /proc/<pid>/io wchar, which counts SQLite's WAL and database writes), then submitted with
   POST /api/v1/reviews. A revision is a manifest naming content blobs, so the submission
   should write a small fraction of the files' bytes.
2. Queue: --reviews pending reviews (of several authors, mixed priorities) and, for the
   baseline, one user with as many workspaces. Then the p50 of GET /api/v1/reviews?role=queue
   (first page, and a page --deep pages in through next_cursor) against the p50 of
   GET /api/v1/workspaces (first page and as deep), both ?limit=50: the same keyset paging
   over a table of the same size, the queue adding its eligibility filter, its
   priority-then-age order and the authors' names.
3. Notification latency: from the start of POST /reviews/{id}/decision until the author's
   /api/v1/events connection receives the `notification`, against a file event's latency in
   the same run on the same connection (PUT of a file until its `file.created`). Each action
   starts at a random point of the poll interval, as independent users' would.

Run with Debian's python3 (it has python3-websockets), on SQLite:
  /usr/bin/python3 shells/harness/reviews_bench.py [--server build/bin/codeyard-server]
      [--files 1000] [--file-bytes 4096] [--reviews 10000] [--latency 50] [--poll-ms 250]
Progress goes to stderr, results to stdout (one line each, and --json for a document).
"""

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lib import (DEFAULT_SERVER, Server, events_channel, new_user,  # noqa: E402
                       percentile, progress_printer)

progress = progress_printer("reviews-bench")


def written(server):
    """Bytes the server process has passed to write() so far (/proc/<pid>/io wchar)."""
    with open(f"/proc/{server.proc.pid}/io") as f:
        fields = dict(line.split(": ") for line in f.read().splitlines())
    return int(fields["wchar"])


def user(server, level=0):
    token = new_user(server)
    if level:
        status, doc = server.call("PATCH", "/me", token, {"reviewer_level": level})
        assert status == 200, doc
    return token


def workspace(server, token, name=None):
    status, ws = server.call("POST", "/workspaces", token,
                             {"name": name or "ws-" + uuid.uuid4().hex[:10]})
    assert status == 201, ws
    return ws["id"]


def put(server, token, ws, path, content):
    status, doc = server.call("PUT", f"/workspaces/{ws}/files/{path}", token, raw=content)
    assert status == 200, doc


def submit(server, token, ws, priority="normal", level=1):
    status, review = server.call("POST", "/reviews", token, {
        "workspace_id": ws, "title": "bench", "priority": priority, "required_level": level})
    assert status == 201, review
    return review


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - start) * 1000, out


def bench_submit(server, results, files, file_bytes):
    author = user(server)
    ws = workspace(server, author)
    blobs = [os.urandom(file_bytes // 2).hex().encode()[:file_bytes] for _ in range(files)]
    progress(f"submit: writing {files} files of {file_bytes} bytes")
    before = written(server)
    start = time.perf_counter()
    for i, content in enumerate(blobs):
        put(server, author, ws, f"src/pkg{i // 100}/file{i}.txt", content)
    write_ms = (time.perf_counter() - start) * 1000
    write_bytes = written(server) - before
    progress("submit: POST /reviews")
    before = written(server)
    submit_ms, review = timed(submit, server, author, ws)
    submit_bytes = written(server) - before
    # The second revision after changing one file in a hundred: what a resubmission costs.
    reviewer = user(server, 1)
    status, doc = server.call("POST", f"/reviews/{review['id']}/claim", reviewer)
    assert status == 200, doc
    status, doc = server.call("POST", f"/reviews/{review['id']}/decision", reviewer,
                              {"decision": "request_changes", "message": "m"})
    assert status == 200, doc
    for i in range(0, files, 100):
        put(server, author, ws, f"src/pkg{i // 100}/file{i}.txt", b"changed\n")
    before = written(server)
    resubmit_ms, doc = timed(server.call, "POST", f"/reviews/{review['id']}/resubmit", author)
    resubmit_bytes = written(server) - before
    assert doc[0] == 200, doc
    row = {"case": "submit", "files": files, "file_bytes": file_bytes,
           "write_ms": round(write_ms, 1), "write_bytes": write_bytes,
           "submit_ms": round(submit_ms, 1), "submit_bytes": submit_bytes,
           "resubmit_ms": round(resubmit_ms, 1), "resubmit_bytes": resubmit_bytes,
           "time_ratio": round(submit_ms / write_ms, 4),
           "bytes_ratio": round(submit_bytes / write_bytes, 4)}
    results.append(row)
    print(f"submit {files} files: write once {write_ms:8.1f} ms {write_bytes / 1e6:7.2f} MB   "
          f"submit {submit_ms:7.1f} ms {submit_bytes / 1e6:6.2f} MB   "
          f"submit/write time {row['time_ratio']:.4f}x bytes {row['bytes_ratio']:.4f}x   "
          f"resubmit (1% changed) {resubmit_ms:6.1f} ms {resubmit_bytes / 1e6:5.2f} MB",
          flush=True)


def fill(n, make, threads=4):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(make, i) for i in range(n)]:
            future.result()


def page_times(server, token, path, deep, samples):
    """p50 of the first page and of the page `deep` pages in (its cursor found once)."""
    cursor = None
    for _ in range(deep):
        status, page = server.call("GET", path + (f"&cursor={cursor}" if cursor else ""), token)
        assert status == 200, page
        cursor = page["next_cursor"]
        assert cursor, "fewer pages than --deep"
    deep_path = f"{path}&cursor={cursor}"
    first, deep_times = [], []
    for _ in range(samples):
        ms, (status, page) = timed(server.call, "GET", path, token)
        assert status == 200 and len(page["items"]) == 50, page
        first.append(ms)
        ms, (status, page) = timed(server.call, "GET", deep_path, token)
        assert status == 200 and page["items"], page
        deep_times.append(ms)
    return percentile(first, 50), percentile(deep_times, 50)


def bench_queue(server, results, reviews, deep, samples):
    reviewer = user(server, 4)
    authors = [user(server) for _ in range(20)]
    spaces = [workspace(server, a) for a in authors]
    for a, ws in zip(authors, spaces):
        put(server, a, ws, "main.py", b"print('hello')\n")
    priorities = ["low", "normal", "high", "urgent"]
    progress(f"queue: submitting {reviews} reviews")
    fill(reviews, lambda i: submit(server, authors[i % 20], spaces[i % 20],
                                   priorities[i % 4], 1 + i % 4))
    owner = user(server)
    progress(f"queue: baseline, {reviews} workspaces of one user")
    fill(reviews, lambda i: workspace(server, owner, f"w{i:06d}"))
    progress(f"queue: {samples} samples of each page")
    q_first, q_deep = page_times(server, reviewer, "/reviews?role=queue&limit=50", deep, samples)
    w_first, w_deep = page_times(server, owner, "/workspaces?limit=50", deep, samples)
    row = {"case": "queue", "reviews": reviews, "deep_pages": deep,
           "queue_first_p50_ms": round(q_first, 2), "queue_deep_p50_ms": round(q_deep, 2),
           "workspaces_first_p50_ms": round(w_first, 2),
           "workspaces_deep_p50_ms": round(w_deep, 2),
           "first_ratio": round(q_first / w_first, 2), "deep_ratio": round(q_deep / w_deep, 2)}
    results.append(row)
    print(f"queue of {reviews}: first page p50 {q_first:6.2f} ms (workspaces {w_first:6.2f} ms, "
          f"{row['first_ratio']:.2f}x)   page {deep + 1} p50 {q_deep:6.2f} ms (workspaces "
          f"{w_deep:6.2f} ms, {row['deep_ratio']:.2f}x)", flush=True)


async def latencies(server, n, poll_ms):
    author = user(server)
    reviewer = user(server, 4)
    ws = workspace(server, author)
    put(server, author, ws, "main.py", b"print(1)\n")
    ids = []
    for _ in range(n):
        review = submit(server, author, ws)
        status, doc = server.call("POST", f"/reviews/{review['id']}/claim", reviewer)
        assert status == 200, doc
        ids.append(review["id"])
    arrived = {}
    conn = await events_channel(server, author)
    try:
        async def reader():
            async for message in conn:
                doc = json.loads(message)
                if doc.get("type") == "notification" and doc.get("action") == "decided":
                    arrived[doc["review_id"]] = time.perf_counter()
                elif doc.get("type") == "file.created":
                    arrived[doc["path"]] = time.perf_counter()

        task = asyncio.create_task(reader())

        async def one(key, call):
            await asyncio.sleep(random.uniform(0, poll_ms / 1000))
            start = time.perf_counter()
            status, doc = await asyncio.to_thread(call)
            assert status == 200, doc
            deadline = time.monotonic() + 10
            while key not in arrived:
                assert time.monotonic() < deadline, f"no event for {key}"
                await asyncio.sleep(0.001)
            return (arrived[key] - start) * 1000

        decisions, files = [], []
        for i, rid in enumerate(ids):
            decisions.append(await one(rid, lambda rid=rid: server.call(
                "POST", f"/reviews/{rid}/decision", reviewer, {"decision": "approve"})))
            path = f"lat-{i}.txt"
            files.append(await one(path, lambda path=path: server.call(
                "PUT", f"/workspaces/{ws}/files/{path}", author, raw=b"x")))
        task.cancel()
    finally:
        await conn.close()
    return decisions, files


def bench_latency(server, results, n, poll_ms):
    progress(f"latency: {n} decisions and {n} file writes")
    decisions, files = asyncio.run(latencies(server, n, poll_ms))
    row = {"case": "notification latency", "samples": n,
           "decision_p50_ms": round(percentile(decisions, 50), 1),
           "decision_p95_ms": round(percentile(decisions, 95), 1),
           "file_p50_ms": round(percentile(files, 50), 1),
           "file_p95_ms": round(percentile(files, 95), 1)}
    row["ratio_p50"] = round(row["decision_p50_ms"] / row["file_p50_ms"], 2)
    results.append(row)
    print(f"decision -> author's notification p50 {row['decision_p50_ms']:6.1f} ms "
          f"p95 {row['decision_p95_ms']:6.1f} ms   file write -> file.created p50 "
          f"{row['file_p50_ms']:6.1f} ms p95 {row['file_p95_ms']:6.1f} ms   "
          f"{row['ratio_p50']:.2f}x", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-bytes", type=int, default=4096)
    parser.add_argument("--reviews", type=int, default=10000)
    parser.add_argument("--deep", type=int, default=20, help="pages in for the deep page")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--latency", type=int, default=50, help="decisions (and file writes)")
    parser.add_argument("--poll-ms", type=int, default=250)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    server = Server(args.server, [
        "--set", "executor.pool_size=0", "--set", f"events.poll_interval_ms={args.poll_ms}",
        "--set", f"workspace.max_per_user={max(100, args.reviews + 10)}",
        "--set", "workspace.creates_per_minute=0", "--set", "auth.registrations_per_address=0"])
    try:
        bench_submit(server, results, args.files, args.file_bytes)
        bench_latency(server, results, args.latency, args.poll_ms)
        bench_queue(server, results, args.reviews, args.deep, args.samples)
    finally:
        server.stop()
    if args.json:
        print(json.dumps({"poll_interval_ms": args.poll_ms, "results": results}, indent=2))


if __name__ == "__main__":
    main()
