"""The job queue over HTTP (issue 16): POST /api/v1/jobs and /jobs/batch, GET /jobs/{id}?wait,
GET /jobs, GET /queue/stats, and the queue's refusals (503 for a full queue, 429 for a user
over a limit) with their headers, and callbacks POSTed to a local listener. Every job runs for
real in the local sandbox."""

import concurrent.futures
import threading
import time

import pytest

import prometheus_text
from api_client import call, error_code, register
from api_client import make_server  # noqa: F401  (a fixture)

HELLO = {"language": "python", "files": {"main.py": "print('hello', input())\n"}, "stdin": "ada"}
RUN_KEYS = {"verdict", "exit_code", "signal", "stdout", "stderr", "cpu_ms", "wall_ms", "memory_kb",
            "output_truncated", "compile_output", "compile_ms", "message"}


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


def submit(server, token, body=HELLO):
    return call(server, "POST", "/jobs", token=token, json_body=body)


def wait_done(server, token, job_id, seconds=30):
    status, _, doc = call(server, "GET", f"/jobs/{job_id}?wait={seconds}", token=token)
    assert status == 200, doc
    return doc


def test_a_job_is_queued_then_answered_with_the_run_fields(server, token):
    status, headers, doc = submit(server, token)
    assert status == 202, doc
    assert set(doc) == {"id", "state"} and doc["state"] == "queued"
    assert headers["Location"] == f"/api/v1/jobs/{doc['id']}"
    done = wait_done(server, token, doc["id"])
    assert done["state"] == "done", done
    assert RUN_KEYS <= set(done), done
    assert done["verdict"] == "ok" and done["stdout"] == "hello ada\n" and done["exit_code"] == 0
    assert done["id"] == doc["id"] and done["kind"] == "run" and done["attempt"] == 1
    assert done["created_at"] <= done["started_at"] <= done["finished_at"]


def test_verdicts_come_through_the_queue(server, token):
    cases = {
        "runtime_error": {"language": "python", "files": {"a.py": "raise SystemExit(3)"}},
        "compile_error": {"language": "c", "files": {"a.c": "int main( {"}},
        "time_limit_exceeded": {"language": "python", "time_limit_s": 0.2,
                                "files": {"a.py": "while True: pass"}},
    }
    ids = {}
    for verdict, body in cases.items():
        status, _, doc = submit(server, token, body)
        assert status == 202, doc
        ids[verdict] = doc["id"]
    for verdict, job_id in ids.items():
        assert wait_done(server, token, job_id)["verdict"] == verdict


def test_another_users_job_is_not_found(server, token):
    _, _, doc = submit(server, token)
    other = register(server)["access_token"]
    status, _, err = call(server, "GET", f"/jobs/{doc['id']}", token=other)
    assert status == 404 and error_code(err) == "not_found"
    status, _, err = call(server, "GET", "/jobs/no-such-job", token=token)
    assert status == 404 and error_code(err) == "not_found"
    status, _, _ = call(server, "GET", f"/jobs/{doc['id']}")
    assert status == 401


def test_long_poll_returns_when_the_job_is_done_not_at_the_wait(server, token):
    body = {"language": "python", "files": {"a.py": "import time\ntime.sleep(1)\nprint('up')\n"}}
    _, _, doc = submit(server, token, body)
    status, _, now = call(server, "GET", f"/jobs/{doc['id']}", token=token)
    assert status == 200 and now["state"] in ("queued", "running"), now
    assert "verdict" not in now
    started = time.monotonic()
    done = wait_done(server, token, doc["id"], seconds=25)
    elapsed = time.monotonic() - started
    assert done["state"] == "done" and done["stdout"] == "up\n", done
    assert elapsed < 20, elapsed  # answered when done, well before the 25 s asked
    for bad in ("31", "-1", "x", "nan"):
        status, _, err = call(server, "GET", f"/jobs/{doc['id']}?wait={bad}", token=token)
        assert status == 400 and error_code(err) == "invalid_argument", bad


def test_list_is_mine_newest_first_in_pages(server):
    token = register(server)["access_token"]
    ids = [submit(server, token)[2]["id"] for _ in range(3)]
    other = register(server)["access_token"]
    submit(server, other)
    status, _, page = call(server, "GET", "/jobs?limit=2", token=token)
    assert status == 200, page
    assert len(page["items"]) == 2 and page["next_cursor"]
    status, _, rest = call(server, "GET", f"/jobs?limit=2&cursor={page['next_cursor']}",
                           token=token)
    assert status == 200 and rest["next_cursor"] is None
    listed = [j["id"] for j in page["items"] + rest["items"]]
    assert sorted(listed) == sorted(ids)
    created = [j["created_at"] for j in page["items"] + rest["items"]]
    assert created == sorted(created, reverse=True)
    status, _, err = call(server, "GET", "/jobs?cursor=bogus", token=token)
    assert status == 400 and error_code(err) == "invalid_argument"


def test_batch_queues_all_or_none(server):
    token = register(server)["access_token"]
    jobs = [{"language": "python", "files": {"a.py": f"print({i} * 2)"}} for i in range(5)]
    status, _, doc = call(server, "POST", "/jobs/batch", token=token, json_body={"jobs": jobs})
    assert status == 202, doc
    assert len(doc["ids"]) == 5 and len(set(doc["ids"])) == 5
    for i, job_id in enumerate(doc["ids"]):
        assert wait_done(server, token, job_id)["stdout"] == f"{i * 2}\n"
    # One bad job refuses the batch, naming it; nothing of it is queued.
    bad = jobs[:2] + [{"language": "python", "files": {"../up.py": "x"}}]
    status, _, err = call(server, "POST", "/jobs/batch", token=token, json_body={"jobs": bad})
    assert status == 400 and "job 2" in err["error"]["message"], err
    status, _, page = call(server, "GET", "/jobs?limit=50", token=token)
    assert len(page["items"]) == 5
    for body in ({"jobs": []}, {"jobs": jobs * 5}, {"jobs": "x"}, {}):
        status, _, err = call(server, "POST", "/jobs/batch", token=token, json_body=body)
        assert status == 400 and error_code(err) == "invalid_argument", body


def test_limits_are_checked_against_the_configured_maxima(server, token):
    for field, value in (("time_limit_s", 11), ("memory_limit_mb", 4096), ("output_limit_kb", 0)):
        status, _, err = submit(server, token, {**HELLO, field: value})
        assert status == 400 and field in err["error"]["message"], err


def test_queue_stats(server, token):
    _, _, doc = submit(server, token)
    wait_done(server, token, doc["id"])
    status, _, stats = call(server, "GET", "/queue/stats", token=token)
    assert status == 200, stats
    assert set(stats) == {"depth", "running", "throughput_per_minute", "wait_p50_ms",
                          "wait_p95_ms", "window_s"}
    assert stats["throughput_per_minute"] >= 1
    assert 0 <= stats["wait_p50_ms"] <= stats["wait_p95_ms"]
    assert call(server, "GET", "/queue/stats")[0] == 401


def test_metrics_count_jobs_by_verdict(server, token):
    _, _, doc = submit(server, token)
    wait_done(server, token, doc["id"])
    families = prometheus_text.parse(server.request("GET", "/metrics")[2].decode())
    assert prometheus_text.value(families, "codeyard_jobs_finished_total", verdict="ok") >= 1
    assert prometheus_text.value(families, "codeyard_jobs_queue_depth") >= 0
    assert prometheus_text.value(families, "codeyard_jobs_queue_wait_seconds_count") >= 1
    assert prometheus_text.value(families, "codeyard_jobs_run_seconds_count") >= 1
    assert prometheus_text.value(families, "codeyard_jobs_retries_total") == 0


def test_run_is_a_job_of_the_same_queue(server):
    token = register(server)["access_token"]
    status, _, doc = call(server, "POST", "/run", token=token, json_body=HELLO)
    assert status == 200 and set(doc) == RUN_KEYS and doc["stdout"] == "hello ada\n", doc
    status, _, page = call(server, "GET", "/jobs", token=token)
    # A list leaves outputs out: the state and the verdict.
    assert [(j["state"], j["verdict"]) for j in page["items"]] == [("done", "ok")]
    assert "stdout" not in page["items"][0]


def test_a_full_queue_is_503_with_retry_after_and_the_depth(make_server):
    # No workers: jobs stay queued, so the depth is exact.
    server = make_server("jobs.workers=0", "jobs.max_queue_depth=2")
    token = register(server)["access_token"]
    assert submit(server, token)[0] == 202
    status, _, doc = call(server, "POST", "/jobs/batch", token=token,
                          json_body={"jobs": [HELLO, HELLO]})
    assert status == 503 and error_code(doc) == "unavailable", doc
    status, _, doc = call(server, "POST", "/jobs/batch", token=token, json_body={"jobs": [HELLO]})
    assert status == 202, doc
    status, headers, doc = submit(server, token)
    assert status == 503 and error_code(doc) == "unavailable", doc
    assert int(headers["Retry-After"]) >= 1
    assert "2 jobs queued" in doc["error"]["message"] and "jobs.max_queue_depth" in \
        doc["error"]["message"]
    status, _, stats = call(server, "GET", "/queue/stats", token=token)
    assert stats["depth"] == 2 and stats["running"] == 0


def test_a_user_over_the_per_minute_limit_is_429_with_ratelimit_headers(make_server):
    server = make_server("limits.jobs_per_minute=3")
    token = register(server)["access_token"]
    remaining = []
    for _ in range(2):
        status, headers, doc = submit(server, token)
        assert status == 202, doc
        assert headers["RateLimit-Limit"] == "3"
        remaining.append(int(headers["RateLimit-Remaining"]))
        assert 1 <= int(headers["RateLimit-Reset"]) <= 60
    assert remaining == [2, 1]
    status, headers, doc = call(server, "POST", "/run", token=token, json_body=HELLO)
    assert status == 200 and headers["RateLimit-Remaining"] == "0", doc
    for path in ("/jobs", "/run"):
        status, headers, doc = call(server, "POST", path, token=token, json_body=HELLO)
        assert status == 429 and error_code(doc) == "resource_exhausted", doc
        assert "limits.jobs_per_minute" in doc["error"]["message"]
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["RateLimit-Limit"] == "3" and headers["RateLimit-Remaining"] == "0"
        assert headers["RateLimit-Reset"] == headers["Retry-After"]
    # Another user is not held back.
    other = register(server)["access_token"]
    assert submit(server, other)[0] == 202


def test_concurrent_runs_all_finish_once(server):
    token = register(server)["access_token"]
    body = {"language": "python", "files": {"a.py": "import sys; print(sys.argv[1])"}}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda i: call(server, "POST", "/run", token=token,
                           json_body={**body, "args": [str(i)]}), range(8)))
    assert [a[0] for a in answers] == [200] * 8, [a[2] for a in answers]
    assert sorted(int(a[2]["stdout"]) for a in answers) == list(range(8))
    status, _, page = call(server, "GET", "/jobs?limit=50", token=token)
    assert len(page["items"]) == 8 and all(j["attempt"] == 1 for j in page["items"])


class Receiver:
    """A local HTTP listener for callbacks: answers each POST with the next status of
    `statuses` (then 200) and keeps the bodies."""

    def __init__(self, statuses=()):
        import http.server
        import json as json_module
        self.statuses = list(statuses)
        self.bodies = []
        self.answered = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.changed:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.bodies.append((self.path, json_module.loads(body)))
                    receiver.answered.append(status)
                    receiver.changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count, seconds):
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.bodies) >= count, seconds), \
                f"{len(self.bodies)} of {count} callbacks within {seconds}s"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_callback_is_posted_and_retried_with_backoff(make_server):
    receiver = Receiver(statuses=[500])
    try:
        server = make_server("jobs.callback_hosts=127.0.0.1", "jobs.poll_ms=50")
        token = register(server)["access_token"]
        url = f"http://127.0.0.1:{receiver.port}/hook?job=1"
        status, _, doc = submit(server, token, {**HELLO, "callback_url": url})
        assert status == 202, doc
        done = wait_done(server, token, doc["id"])
        assert done["callback"]["url"] == url
        # The first delivery gets a 500; the second, a backoff later, is accepted.
        receiver.wait_for(2, 30)
        assert receiver.answered[:2] == [500, 200]
        path, body = receiver.bodies[1]
        assert path == "/hook?job=1"
        assert body["id"] == doc["id"] and body["state"] == "done"
        assert body["verdict"] == "ok" and body["stdout"] == "hello ada\n"
        assert RUN_KEYS <= set(body)

        def delivered():
            job = call(server, "GET", f"/jobs/{doc['id']}", token=token)[2]
            return job["callback"]["state"] == "delivered" and job
        deadline = time.monotonic() + 10
        while not delivered():
            assert time.monotonic() < deadline, "the delivery is recorded"
            time.sleep(0.05)
        assert delivered()["callback"]["attempts"] == 2
        # Hosts outside jobs.callback_hosts, and other schemes, are refused at submission.
        for bad in (f"http://localhost:{receiver.port}/", "https://127.0.0.1/", "ftp://x/",
                    "http://user@127.0.0.1/"):
            status, _, err = submit(server, token, {**HELLO, "callback_url": bad})
            assert status == 400 and "callback_url" in err["error"]["message"], bad
    finally:
        receiver.close()


def test_callbacks_are_refused_without_an_allow_list(server, token):
    status, _, err = submit(server, token, {**HELLO, "callback_url": "http://127.0.0.1:9/"})
    assert status == 400 and "jobs.callback_hosts" in err["error"]["message"], err
