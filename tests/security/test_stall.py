"""Issue 13, item 1: one user must not stall the server with long requests.

Sixteen parallel long execs by one account used to hold all 16 request workers, so health,
login and every other user's files waited for them (about 40 s in the attack). Long work now
runs on its own bounded pool (docs/security/server.md). Here one user keeps N > 16 execs
running (`sleep`) while a second user's login, file write, file read and /api/v1/health are
timed, and compared as a ratio to the same requests on the idle server, in the same run."""

import concurrent.futures
import os
import statistics
import time
import uuid

from api_client import call, create_workspace, error_code, register

N_EXECS = 20           # more than the old 16 workers
SLEEP_S = 8            # each exec's run time; the measurement must end well inside it
SAMPLES = 3            # of each quick request, sent at once
RATIO_BOUND = 10       # loaded median / idle median, or ...
ABSOLUTE_BOUND_S = 0.5 # ... under this absolute bound, whichever is larger
PASSWORD = "correct horse"


def sleeping(tag):
    """How many processes run `sleep <tag>` (the saturating execs, inside their pod)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b"sleep") and argv[1] == tag.encode():
            n += 1
    return n


def quick_requests(server, victim):
    """name -> a callable making one request of the second user; each checks its answer."""
    token, wid, username = victim

    def login():
        status, _, doc = call(server, "POST", "/auth/login",
                              json_body={"username": username, "password": PASSWORD})
        assert status == 200, doc

    def write():
        status, _, doc = call(server, "PUT", f"/workspaces/{wid}/files/notes.txt", token=token,
                              body=b"still here " + uuid.uuid4().hex.encode())
        assert status in (200, 201), doc

    def read():
        status, _, body = call(server, "GET", f"/workspaces/{wid}/files/keep.txt", token=token)
        assert status == 200 and body == b"keep me", body

    def health():
        status, _, doc = server.request("GET", "/api/v1/health")
        assert status == 200, doc

    return {"login": login, "write": write, "read": read, "health": health}


def timed(fn):
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def measure(requests):
    """Sends SAMPLES of every request at once; returns name -> median seconds."""
    with concurrent.futures.ThreadPoolExecutor(len(requests) * SAMPLES) as pool:
        futures = {name: [pool.submit(timed, fn) for _ in range(SAMPLES)]
                   for name, fn in requests.items()}
        return {name: statistics.median(f.result() for f in fs) for name, fs in futures.items()}


def test_long_execs_of_one_user_do_not_stall_other_requests(server):
    attacker = register(server)["access_token"]
    wid = create_workspace(server, attacker, "busy")["id"]
    # The pod starts on the first exec: not part of what is measured.
    status, _, doc = call(server, "POST", f"/workspaces/{wid}/exec", token=attacker,
                          json_body={"argv": ["true"]})
    assert status == 200, doc

    username = "v" + uuid.uuid4().hex[:12]
    victim_token = register(server, username, PASSWORD)["access_token"]
    victim_ws = create_workspace(server, victim_token, "victim")["id"]
    status, _, doc = call(server, "PUT", f"/workspaces/{victim_ws}/files/keep.txt",
                          token=victim_token, body=b"keep me")
    assert status in (200, 201), doc
    requests = quick_requests(server, (victim_token, victim_ws, username))
    measure(requests)  # warm-up: first connections, first statements
    idle = measure(requests)

    tag = f"{SLEEP_S}.{uuid.uuid4().int % 10**6:06d}"  # a unique argument to find them by
    answers = []
    with concurrent.futures.ThreadPoolExecutor(N_EXECS) as pool:
        def long_exec():
            status, headers, doc = call(server, "POST", f"/workspaces/{wid}/exec",
                                        token=attacker,
                                        json_body={"argv": ["sleep", tag], "time_limit_s": 12})
            answers.append((status, headers, doc))

        execs = [pool.submit(long_exec) for _ in range(N_EXECS)]
        # Saturated: at least as many execs are running (or were answered at once, refused
        # by a per-user cap) as the old server had workers.
        deadline = time.monotonic() + SLEEP_S - 2
        while sleeping(tag) + len(answers) < min(N_EXECS, 16):
            assert time.monotonic() < deadline, (sleeping(tag), answers)
            time.sleep(0.05)
        started = time.monotonic()
        loaded = measure(requests)
        still_running = sleeping(tag)
        measured_in = time.monotonic() - started
        for f in execs:
            f.result()

    for status, headers, doc in answers:
        if status == 200:
            assert doc["verdict"] == "ok" and doc["exit_code"] == 0, doc
        else:  # refused by a cap on concurrent execs: at once, with a wait to retry after
            assert status in (429, 503), doc
            assert error_code(doc) in ("resource_exhausted", "unavailable")
            assert int(headers["Retry-After"]) >= 1
    # The measurement ran while the execs were still running.
    assert still_running >= 1 and measured_in < SLEEP_S - 2, (still_running, measured_in)
    for name in requests:
        bound = max(RATIO_BOUND * idle[name], ABSOLUTE_BOUND_S)
        assert loaded[name] < bound, (
            f"{name}: {loaded[name]:.3f} s while execs run, {idle[name]:.3f} s idle "
            f"(bound {bound:.3f} s); all: loaded {loaded} idle {idle}")
