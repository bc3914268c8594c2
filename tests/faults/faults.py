"""The kill -9 fault schedule (issue 21, "Fault injection with nothing lost"): `./scripts/faults`.

Each round starts the real codeyard-server on one data directory (kept across rounds), runs
the scripted workload (workload.py: a file write and delete, an exec, terminal commands, a
graded submission, a review submitted, claimed and decided) and kills the server with SIGKILL
at a seeded point: a step of the workload and a delay into it. Then, with the server dead, the
database must pass its integrity check; and once a new server is up on the same data directory:
every acknowledged write is there with its content (terminal and exec writes come back when the
new server takes the dead one's pod over), every acknowledged delete stays deleted, every
acknowledged submission exists and, once graded, keeps the one result it got (and the
person's progress counts each graded submission once), every review is at least where its last
acknowledged action left it, and no pod process is left beyond the workspace's one.

Prints one line per round and a summary; exits 1 on any violation, naming the seed and round
so the run can be replayed (`--seed S --rounds N`).
"""

import argparse
import asyncio
import collections
import json
import os
import pathlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE))


def parse_args():
    parser = argparse.ArgumentParser(prog="faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--server-bin", default=os.environ.get("CODEYARD_SERVER_BIN", ""))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--postgres", metavar="URI", default="",
                        help="run on a fresh database of this PostgreSQL server instead of "
                             "SQLite in the data directory (postgres://user@host:port/db)")
    parser.add_argument("--replicas", type=int, choices=(1, 2), default=1,
                        help="2: two replicas share one PostgreSQL (--postgres, else "
                             "$CODEYARD_TEST_POSTGRES_URI) and one data directory; the "
                             "workload goes through both and each round kills one of them")
    args = parser.parse_args()
    if args.replicas == 2 and not args.postgres:
        args.postgres = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
        if not args.postgres:
            parser.error("--replicas 2 needs PostgreSQL: --postgres URI or "
                         "CODEYARD_TEST_POSTGRES_URI")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.server_bin or not os.access(args.server_bin, os.X_OK):
        parser.error("no codeyard-server binary: pass --server-bin or set CODEYARD_SERVER_BIN")
    os.environ["CODEYARD_SERVER_BIN"] = args.server_bin  # test_server reads it at import
    return args


ARGS = parse_args()

import pytest  # noqa: E402  (Server reports a failed start with pytest.fail)

from api_client import call, register  # noqa: E402
from storage_choice import set_role  # noqa: E402
from terminal_client import Terminal  # noqa: E402
import test_server  # noqa: E402
from workload import PROBLEM, STEPS, Killed, Ledger, Round, kill_point  # noqa: E402


SETTINGS = ["workspace.lease_s=2", "jobs.lease_s=2",
            "jobs.poll_ms=50", "jobs.workers=1", "auth.registrations_per_address=0",
            "executor.pool_size=0"]
RECOVERY_S = 30  # how long a round waits for what must come back


class Violation(Exception):
    pass


class Server(test_server.Server):
    """A server whose clients wait up to two minutes for an answer: on a loaded machine
    (a CI runner building in parallel) the suites' 30 s gave up on answers that were coming."""

    def request(self, method, path, headers=None, body=None, timeout=5.0):
        return super().request(method, path, headers=headers, body=body,
                               timeout=max(timeout, 120.0))


class World:
    """The server of the moment and the ids the workload uses."""

    def __init__(self, home):
        self.home = home
        self.data_dir = home / "data"
        self.server = None  # the server the checks use: the one, or the survivor of a kill
        self.servers = {}  # with two replicas: name -> Server
        self.dead = set()  # names of killed replicas, until started again
        self.choice = random.Random(ARGS.seed ^ 0x5EED)
        self.starts = 0
        self.storage_uri = None
        if ARGS.postgres:
            name = "faults_" + uuid.uuid4().hex[:12]
            psql(ARGS.postgres, f"CREATE DATABASE {name}")
            self.storage_uri = urlunsplit(urlsplit(ARGS.postgres)._replace(path="/" + name))

    def query(self, sql, params=()):
        """Rows of a read-only query on the run's database (the server may be dead)."""
        if self.storage_uri:
            for p in params:  # only ids of ours: hex, dashes and letters
                assert all(c.isalnum() or c == "-" for c in p), p
            literal = sql.replace("?", "'{}'").format(*params)
            out = psql(self.storage_uri, literal)
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        db = sqlite3.connect(f"file:{self.data_dir / 'codeyard.db'}?mode=ro", uri=True)
        try:
            return [tuple(str(v) for v in row) for row in db.execute(sql, params).fetchall()]
        finally:
            db.close()

    def start(self, name=None):
        """Starts the server (one replica: `name` None) or replica `name` on the run's data
        directory, keeping each server's earlier logs (stderr.1.log, ...)."""
        self.starts += 1
        storage = ["--storage", self.storage_uri] if self.storage_uri else []
        home = self.home if name is None else self.home / name
        home.mkdir(exist_ok=True)
        log = home / "stderr.log"
        if log.exists():
            log.rename(home / f"stderr.{self.starts - 1}.log")
        args = [a for s in SETTINGS for a in ("--set", s)]
        if name is None:
            server = Server(home, *storage, *args)
        else:
            server = Server(home, "--data-dir", str(self.data_dir), *storage, *args,
                            "--set", f"server.replica_id={name}", data_flag=False)
            server.name = name
            self.servers[name] = server
            self.dead = self.dead - {name}  # replaced, not mutated: pick() reads it meanwhile
        server.storage_uri = self.storage_uri  # set_role reads it
        self.server = server
        return server

    def pick(self):
        """The server of the workload's next step: the one server, or a live replica at random
        (the run's own random stream, so a seed replays the same choices)."""
        if not self.servers:
            return self.server
        live = [n for n in sorted(self.servers) if n not in self.dead]
        return self.servers[self.choice.choice(live)]

    def all_servers(self):
        return list(self.servers.values()) if self.servers else [self.server]

    def live_pods(self):
        """The pods of this run's state directory whose init still runs: (id, purpose, whether
        the process that made it still runs)."""
        pods = []
        for pod_json in (self.data_dir / "pods").glob("*/pod.json"):
            try:
                pod = json.loads(pod_json.read_text())
            except (OSError, ValueError):
                continue  # being written or removed
            if alive(pod.get("init_pid"), pod.get("init_start")):
                pods.append((pod["id"], pod["labels"].get("codeyard.dev/purpose", ""),
                             alive(pod.get("owner_pid"), pod.get("owner_start"))))
        return pods


def alive(pid, start):
    """Whether process `pid` runs and is the one that started at `start` (clock ticks since
    boot, /proc/PID/stat's 22nd field), not a later process given the same pid."""
    try:
        stat = pathlib.Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, TypeError, ValueError):
        return False
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19]) == int(start)


def setup(world):
    if ARGS.replicas == 2:
        world.start("a")
    server = world.start("b" if ARGS.replicas == 2 else None)
    admin = register(server)
    set_role(server, admin["user"]["id"], "admin")
    status, _, doc = call(server, "POST", "/problems", token=admin["access_token"],
                          json_body=PROBLEM)
    assert status == 201, doc
    user = register(server)
    world.token = user["access_token"]
    world.user_id = user["user"]["id"]
    world.usernames = {"token": user["user"]["username"]}
    status, _, doc = call(server, "POST", "/workspaces", token=world.token,
                          json_body={"name": "faults"})
    assert status == 201, doc
    world.ws = doc["id"]
    reviewer = register(server)
    world.reviewer_token = reviewer["access_token"]
    world.usernames["reviewer_token"] = reviewer["user"]["username"]
    status, _, doc = call(server, "PATCH", "/me", token=world.reviewer_token,
                          json_body={"reviewer_level": 1})
    assert status == 200, doc


def log_in(world):
    """Fresh access tokens (they last 15 minutes; a long run outlasts them)."""
    for attr, username in world.usernames.items():
        status, _, doc = call(world.server, "POST", "/auth/login",
                              json_body={"username": username, "password": "correct horse"})
        assert status == 200, doc
        setattr(world, attr, doc["access_token"])


def kill_during(world, rnd, rng):
    """Runs the round's workload and kills the server (with two replicas: one of them, and the
    workload goes on through the survivor) at its seeded point; returns the step that was in
    flight when the kill landed, or "after the last step"."""
    step, delay = kill_point(rng)
    victim = world.server if not world.servers else world.servers[rng.choice(sorted(world.servers))]
    reached = threading.Event()
    rnd.started = lambda name: reached.set() if name == step else None
    outcome = {}

    def work():
        try:
            rnd.run()
        except Killed:
            pass
        except BaseException as error:  # noqa: BLE001  (reported below, after the kill)
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    reached.wait(timeout=120)
    time.sleep(delay)
    in_flight = rnd.step if rnd.server is victim or rnd.step == "after the last step" else (
        "survivor " + rnd.step)
    rnd.victim = victim
    if world.servers:
        world.dead = world.dead | {victim.name}
    rnd.killed.set()
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=10)
    victim._stderr.close()
    worker.join(timeout=180)
    if worker.is_alive():
        raise Violation(f"the workload still runs 180 s after the kill (step {rnd.step})")
    if world.servers:
        world.server = next(s for n, s in sorted(world.servers.items()) if n not in world.dead)
    if "error" in outcome and not isinstance(outcome["error"], AssertionError):
        raise outcome["error"]
    if "error" in outcome:  # an answer that was not what the step expects
        raise Violation(f"step {rnd.step}: {outcome['error']}")
    return in_flight


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                          capture_output=True, text=True).stdout


def check_integrity(world):
    """SQLite: integrity_check and foreign_key_check. PostgreSQL (which enforces foreign keys
    itself): amcheck's bt_index_check on every B-tree index of the schema."""
    if world.storage_uri:
        psql(world.storage_uri, "CREATE EXTENSION IF NOT EXISTS amcheck")
        try:
            psql(world.storage_uri,
                 "SELECT bt_index_check(c.oid) FROM pg_index i JOIN pg_class c ON "
                 "c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON "
                 "n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = "
                 "current_schema()")
        except subprocess.CalledProcessError as error:
            raise Violation(f"amcheck: {error.stderr.strip()}") from error
        return
    result = world.query("PRAGMA integrity_check")
    if result != [("ok",)]:
        raise Violation(f"integrity_check: {result[:5]}")
    fk = world.query("PRAGMA foreign_key_check")
    if fk:
        raise Violation(f"foreign_key_check: {fk[:5]}")


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def check_files(world, ledger):
    server, token, ws = world.server, world.token, world.ws

    def get(path):
        status, _, body = call(server, "GET", f"/workspaces/{ws}/files/{path}", token=token)
        return status, body

    for path, content in sorted(ledger.files.items()):
        # Terminal and exec writes of the dead server's last moments are in its pod until the
        # new server takes the pod over (its lease expires first): wait for them.
        got = wait_until(lambda: get(path) == (200, content) and (200, content), RECOVERY_S)
        if not got:
            raise Violation(f"acknowledged {path} is {get(path)}, want {content!r}")
    for path in sorted(ledger.deleted):
        if get(path)[0] != 404:
            raise Violation(f"acknowledged delete of {path} undone: {get(path)}")
    for path, content in sorted(ledger.in_flight.items()):
        status, body = get(path)
        if status == 200 and body != content:
            raise Violation(f"{path} (in flight at a kill) holds {body!r}, want {content!r}")


def check_jobs(world, ledger, final):
    server, token = world.server, world.token
    for sub_id, seen in sorted(ledger.jobs.items()):
        wait = 30 if final else 0
        status, _, doc = call(server, "GET", f"/submissions/{sub_id}?wait={wait}", token=token)
        if status != 200:
            raise Violation(f"acknowledged submission {sub_id}: {status} {doc}")
        if doc["state"] != "done":
            if final:
                raise Violation(f"submission {sub_id} never graded: {doc}")
            continue
        result = (doc["verdict"], doc["finished_at"])
        if doc["verdict"] != "accepted":
            raise Violation(f"submission {sub_id} graded {doc['verdict']}: {doc}")
        if seen is not None and seen != result:
            raise Violation(f"submission {sub_id}'s result changed: {seen} then {result}")
        ledger.jobs[sub_id] = result
    status, _, page = call(server, "GET", f"/problems/{PROBLEM['id']}", token=token)
    if status != 200:
        raise Violation(f"problem: {status} {page}")


def check_progress(world):
    """Each graded submission counts once in the person's progress (the grade's completion
    hook commits with the one result). One statement, so one snapshot: with two replicas the
    survivor may be grading meanwhile."""
    done, attempts = world.query(
        "SELECT (SELECT count(*) FROM jobs WHERE owner_id = ? AND kind = 'grade' AND "
        "state = 'done'), (SELECT COALESCE(MAX(attempts), 0) FROM progress WHERE user_id = ? "
        "AND problem_id = ?)", (world.user_id, world.user_id, PROBLEM["id"]))[0]
    if int(attempts) != int(done):
        raise Violation(f"progress counts {attempts} attempts for {done} graded submissions")


def check_terminal(world):
    """A terminal opened on the survivor runs a command in the workspace's pod (the dead
    replica's pod taken over, or a new one from storage)."""
    async def typed():
        term = await Terminal.open(world.server, world.ws, world.token)
        try:
            await term.wait_state("running")
            await term.type("echo survivor_$((6*7))\r")
            await term.wait_output("survivor_42")
        finally:
            await term.close()
    try:
        asyncio.run(typed())
    except Exception as error:  # noqa: BLE001
        raise Violation(f"a terminal on the survivor: {error!r}") from error


ORDER = {"pending": 0, "in_review": 1, "approved": 2, "rejected": 2}


def check_reviews(world, ledger):
    for review_id, acked in sorted(ledger.reviews.items()):
        status, _, doc = call(world.server, "GET", f"/reviews/{review_id}", token=world.token)
        if status != 200:
            raise Violation(f"acknowledged review {review_id}: {status} {doc}")
        if ORDER.get(doc["status"], -1) < ORDER[acked] or (
                ORDER[acked] == 2 and doc["status"] != acked):
            raise Violation(f"review {review_id} is {doc['status']}, acknowledged {acked}")


def orphans(world):
    """Pods that should not be running: more than the workspace's one (a dead server's pod is
    taken over, never doubled), or another kind of pod whose maker is dead (run pods die with
    the process that made them)."""
    pods = world.live_pods()
    workspace = [p for p in pods if p[1] == "workspace"]
    others = [p for p in pods if p[1] != "workspace" and not p[2]]
    return (workspace if len(workspace) > 1 else []) + others


def check_pods(world):
    if wait_until(lambda: not orphans(world), RECOVERY_S) is False:
        raise Violation(f"orphan pods: {orphans(world)}")
    world.pods_seen = max(getattr(world, "pods_seen", 0), len(world.live_pods()))


def check_usable(world):
    status, _, doc = call(world.server, "POST", f"/workspaces/{world.ws}/exec",
                          token=world.token, json_body={"argv": ["true"]})
    if status != 200 or doc.get("exit_code") != 0:
        raise Violation(f"the workspace is not usable after the restart: {status} {doc}")


def stop_pods(world):
    """Ends the pods a stopped server handed off (they would wait out their orphan timeout):
    their inits, found by pod.json with the start time checked."""
    for pod_json in (world.data_dir / "pods").glob("*/pod.json"):
        try:
            pod = json.loads(pod_json.read_text())
        except (OSError, ValueError):
            continue
        if alive(pod.get("init_pid"), pod.get("init_start")):
            try:
                os.kill(int(pod["init_pid"]), signal.SIGKILL)
            except ProcessLookupError:
                pass


def step_order(step):
    """Steps in workload order; "survivor <step>" (two replicas: the step in flight went to
    the replica that was not killed) after each."""
    order = (*STEPS, "after the last step")
    name = step.removeprefix("survivor ")
    return (order.index(name) if name in order else len(order), step != name)


def main():
    rng = random.Random(ARGS.seed)
    on = f" --postgres {ARGS.postgres}" if ARGS.postgres else ""
    on += " --replicas 2" if ARGS.replicas == 2 else ""
    print(f"faults: seed {ARGS.seed}, {ARGS.rounds} rounds on "
          f"{'PostgreSQL' if ARGS.postgres else 'SQLite'}"
          f"{', two replicas, one killed each round' if ARGS.replicas == 2 else ''} (replay: "
          f"./scripts/faults --seed {ARGS.seed} --rounds {ARGS.rounds}{on})", flush=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="codeyard-faults-"))
    world = World(work)
    ledger = Ledger()
    kills = collections.Counter()
    started = time.monotonic()
    failed = None
    n = 0
    try:
        setup(world)
        for n in range(1, ARGS.rounds + 1):
            t0 = time.monotonic()
            log_in(world)
            rnd = Round(world, ledger, n, rng, None)
            step = kill_during(world, rnd, rng)
            kills[step] += 1
            check_integrity(world)
            check_progress(world)
            victim = rnd.victim
            if not world.servers:
                world.start()
            # Two replicas: the survivor must serve everything before the dead one is back
            # (its leases on the pod and the jobs expire and are taken over).
            check_files(world, ledger)
            check_jobs(world, ledger, final=False)
            check_reviews(world, ledger)
            check_usable(world)
            if world.servers:
                check_terminal(world)
            check_pods(world)
            if world.servers:
                world.start(victim.name)
            print(f"faults: round {n}/{ARGS.rounds}: killed "
                  f"{'replica ' + victim.name + ' ' if world.servers else ''}during {step}; checked "
                  f"{len(ledger.files)} files, {len(ledger.deleted)} deletes, "
                  f"{len(ledger.jobs)} submissions, {len(ledger.reviews)} reviews "
                  f"({time.monotonic() - t0:.1f} s)", flush=True)
        check_jobs(world, ledger, final=True)
        for server in world.all_servers():
            server.stop(timeout=120)
        check_integrity(world)
        check_progress(world)
    except (Exception, pytest.fail.Exception) as error:  # noqa: BLE001  (reported below)
        kind = "" if isinstance(error, (Violation, AssertionError)) else type(error).__name__
        failed = f"round {n}: {kind}{': ' if kind else ''}{error}"
    finally:
        for server in world.all_servers():
            if server is not None and server.proc.poll() is None:
                server.proc.kill()  # after a failure: nothing to hand off
                server.proc.wait()
        stop_pods(world)
    elapsed = time.monotonic() - started
    print(f"faults: {world.starts} server starts, {sum(kills.values())} kills in {elapsed:.0f} s; "
          "kills per step: " + ", ".join(f"{s} {kills[s]}" for s in sorted(kills, key=step_order)),
          flush=True)
    print(f"faults: acknowledged and checked after every restart: {len(ledger.files)} files, "
          f"{len(ledger.deleted)} deletes, {len(ledger.jobs)} graded submissions, "
          f"{len(ledger.reviews)} reviews", flush=True)
    if failed:
        print(f"faults: VIOLATION (seed {ARGS.seed}) {failed}\nserver logs: "
              f"{world.home}/{'*/' if world.servers else ''}stderr*.log", flush=True)
        return 1
    if not ARGS.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("faults: ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
