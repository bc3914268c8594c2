#!/usr/bin/python3
"""The soak under load (issue 21): two codeyard-server replicas on one PostgreSQL, for N
minutes, with idle and typing terminals, a paced mix of file and workspace calls and the job
queue kept full. `./scripts/soak` starts the PostgreSQL and runs this; see
docs/reliability.md "Soak under load".

It fails (exit 1) on any error other than the documented 429/503, on an RSS or descriptor
growth of a server past its bound over the second half of the run (the least-squares line's
rise, never one snapshot), on a job not done exactly once, and on a pod left behind once the
load stops. Progress goes to stderr every ~10 s; the figures to stdout (--json for a file).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "shells", "harness"))
sys.path.insert(0, HERE)

from bench_lib import Server, new_user, new_workspace, wait_until  # noqa: E402
from soak_http import http_load  # noqa: E402
from soak_stats import fit_rise, route_table  # noqa: E402
from soak_terminals import Terminals  # noqa: E402


def log(message):
    print(f"soak: {message}", file=sys.stderr, flush=True)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pod_processes(run_dir):
    """Live processes whose working directory is `run_dir`: the servers run there, so their
    pods' inits inherit it (and keep it when they outlive their server)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            if os.readlink(f"/proc/{pid}/cwd") == run_dir:
                count += 1
        except OSError:
            continue
    return count


def server_args(opts, name):
    """The limits raised for the soak (docs/reliability.md lists them and why)."""
    terminals = opts.workspaces * 4
    return [
        "--storage", opts.storage, "--set", f"server.replica_id={name}",
        "--set", "log.level=warn",
        # An interrupted soak's workspace pods (handed off at the servers' stop) end soon.
        "--set", "workspace.pod_orphan_timeout_s=60",
        # One user per terminal workspace, each running one pod with 4 shells.
        "--set", f"workspace.max_running_total={opts.workspaces + 8}",
        "--set", f"workspace.memory_capacity_bytes={256 << 30}",
        # Idle viewers spread over every shell: a few per shell, many per user.
        "--set", f"terminal.max_viewers_per_terminal={max(16, -(-opts.idle // terminals) + 4)}",
        "--set", f"terminal.max_viewers_per_user={max(32, -(-opts.idle // opts.workspaces) + 8)}",
        # Every client is 127.0.0.1.
        "--set", f"server.max_connections_per_ip={opts.idle + opts.active + 512}",
        "--set", f"auth.registrations_per_address={opts.workspaces + 64}",
        # The queue is kept full: its depth is the bound, not the per-user rate.
        "--set", f"jobs.max_queue_depth={opts.queue_depth}",
        "--set", "limits.jobs_per_minute=0",
        "--set", "limits.jobs_per_day=0",
        "--set", "jobs.workers=1",
        "--set", "executor.pool_size=1",
    ]


class Cluster:
    def __init__(self, opts):
        self.dir = tempfile.mkdtemp(prefix="codeyard-soak-")
        self.data = os.path.join(self.dir, "data")
        secret = secrets.token_hex(32)
        os.chdir(self.dir)  # see pod_processes()
        self.servers = []
        for name in ("a", "b"):
            self.servers.append(Server(opts.server, server_args(opts, name), secret=secret,
                                       data_dir=self.data, name=name,
                                       log_path=os.path.join(self.dir, f"{name}.log")))

    def pod_dirs(self):
        state = os.path.join(self.data, "pods")
        if not os.path.isdir(state):
            return []
        return sorted(p for p in os.listdir(state)
                      if not p.startswith(".") and os.path.isdir(os.path.join(state, p)))

    def log_levels(self):
        """The servers' error lines, and their warnings counted by message."""
        errors, warnings = [], {}
        for s in self.servers:
            with open(s.log_path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    try:
                        doc = json.loads(line)
                    except ValueError:
                        continue
                    if doc.get("level") == "error":
                        errors.append(f"{s.name}: {line.strip()}")
                    elif doc.get("level") == "warn":
                        msg = doc.get("msg", "")
                        warnings[msg] = warnings.get(msg, 0) + 1
        return errors, warnings

    def logs_tail(self):
        out = []
        for s in self.servers:
            with open(s.log_path, "rb") as f:
                out.append(f"--- {s.name}.log (tail)\n" +
                           f.read()[-4000:].decode("utf-8", "replace"))
        return "\n".join(out)

    def stop_servers(self):
        for s in self.servers:
            s.stop()

    def stop(self, keep):
        self.stop_servers()
        if not keep:
            os.chdir("/")
            shutil.rmtree(self.dir, ignore_errors=True)


class Sampler(threading.Thread):
    """RSS and open descriptors of each server every `interval` s."""

    def __init__(self, servers, interval):
        super().__init__(daemon=True)
        self.servers = servers
        self.interval = interval
        self.samples = []  # (t, [(rss_kib, fds) per server])
        self.stopping = threading.Event()
        self.started = time.monotonic()

    def run(self):
        self.started = time.monotonic()
        while not self.stopping.is_set():
            t = time.monotonic() - self.started
            self.samples.append((t, [(vm_rss_kib(s.proc.pid), open_fds(s.proc.pid))
                                     for s in self.servers]))
            self.stopping.wait(self.interval)


def make_users(cluster, opts):
    """Terminal owners (one workspace each, alternating replicas) and HTTP users."""
    a, b = cluster.servers
    owners = []
    for i in range(opts.workspaces):
        server = (a, b)[i % 2]
        token = new_user(server)
        owners.append((token, new_workspace(server, token), i % 2))
    http_users = []
    for i in range(4):
        token = new_user(a)
        http_users.append((token, [new_workspace(a, token) for _ in range(2)]))
    return owners, http_users


def growth(samples, index, which, start, end):
    """The rise of the least-squares line over the samples from `start` to `end` s."""
    points = [(t, per[index][which]) for t, per in samples if start <= t <= end]
    return fit_rise(points)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", default=os.environ.get(
        "CODEYARD_SERVER_BIN", os.path.join(ROOT, "build", "bin", "codeyard-server")))
    p.add_argument("--storage", required=True, help="postgres:// URI (scripts/soak starts one)")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--idle", type=int, default=1000, help="idle (read-only) terminal viewers")
    p.add_argument("--active", type=int, default=100, help="terminals typing")
    p.add_argument("--workspaces", type=int, default=25, help="running workspaces (4 shells each)")
    p.add_argument("--rate", type=float, default=200.0, help="HTTP requests per second")
    p.add_argument("--running-share", type=float, default=1 / 3,
                   help="share of the file calls made on running workspaces (0: stopped only)")
    p.add_argument("--queue-depth", type=int, default=20, help="jobs.max_queue_depth")
    p.add_argument("--rss-bound-mib", type=float, default=24.0,
                   help="largest RSS rise of a server over the second half")
    p.add_argument("--fd-bound", type=float, default=24.0,
                   help="largest open-descriptor rise of a server over the second half")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    opts = p.parse_args()
    opts.server = os.path.abspath(opts.server)
    opts.json = opts.json and os.path.abspath(opts.json)
    if opts.active > opts.workspaces * 4:
        p.error("--active is at most 4 per workspace (terminal.max_per_workspace)")

    duration = opts.minutes * 60
    cluster = Cluster(opts)
    failures = []
    figures = {}
    try:
        log(f"two replicas on ports {[s.port for s in cluster.servers]}, data {cluster.data}")
        owners, http_users = make_users(cluster, opts)
        terms = Terminals(cluster.servers, owners, opts, log)
        sampler = Sampler(cluster.servers, max(1.0, min(5.0, duration / 60)))
        results = multiprocessing.Queue()
        progress = multiprocessing.Queue()
        load = multiprocessing.Process(target=http_load, args=(
            [s.port for s in cluster.servers], owners, http_users, opts.rate, duration,
            opts.running_share, results, progress))
        http_seen = {}

        def progress_line(keystrokes, terminal_failures):
            while not progress.empty():
                http_seen.update(progress.get())
            _, per = sampler.samples[-1]
            log(f"t={time.monotonic() - sampler.started:.0f}s http {http_seen.get('http_done', 0)} "
                f"(refused {http_seen.get('http_refused', 0)}, failed "
                f"{http_seen.get('http_failures', 0)}), keystrokes {keystrokes}, terminal "
                f"failures {terminal_failures}; " + ", ".join(
                    f"{s.name} rss {rss / 1024:.0f} MiB fds {fds}"
                    for s, (rss, fds) in zip(cluster.servers, per)))

        async def terminals():
            t0 = time.monotonic()
            await terms.open_all()
            figures["terminal_setup_s"] = round(time.monotonic() - t0, 1)
            log(f"{len(terms.viewers)} idle viewers and {len(terms.typers)} shells open in "
                f"{figures['terminal_setup_s']} s; load for {duration:.0f} s")
            sampler.start()
            load.start()
            return await terms.type_for(duration, progress_line)

        terminal_stats = asyncio.run(terminals())
        log("load done; waiting for the HTTP side's figures and the queued jobs")
        http_stats = results.get(timeout=300)
        load.join(60)
        sampler.stopping.set()
        sampler.join()
        figures["connections_alive_at_end"] = terminal_stats["alive_at_end"]

        # ---- checks ----
        failures += http_stats["failures"] + terminal_stats["failures"]
        figures["http"] = route_table(http_stats["latencies"], http_stats["statuses"], duration)
        figures["http_per_s"] = round(sum(
            sum(per.values()) for per in http_stats["statuses"].values()) / duration, 1)
        figures["terminal"] = route_table(terminal_stats["latencies"], {}, duration)
        figures["jobs"] = http_stats["jobs"]
        figures["samples"] = [(round(t, 1), per) for t, per in sampler.samples]
        half = duration / 2
        for i, s in enumerate(cluster.servers):
            rss_rise = growth(sampler.samples, i, 0, half, duration) / 1024
            fd_rise = growth(sampler.samples, i, 1, half, duration)
            figures[f"{s.name}_rss_rise_mib"] = round(rss_rise, 2)
            figures[f"{s.name}_fd_rise"] = round(fd_rise, 2)
            if rss_rise > opts.rss_bound_mib:
                failures.append(f"replica {s.name}: RSS rose {rss_rise:.1f} MiB over the second "
                                f"half (bound {opts.rss_bound_mib})")
            if fd_rise > opts.fd_bound:
                failures.append(f"replica {s.name}: open descriptors rose {fd_rise:.1f} over "
                                f"the second half (bound {opts.fd_bound})")

        # ---- lease claims (faults21): each claim or takeover bumps a workspace's generation,
        # so their sum over the run's workspaces counts the lease's moves (ping-pong between
        # the replicas showed as dozens per workspace and minute) ----
        claims = subprocess.run(
            ["psql", opts.storage, "-qAt", "-c",
             "SELECT COALESCE(SUM(generation), 0), COUNT(*) FROM pods"],
            check=True, capture_output=True, text=True).stdout.strip().split("|")
        figures["lease_claims"] = int(claims[0])
        figures["leased_workspaces"] = int(claims[1])

        # ---- no leaked pods once the load stops ----
        log("stopping every workspace; waiting for their pods to go")
        for token, ws, replica in owners:
            server = cluster.servers[replica]
            answers = []

            def stopped():
                answers.append(server.call("POST", f"/workspaces/{ws}/stop", token))
                return answers[-1][0] == 200

            try:
                wait_until(stopped, 60, f"workspace {ws} stopped", interval=0.5)
            except RuntimeError:
                failures.append(f"stop {ws}: {answers[-1]}")
        # The warm pool's pods (executor.pool_size per replica) end with their server.
        cluster.stop_servers()
        try:
            wait_until(lambda: not cluster.pod_dirs(), 60, "every pod gone")
        except RuntimeError as e:
            failures.append(f"leaked pods after the load: {cluster.pod_dirs()} ({e})")
        figures["pods_left"] = len(cluster.pod_dirs())
        errors, warnings = cluster.log_levels()
        figures["server_log_errors"], figures["server_log_warnings"] = len(errors), warnings
        failures += [f"server logged an error: {line[:300]}" for line in errors[:20]]
        figures["pod_processes_left"] = pod_processes(cluster.dir)
        if figures["pod_processes_left"]:
            failures.append(f"{figures['pod_processes_left']} pod processes left")
    except Exception as e:  # noqa: BLE001 - every error is reported with the logs
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        if failures:
            log(cluster.logs_tail())
        cluster.stop(opts.keep)

    report(figures, failures, opts)
    return 1 if failures else 0


def report(figures, failures, opts):
    for route, row in sorted(figures.get("http", {}).items()):
        print(f"http {route}: {row['count']} calls, {row['per_s']}/s, p50 {row['p50_ms']} ms, "
              f"p99 {row['p99_ms']} ms, statuses {row['statuses']}")
    for route, row in sorted(figures.get("terminal", {}).items()):
        print(f"terminal {route}: {row['count']}, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms")
    if "http_per_s" in figures:
        print(f"http: {figures['http_per_s']} calls/s over both replicas")
    if "jobs" in figures:
        print(f"jobs: {json.dumps(figures['jobs'])}")
    for t, per in figures.get("samples", []):
        print("sample t=%6.1fs " % t + "  ".join(
            f"{n}: rss {rss / 1024:.1f} MiB fds {fds}" for n, (rss, fds) in zip("ab", per)))
    for key in ("a_rss_rise_mib", "b_rss_rise_mib", "a_fd_rise", "b_fd_rise", "lease_claims",
                "leased_workspaces", "pods_left",
                "pod_processes_left", "server_log_errors", "server_log_warnings"):
        if key in figures:
            print(f"{key}: {figures[key]}")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"figures": figures, "failures": failures}, f, indent=1)
    for failure in failures[:50]:
        print(f"FAIL: {failure}")
    if len(failures) > 50:
        print(f"FAIL: ... and {len(failures) - 50} more")
    print("soak: " + ("FAILED" if failures else "passed"))


if __name__ == "__main__":
    sys.exit(main())
