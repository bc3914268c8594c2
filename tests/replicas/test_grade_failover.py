"""A submission outlives the replica grading it (issue 16): two servers on one PostgreSQL, the
one grading a submission is killed with SIGKILL mid-grade (the submission sleeps in its test),
and the other grades it again once the lease has expired, as attempt 2, with one result; the
person's progress counts the submission exactly once (the grade kind's completion hook runs in
the transaction that stores the one result)."""

import subprocess

from api_client import call, register
from test_jobs_failover import JOB_SETTINGS, metric, wait_for

# One test whose accepted program sleeps well inside the limit (wall time is twice the CPU
# limit): long enough that its grader is still mid-test after the second replica has started,
# however loaded the machine, and short enough that the second grading passes.
PROBLEM = {
    "id": "slow-echo",
    "title": "Slow echo",
    "limits": {"time_limit_s": 10},
    "tests": [{"name": "only", "input": "41\n", "expected_output": "42\n"}],
}
SLEEPER = {"a.py": "import time\nn = int(input())\ntime.sleep(8)\nprint(n + 1)\n"}


def make_admin(cluster, server):
    session = register(server)
    user_id = session["user"]["id"]
    subprocess.run(["psql", cluster.storage, "-q", "-c",
                    f"UPDATE users SET role = 'admin' WHERE id = '{user_id}'"],
                   check=True, capture_output=True)
    return session["access_token"]


def test_a_submission_of_a_killed_replica_is_graded_once_by_another(cluster):
    a = cluster.start("a", *JOB_SETTINGS)
    admin = make_admin(cluster, a)
    status, _, doc = call(a, "POST", "/problems", token=admin, json_body=PROBLEM)
    assert status == 201, doc
    token = register(a)["access_token"]
    status, _, sub = call(a, "POST", "/problems/slow-echo/submissions", token=token,
                          json_body={"language": "python", "files": SLEEPER})
    assert status == 202, sub
    sub_id = sub["id"]

    def grading_on_a():
        _, _, job = call(a, "GET", f"/jobs/{sub_id}", token=token)
        return job["state"] == "running" and job
    job = wait_for(grading_on_a, 20, "replica a claims the grading")
    assert job["kind"] == "grade" and job["attempt"] == 1, job
    # b starts only now, so that a is the one grading; a's heartbeat keeps the lease.
    b = cluster.start("b", *JOB_SETTINGS)
    cluster.kill9("a")

    status, _, done = call(b, "GET", f"/submissions/{sub_id}?wait=30", token=token)
    assert status == 200, done
    assert done["state"] == "done", done
    assert done["verdict"] == "accepted" and done["score"] == done["max_score"] == 1, done
    status, _, job = call(b, "GET", f"/jobs/{sub_id}", token=token)
    assert job["attempt"] == 2 and job["finished_at"] == done["finished_at"], job
    assert metric(b, "codeyard_jobs_retries_total") == 1
    assert metric(b, 'codeyard_jobs_finished_total{verdict="accepted"}') == 1

    # Progress counts the submission once: one attempt, solved, whichever replica answers.
    status, _, progress = call(b, "GET", "/progress", token=token)
    assert status == 200, progress
    assert [(p["problem"], p["attempts"], p["solved"], p["best_score"])
            for p in progress["problems"]] == [("slow-echo", 1, True, 1)], progress
    assert progress["overall"] == {"attempted": 1, "solved": 1, "points": 1}, progress
    status, _, listed = call(b, "GET", "/submissions?problem=slow-echo", token=token)
    assert [s["id"] for s in listed["items"]] == [sub_id], listed
