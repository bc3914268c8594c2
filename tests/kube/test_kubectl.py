"""kubectl (the Cloud SDK dispatcher, which runs kubectl 1.32 against the fake's /version)
against codeyard-kube-fake: real pods, tables, describe, logs, exec with WebSocket v5, delete
waiting for its watch, TLS with a bearer token, and RBAC-style denials."""

import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import fcntl
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kube_fake"))
from fakeserver import KUBECTL, Fake, wait_for  # noqa: E402



def test_kubectl_is_installed():
    # The suite checks the fake against the real client; without kubectl it must fail, not skip
    # (Debian has no kubectl package: these machines carry Google's, see docs/kubernetes.md).
    assert os.path.exists(KUBECTL), f"{KUBECTL} is missing: the fake's fidelity cannot be checked"


@pytest.fixture
def fake(tmp_path):
    f = Fake(tmp_path / "fake")
    yield f
    f.stop()


SLEEPER = ["sh", "-c", "echo started; exec sleep 1000"]


def test_get_pods_prints_table_columns_and_filters_by_label(fake):
    fake.create_pod("web-a", SLEEPER, {"app": "web", "tier": "a"})
    fake.create_pod("db-b", SLEEPER, {"app": "db"})
    fake.wait_phase("web-a", "Running")
    fake.wait_phase("db-b", "Running")

    out = fake.kubectl("get", "pods", "-l", "app=web")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(lines) == 2 and lines[1].split()[:4] == ["web-a", "1/1", "Running", "0"]

    wide = fake.kubectl("get", "pods", "-o", "wide", "-l", "app in (web,db)")
    assert wide.returncode == 0, wide.stderr
    assert "IP" in wide.stdout.splitlines()[0] and "NODE" in wide.stdout.splitlines()[0]
    assert "127.0.0.1" in wide.stdout and "codeyard-kube-fake" in wide.stdout
    assert {l.split()[0] for l in wide.stdout.splitlines()[1:]} == {"web-a", "db-b"}

    listed = json.loads(fake.kubectl("get", "pods", "-o", "json", "-l", "app!=web").stdout)
    assert [p["metadata"]["name"] for p in listed["items"]] == ["db-b"]
    assert fake.kubectl("get", "pods", "-l", "tier").stdout.splitlines()[1].startswith("web-a")
    none = fake.kubectl("get", "pods", "-l", "!app")
    assert "No resources found in default namespace." in none.stderr


def test_describe_shows_the_pods_events(fake):
    fake.create_pod("desc", SLEEPER, {"app": "d"})
    fake.wait_phase("desc", "Running")
    out = fake.kubectl("describe", "pods", "-l", "app=d")
    assert out.returncode == 0, out.stderr
    assert "Status:             Running" in out.stdout or "Running" in out.stdout
    for reason in ("Scheduled", "Pulled", "Created", "Started"):
        assert reason in out.stdout.split("Events:")[1], out.stdout


def test_logs_tail_timestamps_and_follow(fake):
    fake.create_pod("talker", ["sh", "-c", "for i in 1 2 3; do echo line$i; done; read x; echo bye"])
    fake.wait_phase("talker", "Running")
    wait_for(lambda: "line3" in fake.kubectl("logs", "talker").stdout, what="logs")
    assert fake.kubectl("logs", "talker").stdout == "line1\nline2\nline3\n"
    assert fake.kubectl("logs", "talker", "--tail=1").stdout == "line3\n"
    stamped = fake.kubectl("logs", "talker", "--timestamps").stdout.splitlines()
    assert stamped[0].endswith(" line1") and stamped[0][:4].isdigit() and "T" in stamped[0]

    fake.create_pod("ender", ["sh", "-c",
                              "echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two"])
    fake.wait_phase("ender", "Running")
    follow = subprocess.Popen([KUBECTL, "logs", "-f", "ender"], env=fake.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follow.stdout.readline() == "one\n"
        assert fake.kubectl("exec", "ender", "--", "touch", "/tmp/go").returncode == 0
        # The stream goes on with what the container writes next and ends when it exits.
        out, err = follow.communicate(timeout=60)
    finally:
        follow.kill()
    assert out == "two\n" and follow.returncode == 0, err
    fake.wait_phase("ender", "Succeeded")
    assert fake.kubectl("logs", "-f", "ender").stdout == "one\ntwo\n"


def test_exec_exit_code_and_separate_streams(fake):
    fake.create_pod("ex", SLEEPER)
    fake.wait_phase("ex", "Running")
    out = fake.kubectl("exec", "ex", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert out.returncode == 3
    assert out.stdout == "out\n"
    assert "err\n" in out.stderr and "command terminated with exit code 3" in out.stderr
    ok = fake.kubectl("exec", "ex", "--", "true")
    assert ok.returncode == 0, ok.stderr
    gets = [l for l in fake.audit_lines() if l["subresource"] == "exec"]
    assert gets and all(l["verb"] == "get" and l["resource"] == "pods" for l in gets)


def test_exec_stdin_reaches_eof(fake):
    fake.create_pod("cat", SLEEPER)
    fake.wait_phase("cat", "Running")
    # cat ends only when kubectl's v5 CLOSE frame closes its stdin.
    out = subprocess.run(f"printf ab | {KUBECTL} exec -i cat -- cat", shell=True, env=fake.env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ab"
    big = "x" * 300000
    out = fake.kubectl("exec", "-i", "cat", "--", "wc", "-c", input=big)
    assert out.stdout.strip() == "300000"


def test_cp_both_ways_is_tar_over_exec(fake, tmp_path):
    fake.create_pod("files", SLEEPER)
    fake.wait_phase("files", "Running")
    src = tmp_path / "up.bin"
    src.write_bytes(bytes(range(256)) * 1000)
    up = fake.kubectl("cp", str(src), "files:/tmp/up.bin")
    assert up.returncode == 0, up.stderr
    assert fake.kubectl("exec", "files", "--", "wc", "-c", "/tmp/up.bin").stdout.split()[0] == "256000"
    back = tmp_path / "back.bin"
    down = fake.kubectl("cp", "files:/tmp/up.bin", str(back))
    assert down.returncode == 0, down.stderr
    assert back.read_bytes() == src.read_bytes()


def test_exec_tty_gets_the_terminal_size_and_input(fake):
    fake.create_pod("tty", SLEEPER)
    fake.wait_phase("tty", "Running")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(KUBECTL, [KUBECTL, "exec", "-i", "-t", "tty", "--", "sh", "-c",
                            "stty size; read line; echo got:$line; exit 5"], fake.env())
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
    seen = b""
    deadline = time.monotonic() + 60
    sent = False
    exited = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            seen += chunk
        if b"33 101" in seen and not sent:
            os.write(fd, b"hello\r")
            sent = True
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exited = status
            break
    if exited is None:
        _, exited = os.waitpid(pid, 0)
    os.close(fd)
    assert b"33 101" in seen, seen
    assert b"got:hello" in seen, seen
    assert os.WIFEXITED(exited) and os.WEXITSTATUS(exited) == 5


def test_delete_by_label_waits_for_the_deleted_event(fake):
    # It takes a moment to stop, so kubectl has to wait for the DELETED event.
    fake.create_pod("gone-1", ["sh", "-c", "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done"],
                    {"app": "gone"})
    fake.create_pod("stay", SLEEPER, {"app": "stay"})
    fake.wait_phase("gone-1", "Running")
    fake.wait_phase("stay", "Running")
    out = fake.kubectl("delete", "pods", "-l", "app=gone")
    assert out.returncode == 0, out.stderr
    assert 'pod "gone-1" deleted' in out.stdout
    # kubectl returned only after the pod was gone.
    assert fake.pod("gone-1") is None
    names = fake.kubectl("get", "pods", "-o", "name").stdout.split()
    assert names == ["pod/stay"]
    verbs = [(l["verb"], l["resource"]) for l in fake.audit_lines()]
    assert ("delete", "pods") in verbs and ("watch", "pods") in verbs


def test_exec_into_a_missing_pod_and_the_spdy_fallback_get_statuses(fake):
    out = fake.kubectl("exec", "nope", "--", "true")
    assert out.returncode == 1
    assert 'pods "nope" not found' in out.stderr
    fake.create_pod("live", SLEEPER)
    fake.wait_phase("live", "Running")
    status, body, _ = fake.request("POST", "/api/v1/namespaces/default/pods/live/exec?command=true&stdout=1")
    assert status == 400 and body["kind"] == "Status" and "WebSocket" in body["message"]
    # Who asked is recorded too: the User-Agent, here the suite's own urllib request.
    posts = [l for l in fake.audit_lines()
             if (l["verb"], l["resource"], l["subresource"], l["namespace"]) ==
             ("create", "pods", "exec", "default")]
    assert posts and all(l["user_agent"].startswith("Python-urllib/") for l in posts), posts


def test_tls_token_and_rotation(tmp_path):
    fake = Fake(tmp_path / "tls", "--tls")
    try:
        assert fake.config["token"] and fake.config["ca"]
        fake.create_pod("secure", SLEEPER)
        out = fake.kubectl("get", "pods")
        assert out.returncode == 0, out.stderr
        assert "secure" in out.stdout
        status, _, _ = fake.request("GET", "/api/v1/namespaces/default/pods", token="wrong")
        assert status == 401
        fake.control("rotate-token", token="fresh-token")
        refused = fake.kubectl("get", "pods")
        assert refused.returncode == 1
        assert "Unauthorized" in refused.stderr
    finally:
        fake.stop()


def test_denied_verb_gets_the_rbac_forbidden_text(tmp_path):
    fake = Fake(tmp_path / "deny", "--deny", "list:pods")
    try:
        out = fake.kubectl("get", "pods")
        assert out.returncode == 1
        assert ('Error from server (Forbidden): pods is forbidden: User '
                '"system:serviceaccount:codeyard:codeyard-server" cannot list resource "pods" in '
                'API group "" in the namespace "default"') in out.stderr
    finally:
        fake.stop()


def read_line(proc, timeout=30):
    """One line of proc's stdout, with a deadline."""
    deadline = time.monotonic() + timeout
    line = b""
    fd = proc.stdout.fileno()
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0, f"no line from {proc.args}: {line!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1)
            assert chunk, f"{proc.args} ended: {line!r}"
            line += chunk
    return line.decode()


def test_get_watch_prints_table_rows_as_the_pod_changes(fake):
    fake.create_pod("watched", SLEEPER)
    fake.wait_phase("watched", "Running")
    proc = subprocess.Popen([KUBECTL, "get", "pods", "-w"], env=fake.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert read_line(proc).split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert read_line(proc).split()[:3] == ["watched", "1/1", "Running"]
        status, _, _ = fake.request("DELETE", "/api/v1/namespaces/default/pods/watched",
                                    {"gracePeriodSeconds": 0})
        assert status == 200
        assert read_line(proc).split()[:3] == ["watched", "0/1", "Terminating"]
    finally:
        proc.kill()
        proc.wait()
