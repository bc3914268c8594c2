"""The scripted workload of the fault schedule (issue 21, "Fault injection with nothing lost").

One round runs the steps below in order against a live codeyard-server, and writes into the
Ledger only what the server acknowledged (a 2xx answer, or the marker a terminal echoed after
its command). The server may die at any point: a step whose answer never came is recorded as
in flight and its effect is allowed either way; everything acknowledged must survive.
"""

import asyncio
import threading

from api_client import call
from terminal_client import Terminal

PROBLEM = {
    "id": "fault-echo",
    "title": "Fault echo",
    "limits": {"time_limit_s": 5},
    "tests": [{"name": "only", "input": "41\n", "expected_output": "42\n"}],
}
SOLUTION = {"a.py": "print(int(input()) + 1)\n"}
STEPS = ("write", "delete", "exec", "terminal", "job", "review_submit", "review_claim",
         "review_decide")


class Killed(Exception):
    """The server stopped answering: the workload of this round ends here."""


class Ledger:
    """What the server acknowledged, across every round of one run."""

    def __init__(self):
        self.files = {}          # path -> bytes: must be stored
        self.deleted = set()     # paths whose delete was acknowledged: must be absent
        self.jobs = {}           # submission id -> None, or (verdict, finished_at) once seen done
        self.reviews = {}        # review id -> last acknowledged status
        self.in_flight = {}      # path -> content, written or deleted with no answer yet


class Round:
    """One round's workload; `step` names the step being run (the killer reads it). Each step
    goes to `world.pick()`: the one server, or with two replicas either live one, as a load
    balancer would send it (after the kill, the survivor)."""

    def __init__(self, world, ledger, number, rng, started):
        self.world, self.ledger, self.n, self.rng = world, ledger, number, rng
        self.started = started  # started(step name): called as each step begins
        self.step = "none"
        self.reached = []
        self.server = None  # the server of the step in flight
        self.victim = None  # the server the killer killed (set before `killed`)
        self.killed = threading.Event()  # set by the killer just before its SIGKILL

    def _cut_off(self):
        """Whether the step in flight lost its server to the kill (a failure on the survivor
        is a violation, not a kill)."""
        return self.killed.is_set() and self.server is self.victim

    def _call(self, *args, **kwargs):
        try:
            return call(self.server, *args, **kwargs)
        except OSError as error:
            if self._cut_off():
                raise Killed(str(error)) from error
            raise AssertionError(f"round {self.n}: the live server dropped a request: "
                                 f"{error!r}") from error

    def _begin(self, name):
        self.step = name
        self.reached.append(name)
        self.started(name)

    def run(self):
        for name in STEPS:
            self.server = self.world.pick()
            self._begin(name)
            getattr(self, "_" + name)()
        self.step = "after the last step"
        self.started(self.step)

    def _expect(self, status, doc, wanted, what):
        if status != wanted:
            raise AssertionError(f"round {self.n} {what}: {status} {doc}")

    def _write(self):
        w = self.world
        path = f"r{self.n}/w.txt"
        content = f"round {self.n} write {self.rng.getrandbits(64):x}\n".encode()
        self.ledger.in_flight[path] = content
        status, _, doc = self._call("PUT", f"/workspaces/{w.ws}/files/{path}", token=w.token,
                                    body=content)
        self._expect(status, doc, 200, "write")
        del self.ledger.in_flight[path]
        self.ledger.files[path] = content
        self.ledger.deleted.discard(path)

    def _delete(self):
        w = self.world
        victims = sorted(p for p in self.ledger.files if p.endswith("/w.txt"))
        if len(victims) < 3:
            return  # keeps most writes around to check in later rounds
        path = self.rng.choice(victims[:-1])
        # Until the answer comes, the file may be there or not.
        self.ledger.in_flight[path] = self.ledger.files.pop(path)
        status, _, doc = self._call("DELETE", f"/workspaces/{w.ws}/files/{path}", token=w.token)
        self._expect(status, doc, 204, "delete")
        del self.ledger.in_flight[path]
        self.ledger.deleted.add(path)

    def _exec(self):
        w = self.world
        path = f"r{self.n}/e.txt"
        status, _, doc = self._call(
            "POST", f"/workspaces/{w.ws}/exec", token=w.token,
            json_body={"argv": ["sh", "-c", f"mkdir -p r{self.n}; echo exec {self.n} > {path}"]})
        self._expect(status, doc, 200, "exec")
        if doc.get("exit_code") != 0:
            raise AssertionError(f"round {self.n} exec: {doc}")
        self.ledger.files[path] = f"exec {self.n}\n".encode()

    def _terminal(self):
        w = self.world
        path = f"r{self.n}/t.txt"
        marker = f"typed_{self.n}_"

        async def typed():
            term = await Terminal.open(self.server, w.ws, w.token)
            try:
                await term.wait_state("running")
                await term.type(f"mkdir -p r{self.n}; echo term {self.n} > {path}; "
                                f"echo {marker}$((6*7))\r")
                await term.wait_output(f"{marker}42")
            finally:
                await term.close()

        try:
            asyncio.run(typed())
        except Exception as error:  # OSError, websockets' ConnectionClosed, a missed marker
            if self._cut_off():
                raise Killed(str(error)) from error
            raise
        self.ledger.files[path] = f"term {self.n}\n".encode()

    def _job(self):
        w = self.world
        status, _, doc = self._call("POST", f"/problems/{PROBLEM['id']}/submissions",
                                    token=w.token,
                                    json_body={"language": "python", "files": SOLUTION})
        self._expect(status, doc, 202, "submission")
        self.ledger.jobs[doc["id"]] = None

    def _review_submit(self):
        w = self.world
        status, _, doc = self._call("POST", "/reviews", token=w.token, json_body={
            "workspace_id": w.ws, "title": f"round {self.n}", "description": "d",
            "priority": "normal", "required_level": 1})
        self._expect(status, doc, 201, "review")
        self.review = doc["id"]
        self.ledger.reviews[self.review] = "pending"

    def _review_claim(self):
        w = self.world
        status, _, doc = self._call("POST", f"/reviews/{self.review}/claim",
                                    token=w.reviewer_token)
        self._expect(status, doc, 200, "claim")
        self.ledger.reviews[self.review] = "in_review"

    def _review_decide(self):
        w = self.world
        decision = self.rng.choice(["approve", "reject"])
        status, _, doc = self._call("POST", f"/reviews/{self.review}/decision",
                                    token=w.reviewer_token,
                                    json_body={"decision": decision, "message": "m"})
        self._expect(status, doc, 200, "decision")
        self.ledger.reviews[self.review] = doc["status"]


def kill_point(rng):
    """The seeded point of a round's kill: a step and a delay into it (seconds): as the step
    starts (its request perhaps half sent), within a fast step, or a little later."""
    return rng.choice(STEPS), rng.choice((0.0, rng.uniform(0.0, 0.02), rng.uniform(0.0, 0.1)))

