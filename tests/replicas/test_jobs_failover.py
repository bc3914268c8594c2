"""A job outlives the replica running it (issue 16): two servers on one PostgreSQL, the one
running a job is killed with SIGKILL mid-run, and the other finishes the job once its lease
has expired, as attempt 2, with exactly one result."""

from api_client import call, register, wait_for

JOB_LEASE_S = 2
JOB_SETTINGS = ["--set", f"jobs.lease_s={JOB_LEASE_S}", "--set", "jobs.poll_ms=50",
                "--set", "jobs.workers=1"]
SLEEPER = {"language": "python", "time_limit_s": 5,
           "files": {"main.py": "import time\nprint('start', flush=True)\ntime.sleep(3)\n"
                                "print('done')\n"}}


def metric(server, name):
    text = server.request("GET", "/metrics")[2].decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_job_of_a_killed_replica_is_finished_once_by_another(cluster):
    a = cluster.start("a", *JOB_SETTINGS)
    token = register(a)["access_token"]
    status, _, doc = call(a, "POST", "/jobs", token=token, json_body=SLEEPER)
    assert status == 202, doc
    job_id = doc["id"]

    def running_on_a():
        _, _, job = call(a, "GET", f"/jobs/{job_id}", token=token)
        return job["state"] == "running" and job
    job = wait_for(running_on_a, 20, "replica a claims the job")
    assert job["attempt"] == 1
    # b starts only now, so that a is the one running the job; a's heartbeat keeps the lease.
    b = cluster.start("b", *JOB_SETTINGS)
    cluster.kill9("a")

    status, _, done = call(b, "GET", f"/jobs/{job_id}?wait=30", token=token)
    assert status == 200, done
    assert done["state"] == "done", done
    assert done["attempt"] == 2, done
    assert done["verdict"] == "ok" and done["stdout"] == "start\ndone\n", done
    # One result: b finished it once and retried it once; the job is not run again.
    assert metric(b, "codeyard_jobs_retries_total") == 1
    assert metric(b, 'codeyard_jobs_finished_total{verdict="ok"}') == 1
    status, _, again = call(b, "GET", f"/jobs/{job_id}", token=token)
    assert again["attempt"] == 2 and again["finished_at"] == done["finished_at"]
    status, _, stats = call(b, "GET", "/queue/stats", token=token)
    assert stats["depth"] == 0 and stats["running"] == 0
