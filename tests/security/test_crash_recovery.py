"""Issue 13 item 17: `kill -9` of the server must not lose what was written in a pod.

Writes made during an exec, and terminal writes inside the sync debounce window, exist only
in the workspace's pod when the server dies. The pod survives its server; once the dead
server's lease on it expires, the next server on the same data directory takes it over
(issue 14: its reaper does so without waiting for anyone to open the workspace) and saves its
files, so the files come back through the API (from storage, not only from the pod).
"""

import asyncio
import signal
import threading
import time

from api_client import call, create_workspace, register
from terminal_client import Terminal, marker_echo
from test_server import Server

# A short lease: the second server takes the dead one's workspace over within seconds.
LEASE_S = 2
LEASE = ("--set", f"workspace.lease_s={LEASE_S}")


def test_kill_9_during_an_exec_and_terminal_writes_loses_nothing(tmp_path):
    first = Server(tmp_path, *LEASE)
    try:
        token = register(first)["access_token"]
        ws = create_workspace(first, token, "crash")["id"]

        exec_outcome = {}

        def long_exec():
            try:
                exec_outcome["response"] = call(
                    first, "POST", f"/workspaces/{ws}/exec", token=token,
                    json_body={"argv": ["sh", "-c", "echo from the exec > exec.txt; sleep 60"]})
            except OSError as error:  # the server died under it, as intended
                exec_outcome["error"] = error

        async def write_then_crash():
            term = await Terminal.open(first, ws, token)
            await term.wait_state("running")
            # The first line of output starts a sync pass at once; later writes wait out the
            # 2 s debounce window, inside which the server is killed.
            await marker_echo(term, "warm")
            runner = threading.Thread(target=long_exec, daemon=True)
            runner.start()
            start = len(term.output)
            # Waits until the exec has written its file: the exec is in flight.
            await term.type("while [ ! -e exec.txt ]; do sleep 0.05; done; "
                            "echo typed in the terminal > term.txt; echo wrote_$((6*7))\r")
            await term.wait_output("wrote_42", after=start)
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=10)
            return runner

        runner = asyncio.run(write_then_crash())
        runner.join(timeout=30)
        assert "response" not in exec_outcome, exec_outcome  # it never finished
    finally:
        first.stop()

    second = Server(tmp_path, *LEASE)  # the same data directory
    try:
        deadline = time.monotonic() + 10 * LEASE_S + 20
        for path, content in (("exec.txt", b"from the exec\n"),
                              ("term.txt", b"typed in the terminal\n")):
            while True:
                status, _, body = call(second, "GET", f"/workspaces/{ws}/files/{path}",
                                       token=token)
                if status == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)  # stored once the second server takes the expired lease
            assert (status, body) == (200, content), (path, status, body, second.stderr()[-2000:])
        status, _, doc = call(second, "GET", f"/workspaces/{ws}", token=token)
        assert status == 200 and doc["state"] == "running", doc  # the same pod, now its own
        status, _, doc = call(second, "POST", f"/workspaces/{ws}/exec", token=token,
                              json_body={"argv": ["cat", "exec.txt", "term.txt"]})
        assert status == 200, doc
        assert doc["stdout"] == "from the exec\ntyped in the terminal\n"
        assert "adopted a workspace pod" in second.stderr()
    finally:
        second.stop()
