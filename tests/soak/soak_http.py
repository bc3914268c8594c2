"""The soak's HTTP side, run in its own process: a paced mix of file and workspace calls at
`rate` requests/s over both replicas, and the job queue kept at its capacity."""

import http.client
import json
import random
import threading
import time

API = "/api/v1"
THREADS = 64  # enough in flight for the rate at a p99 of a second or more
JOB_SUBMITTERS = 4
HELLO = {"language": "python", "files": {"main.py": "print('hello')\n"}}
# (route, weight): the mix of calls, by route template.
MIX = [("GET /workspaces/{id}/files/{path}", 30), ("PUT /workspaces/{id}/files/{path}", 20),
       ("GET /workspaces/{id}/tree", 15), ("GET /workspaces/{id}", 10), ("GET /workspaces", 8),
       ("DELETE /workspaces/{id}/files/{path}", 7), ("GET /me", 5), ("GET /queue/stats", 5)]
REFUSALS = (429, 503)  # documented: a limit, or busy / the queue is full


class Client:
    """Keep-alive connections to each replica, reopened after an error."""

    def __init__(self, ports):
        self.ports = ports
        self.conns = {}

    def call(self, port, method, path, token, body=None):
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        for attempt in (0, 1):
            conn = self.conns.get(port)
            if conn is None:
                conn = self.conns[port] = http.client.HTTPConnection("127.0.0.1", port,
                                                                     timeout=60)
            try:
                conn.request(method, API + path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self.conns.pop(port, None)
                return resp.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed while idle: once more, fresh.
                conn.close()
                self.conns.pop(port, None)
                if attempt:
                    raise


class Load:
    def __init__(self, ports, owners, http_users, rate, duration, running_share):
        self.ports = ports
        self.rate = rate
        self.duration = duration
        # (token, workspace) pairs; `running_share` of the calls go to running workspaces.
        self.stopped = [(t, w) for t, wss in http_users for w in wss]
        self.running = [(t, w) for t, w, _ in owners]
        self.running_share = running_share
        self.routes = [r for r, w in MIX for _ in range(w)]
        self.lock = threading.Lock()
        self.next_slot = 0
        self.latencies = {}
        self.statuses = {}
        self.failures = []
        self.done = 0
        self.refused = 0
        self.start = time.monotonic()

    def record(self, route, status, seconds, detail):
        with self.lock:
            self.done += 1
            per = self.statuses.setdefault(route, {})
            per[str(status)] = per.get(str(status), 0) + 1
            if 200 <= status < 300:
                self.latencies.setdefault(route, []).append(seconds)
            elif status in REFUSALS:
                self.refused += 1
            elif len(self.failures) < 200:
                self.failures.append(f"{route}: {status} {detail[:300]!r}")

    def take_slot(self):
        with self.lock:
            slot = self.next_slot
            self.next_slot += 1
        at = self.start + slot / self.rate
        # Bounded in time, not in calls: when the servers fall behind the rate, fewer calls
        # are made (the achieved rate is reported), never a longer run.
        end = self.start + self.duration
        return at if at < end and time.monotonic() < end else None

    def worker(self, tid):
        client = Client(self.ports)
        rng = random.Random(tid)
        mine = {}  # workspace -> names this thread wrote there
        serial = 0
        while (at := self.take_slot()) is not None:
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            token, ws = rng.choice(self.running if rng.random() < self.running_share
                                    else self.stopped)
            port = rng.choice(self.ports)
            route = rng.choice(self.routes)
            names = mine.setdefault(ws, [])
            if route.startswith(("GET /workspaces/{id}/files", "DELETE")) and not names:
                route = "PUT /workspaces/{id}/files/{path}"
            body = None
            if route.startswith("PUT"):
                serial += 1
                name = f"t{tid}_{serial % 16}.txt"
                body = (f"{tid} {serial} " * rng.randint(1, 200)).encode()
            elif route.startswith(("GET /workspaces/{id}/files", "DELETE")):
                name = rng.choice(names)
            path = route.split(" ", 1)[1].replace("{id}", ws)
            if "{path}" in path:
                path = path.replace("{path}", name)
            method = route.split(" ", 1)[0]
            started = time.monotonic()
            try:
                status, data = client.call(port, method, path, token, body)
            except OSError as e:
                status, data = 0, repr(e).encode()
            self.record(route, status, time.monotonic() - started, data)
            if status in (200, 201, 204):
                if method == "PUT" and name not in names:
                    names.append(name)
                elif method == "DELETE":
                    names.remove(name)

    def jobs(self, token, out):
        """Submits as fast as the queue takes; a full queue answers 503 (then a short pause)."""
        client = Client(self.ports)
        ids, full, limited = [], 0, 0
        end = self.start + self.duration
        i = 0
        while time.monotonic() < end:
            port = self.ports[i % 2]
            i += 1
            status, data = client.call(port, "POST", "/jobs", token, json.dumps(HELLO).encode())
            if status == 202:
                ids.append(json.loads(data)["id"])
            elif status == 503:
                full += 1
                time.sleep(0.1)
            elif status == 429:
                limited += 1
                time.sleep(0.1)
            else:
                with self.lock:
                    self.failures.append(f"POST /jobs: {status} {data[:300]!r}")
        # Every accepted job is done once, with its output, after the load.
        verdicts = {}
        for job in ids:
            deadline = time.monotonic() + 120
            while True:
                status, data = client.call(self.ports[0], "GET", f"/jobs/{job}?wait=30", token)
                doc = json.loads(data) if status == 200 else {}
                if status != 200 or doc.get("state") == "done" or time.monotonic() > deadline:
                    break
            ok = status == 200 and doc.get("verdict") == "ok" and doc.get("stdout") == "hello\n"
            verdicts[doc.get("verdict", str(status))] = verdicts.get(doc.get("verdict",
                                                                             str(status)), 0) + 1
            if not ok:
                with self.lock:
                    self.failures.append(f"job {job}: {status} {data[:300]!r}")
        out.update({"accepted": len(ids), "refused_full": full, "refused_rate": limited,
                    "verdicts": verdicts, "per_s": round(len(ids) / self.duration, 2)})


def http_load(ports, owners, http_users, rate, duration, running_share, results, progress):
    load = Load(ports, owners, http_users, rate, duration, running_share)
    jobs = {}
    threads = [threading.Thread(target=load.worker, args=(i,)) for i in range(THREADS)]
    # Submitters enough to keep the queue at jobs.max_queue_depth (their 503s show it is).
    per_submitter = [{} for _ in range(JOB_SUBMITTERS)]
    submitters = [threading.Thread(target=load.jobs, args=(http_users[i % len(http_users)][0], out))
                  for i, out in enumerate(per_submitter)]
    for t in threads + submitters:
        t.start()
    while alive := [t for t in threads if t.is_alive()]:
        alive[0].join(10)
        with load.lock:
            progress.put({"http_done": load.done, "http_refused": load.refused,
                          "http_failures": len(load.failures)})
    for t in submitters:
        t.join()
    for out in per_submitter:
        for key, value in out.items():
            if key == "verdicts":
                for verdict, n in value.items():
                    jobs.setdefault(key, {})[verdict] = jobs.get(key, {}).get(verdict, 0) + n
            else:
                jobs[key] = round(jobs.get(key, 0) + value, 2)
    results.put({"latencies": load.latencies, "statuses": load.statuses,
                 "failures": load.failures, "jobs": jobs})
