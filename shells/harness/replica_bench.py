#!/usr/bin/python3
"""Replica benchmark (issue 14): what sharing one database between server processes costs
and how fast a replica's work moves to another. Everything is measured in one run, and each
number is printed beside the baseline it is compared with:

  rate      authenticated file reads per second (wrk, 2 threads, 16 connections) against one
            replica, then against two replicas at once (two wrk, 8 connections each, summed);
            ratio two/one.
  takeover  two workspaces run through replica A, one with a file written in its pod after
            A's last sync; A is killed with SIGKILL. The time until B serves the other (an
            exec answers: B uses the pod at once) and until the unsynced file is in storage
            with nobody asking B for that workspace (B's reaper takes the expired lease over);
            p50/max over N rounds, the latter as a ratio to the lease time.
  events    a file written through A's API, the time until its event reaches a client of
            /api/v1/events connected to B; baseline: the same event on a client of A.
            p50/p95 and the ratio B/A.

Starts a throwaway PostgreSQL (as the postgres user when run as root) unless --storage gives
a postgres:// URI. Progress goes to stderr, results to stdout (--json for one document).
  /usr/bin/python3 shells/harness/replica_bench.py [--server build/bin/codeyard-server]
      [--seconds 10] [--rounds 5] [--events 200] [--lease 5]
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time

from bench_lib import API, DEFAULT_SERVER, Server, events_channel, free_port, new_user, \
    new_workspace, percentile, progress_printer, wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"
progress = progress_printer("replica-bench")


class Postgres:
    """A throwaway PostgreSQL 15 on loopback (fsync off), removed at stop()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="codeyard-replica-bench-pg-")
        os.chmod(self.dir, 0o755)
        as_owner = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            as_owner = ["runuser", "-u", "postgres", "--"]
        self.as_owner = as_owner
        port = free_port()
        subprocess.run(as_owner + [f"{PG_BIN}/initdb", "-D", f"{self.dir}/data", "-A", "trust",
                                   "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, capture_output=True)
        subprocess.run(as_owner + [f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-l",
                                   f"{self.dir}/server.log", "-w", "-t", "60", "-o",
                                   f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                                   "-c fsync=off -c synchronous_commit=off "
                                   "-c max_connections=200", "start"],
                       check=True, capture_output=True)
        self.uri = f"postgres://postgres@127.0.0.1:{port}/postgres"

    def stop(self):
        subprocess.run(self.as_owner + [f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-m",
                                        "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    def __init__(self, binary, storage, lease_s):
        self.binary = binary
        self.storage = storage
        self.lease_s = lease_s
        self.secret = secrets.token_hex(32)
        self.dir = tempfile.mkdtemp(prefix="codeyard-replica-bench-")
        self.data = os.path.join(self.dir, "data")

    def start(self, name):
        """Replica `name`, sharing the data dir, the database and the secret with the others."""
        return Server(self.binary, ["--storage", self.storage,
                                    "--set", f"server.replica_id={name}",
                                    "--set", f"workspace.lease_s={self.lease_s}",
                                    "--set", "executor.pool_size=0", "--set", "log.level=warn"],
                      secret=self.secret, data_dir=self.data,
                      log_path=os.path.join(self.dir, f"{name}.log"), name=f"replica {name}")

    def pod_file(self, workspace_id, path):
        """Where a file of the workspace's running pod is seen from the host: through its
        init's /proc root (the pod's /workspace is a tmpfs of its own mount namespace), so
        the bench can wait for a file written in the pod without a sync storing it."""
        pods = os.path.join(self.data, "pods")
        for pod in os.listdir(pods):
            try:
                with open(os.path.join(pods, pod, "pod.json")) as f:
                    record = json.load(f)
            except (OSError, ValueError):
                continue
            if record.get("labels", {}).get("codeyard.dev/workspace") == workspace_id:
                return f"/proc/{record['init_pid']}/root/workspace/{path}"
        raise RuntimeError(f"no pod record for workspace {workspace_id} under {pods}")

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(port, path, token, connections, seconds):
    out = subprocess.run(
        ["wrk", "-t", "2" if connections >= 2 else "1", "-c", str(connections), "-d",
         f"{seconds}s", "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"],
        check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def bench_rate(cluster, seconds):
    a, b = cluster.start("a"), cluster.start("b")
    try:
        token = new_user(a)
        ws = new_workspace(a, token)
        status, _ = a.call("PUT", f"/workspaces/{ws}/files/hello.txt", token, raw=b"hello\n")
        assert status in (200, 201), status
        path = f"{API}/workspaces/{ws}/files/hello.txt"
        progress(f"rate: one replica, {seconds} s")
        one = wrk(a.port, path, token, 16, seconds)
        progress(f"rate: two replicas, {seconds} s")
        procs = [subprocess.Popen(
            ["wrk", "-t", "1", "-c", "8", "-d", f"{seconds}s", "-H",
             f"Authorization: Bearer {token}", f"http://127.0.0.1:{replica.port}{path}"],
            stdout=subprocess.PIPE, text=True) for replica in (a, b)]
        two = 0.0
        for p in procs:
            out, _ = p.communicate()
            if "Non-2xx" in out or "Socket errors" in out:
                raise RuntimeError(f"wrk saw errors:\n{out}")
            two += float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
        return {"one_replica_rps": round(one), "two_replicas_rps": round(two),
                "ratio": round(two / one, 2)}
    finally:
        a.stop()
        b.stop()


def bench_takeover(cluster, rounds):
    served, rescued = [], []
    b = cluster.start("b")
    try:
        for i in range(rounds):
            token = new_user(b)  # each round's two pods within the per-user running limit
            a = cluster.start(f"a{i}")
            used, idle = new_workspace(a, token), new_workspace(a, token)
            for ws in (used, idle):
                status, doc = a.call("POST", f"/workspaces/{ws}/start", token)
                assert status == 200, doc
            # A file written in the idle workspace's pod after a's last sync pass: only a
            # takeover stores it, and nobody asks for that workspace through b.
            status, doc = a.call("POST", f"/workspaces/{idle}/exec", token, {"argv": [
                "sh", "-c", "setsid sh -c 'sleep 0.5; echo late > late.txt' "
                "</dev/null >/dev/null 2>&1 &"]})
            assert status == 200, doc
            late = cluster.pod_file(idle, "late.txt")
            wait_until(lambda: os.path.exists(late), 30, "late.txt was not written in the pod")
            a.kill9()
            t0 = time.monotonic()
            patience = 10 * cluster.lease_s + 60
            wait_until(lambda: b.call("POST", f"/workspaces/{used}/exec", token,
                                      {"argv": ["true"]})[0] == 200,
                       patience, "the dead replica's asked workspace was not served", 0.02)
            served.append(time.monotonic() - t0)
            wait_until(lambda: b.call("GET", f"/workspaces/{idle}/files/late.txt", token)[0] == 200,
                       patience - (time.monotonic() - t0),
                       "the dead replica's workspace was not taken over")
            rescued.append(time.monotonic() - t0)
            progress(f"takeover {i + 1}/{rounds}: served after {served[-1]:.2f} s, "
                     f"unsynced file stored after {rescued[-1]:.2f} s")
    finally:
        b.stop()
    return {"lease_s": cluster.lease_s,
            "served_p50_s": round(statistics.median(served), 3),
            "stored_p50_s": round(statistics.median(rescued), 3),
            "stored_max_s": round(max(rescued), 3),
            "stored_p50_over_lease": round(statistics.median(rescued) / cluster.lease_s, 2)}


async def event_latencies(a, b, token, ws, count):
    on_a, on_b = await events_channel(a, token), await events_channel(b, token)
    lat_a, lat_b = [], []

    async def wait_for(sock, path):
        while True:
            event = json.loads(await asyncio.wait_for(sock.recv(), 30))
            if event.get("path") == path:
                return time.perf_counter()

    for i in range(count):
        path = f"e{i}.txt"
        t0 = time.perf_counter()
        waits = asyncio.gather(wait_for(on_a, path), wait_for(on_b, path))
        status, _ = await asyncio.to_thread(a.call, "PUT", f"/workspaces/{ws}/files/{path}",
                                            token, raw=b"x")
        assert status in (200, 201), status
        got_a, got_b = await waits
        lat_a.append((got_a - t0) * 1000)
        lat_b.append((got_b - t0) * 1000)
    await on_a.close()
    await on_b.close()
    return lat_a, lat_b


def bench_events(cluster, count):
    a, b = cluster.start("a"), cluster.start("b")
    try:
        token = new_user(a)
        ws = new_workspace(a, token)
        progress(f"events: {count} writes through a")
        lat_a, lat_b = asyncio.run(event_latencies(a, b, token, ws, count))
    finally:
        a.stop()
        b.stop()
    return {"same_replica_p50_ms": round(statistics.median(lat_a), 1),
            "same_replica_p95_ms": round(percentile(lat_a, 95), 1),
            "other_replica_p50_ms": round(statistics.median(lat_b), 1),
            "other_replica_p95_ms": round(percentile(lat_b, 95), 1),
            "p50_ratio": round(statistics.median(lat_b) / statistics.median(lat_a), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--storage", help="a postgres:// URI; default: a throwaway server")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--lease", type=int, default=5)
    parser.add_argument("--only", choices=["rate", "takeover", "events"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    pg = None if args.storage else Postgres()
    results = {}
    try:
        storage = args.storage or pg.uri
        for name, run in (("rate", lambda c: bench_rate(c, args.seconds)),
                          ("takeover", lambda c: bench_takeover(c, args.rounds)),
                          ("events", lambda c: bench_events(c, args.events))):
            if args.only and args.only != name:
                continue
            cluster = Cluster(args.server, storage, args.lease)
            try:
                results[name] = run(cluster)
            finally:
                cluster.remove()
    finally:
        if pg:
            pg.stop()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, doc in results.items():
            print(name + ": " + ", ".join(f"{k}={v}" for k, v in doc.items()))


if __name__ == "__main__":
    main()
