#!/usr/bin/python3
"""Job queue benchmark (issue 16): --jobs Python hello-world jobs through the HTTP API with
--clients concurrent clients, against bare `python3` runs at the same concurrency, measured
in the same run on the same machine.

1. Baseline: --jobs runs of `/usr/bin/python3 -c "print('hello')"` (the interpreter the sandbox runs) as plain subprocesses, --clients at
   a time: throughput (runs/s). No sandbox, no server, no storage.
2. Saturated: --clients clients each loop POST /api/v1/jobs then GET /api/v1/jobs/{id}?wait=30
   until --jobs jobs are done: throughput (jobs/s) and its ratio to the baseline (issue 16's
   goal: at least 0.7), the queue wait (started_at - created_at of each job) p50/p95 and the
   end-to-end time (submit to answer) p50/p95.
3. Not saturated: one client, --light jobs one after the other: end-to-end p50/p95 (goal:
   p95 under 150 ms) and, the same way, POST /api/v1/run (the one-call path).

Run with Debian's python3, on SQLite:
  /usr/bin/python3 shells/harness/jobs_bench.py [--server build/bin/codeyard-server]
      [--jobs 1000] [--clients 16] [--light 50] [--workers 2] [--pool 2]
Progress goes to stderr, results to stdout (one line each, and --json for a document).
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lib import DEFAULT_SERVER, Server, new_user, percentile, progress_printer  # noqa: E402

progress = progress_printer("jobs-bench")
HELLO = {"language": "python", "files": {"main.py": "print('hello')\n"}}


def baseline(jobs, clients):
    def one(_):
        out = subprocess.run(["/usr/bin/python3", "-c", "print('hello')"], capture_output=True, check=True)
        assert out.stdout == b"hello\n"
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(jobs)))
    return jobs / (time.perf_counter() - started)


def job_round_trip(server, token):
    """Submits one job and waits for it; returns (end-to-end s, queue wait s)."""
    started = time.perf_counter()
    status, doc = server.call("POST", "/jobs", token, HELLO)
    assert status == 202, doc
    while True:
        status, job = server.call("GET", f"/jobs/{doc['id']}?wait=30", token)
        assert status == 200, job
        if job["state"] == "done":
            break
    elapsed = time.perf_counter() - started
    assert job["verdict"] == "ok" and job["stdout"] == "hello\n", job
    return elapsed, (job["started_at"] - job["created_at"]) / 1000.0


def run_round_trip(server, token):
    started = time.perf_counter()
    status, doc = server.call("POST", "/run", token, HELLO)
    assert status == 200 and doc["stdout"] == "hello\n", doc
    return time.perf_counter() - started


def saturated(server, jobs, clients, tokens=None):
    # Registering hashes a password (Argon2, ~0.1-0.3 s of CPU each): done before the clock
    # starts, since it is not what the throughput measures.
    tokens = tokens or [new_user(server) for _ in range(clients)]
    lock = threading.Lock()
    left = [jobs]
    e2e, waits = [], []

    def client(token):
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            elapsed, wait = job_round_trip(server, token)
            with lock:
                e2e.append(elapsed)
                waits.append(wait)
                if len(e2e) % 100 == 0:
                    progress(f"{len(e2e)} jobs done")

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, tokens))
    return jobs / (time.perf_counter() - started), e2e, waits


def ms(seconds):
    return round(seconds * 1000, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default=DEFAULT_SERVER)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--light", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2, help="jobs.workers")
    ap.add_argument("--pool", type=int, default=2, help="executor.pool_size")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    progress(f"baseline: {args.jobs} bare python3 runs, {args.clients} at a time")
    base = baseline(args.jobs, args.clients)
    settings = ["--set", f"jobs.workers={args.workers}", "--set", f"executor.pool_size={args.pool}",
                "--set", "limits.jobs_per_minute=0", "--set", "limits.jobs_per_day=0",
                "--set", "jobs.max_queue_depth=100000", "--set", "log.level=warn"]
    server = Server(args.server, settings, name="codeyard-server")
    try:
        token = new_user(server)
        job_round_trip(server, token)  # the pool is warm, the first pod start is paid
        tokens = [new_user(server) for _ in range(args.clients)]
        progress(f"saturated: {args.jobs} jobs, {args.clients} clients")
        rate, e2e, waits = saturated(server, args.jobs, args.clients, tokens)
        progress(f"not saturated: {args.light} jobs and {args.light} runs, one client")
        light_jobs = [job_round_trip(server, token)[0] for _ in range(args.light)]
        light_runs = [run_round_trip(server, token) for _ in range(args.light)]
        status, stats = server.call("GET", "/queue/stats", token)
        assert status == 200, stats
    finally:
        server.stop()

    results = {
        "jobs": args.jobs, "clients": args.clients, "workers": args.workers, "pool": args.pool,
        "baseline_runs_per_s": round(base, 1),
        "jobs_per_s": round(rate, 1),
        "throughput_ratio": round(rate / base, 3),
        "queue_wait_p50_ms": ms(percentile(waits, 50)),
        "queue_wait_p95_ms": ms(percentile(waits, 95)),
        "e2e_p50_ms": ms(percentile(e2e, 50)),
        "e2e_p95_ms": ms(percentile(e2e, 95)),
        "light_job_p50_ms": ms(percentile(light_jobs, 50)),
        "light_job_p95_ms": ms(percentile(light_jobs, 95)),
        "light_run_p50_ms": ms(percentile(light_runs, 50)),
        "light_run_p95_ms": ms(percentile(light_runs, 95)),
        "server_wait_p50_ms": stats["wait_p50_ms"],
        "server_wait_p95_ms": stats["wait_p95_ms"],
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key} {value}")


if __name__ == "__main__":
    main()
