"""Issue 21, "Fault injection with nothing lost": PostgreSQL stopped and started again under load.

The server runs on a PostgreSQL cluster of the test's own. Writers keep writing files while
the cluster is stopped (a fast shutdown: every connection of the server's pool is cut) and
started again on the same port. Meanwhile every request must get either its success or 503
`unavailable` with the error envelope (no 500, no hang, no crash); once the database is back
the server recovers alone (the same process, no restart), and every write it acknowledged
before, during or after the outage is stored with its content.
"""

import threading
import time

from api_client import call, create_workspace, error_code, register, wait_for
from test_server import Server

WRITERS = 3


def test_postgres_stopped_and_restarted_under_load(tmp_path, postgres):
    server = Server(tmp_path, "--storage", postgres.uri, "--set", "executor.pool_size=0")
    try:
        token = register(server)["access_token"]
        ws = create_workspace(server, token)["id"]
        acked = {}      # path -> content the server answered 200 for
        answers = []    # (status, error code or None) of every write
        stop = threading.Event()
        lock = threading.Lock()

        def writer(n):
            i = 0
            while not stop.is_set():
                i += 1
                path = f"w{n}/f{i}.txt"
                content = f"writer {n} file {i}\n".encode()
                status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}",
                                      token=token, body=content)
                code = error_code(doc) if status != 200 else None
                with lock:
                    answers.append((status, code))
                    if status == 200:
                        acked[path] = content
                if status != 200:
                    time.sleep(0.02)

        threads = [threading.Thread(target=writer, args=(n,), daemon=True)
                   for n in range(WRITERS)]
        for t in threads:
            t.start()

        def count(status):
            with lock:
                return sum(1 for s, _ in answers if s == status)

        wait_for(lambda: count(200) >= 20, 30, "writes succeed before the outage")
        postgres.stop()
        down_at = len(answers)
        wait_for(lambda: count(503) >= 5, 60, "503 answers while PostgreSQL is down")
        status, _, doc = call(server, "GET", "/ready")
        assert status == 503, doc  # readiness tells the load balancer
        during = count(200)
        postgres.start()
        wait_for(lambda: count(200) >= during + 20, 60,
                 "writes succeed again once PostgreSQL is back, without a restart")
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert server.proc.poll() is None, server.stderr()[-3000:]  # the same process

        with lock:
            others = [(s, c) for s, c in answers if s != 200 and (s, c) != (503, "unavailable")]
            after_down = answers[down_at:]
        assert not others, others[:10]
        assert any(s == 503 for s, _ in after_down)
        assert call(server, "GET", "/ready")[0] == 200
        for path, content in sorted(acked.items()):
            status, _, body = call(server, "GET", f"/workspaces/{ws}/files/{path}", token=token)
            assert (status, body) == (200, content), path
    finally:
        server.stop(timeout=30)
