"""The CLI as a client of a running server: the real `codeyard-server` on loopback (started
here, SQLite in its data dir), the real `codeyard` binary. login (file mode 0600, refresh when
the access token has expired), logout, workspace list/create/rm/exec/push/pull (a round trip
with a conflict; `.syncignore` honoured both ways, a conflict met by a pull), submit (exit 0
only when accepted), review list/show/submit, jobs stats, and
the exit codes of each."""

import json
import os
import pathlib
import stat
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "server"))
os.environ.setdefault("CODEYARD_SERVER_BIN",
                      str(pathlib.Path(os.environ.get("CODEYARD_CLI_BIN", "")).parent
                          / "codeyard-server"))

from cli_helpers import codeyard, ok, ok_json  # noqa: E402
from test_server import Server  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "problems"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("cli_server"))
    for name, extra in (("alice", ()), ("rita", ("--reviewer-level", "2"))):
        ok(codeyard("user", "add", name, "--password-stdin", "--data", s.data_dir, *extra,
                    stdin=PASSWORD + "\n"))
    yield s
    s.stop()


def url(server):
    return f"http://127.0.0.1:{server.port}"


def login(server, home, name="alice"):
    ok(codeyard("login", url(server), "--username", name, "--password-stdin", config_home=home,
                stdin=PASSWORD + "\n"))


@pytest.fixture
def home(server, tmp_path):
    h = tmp_path / "config"
    login(server, h)
    return h


def cy(home, *args, **kwargs):
    return codeyard(*args, config_home=home, **kwargs)


def test_login_keeps_the_token_0600(server, tmp_path):
    home = tmp_path / "cfg"
    login(server, home)
    f = home / "codeyard" / "login.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE(f.parent.stat().st_mode) == 0o700
    saved = json.loads(f.read_text())
    assert saved["url"] == url(server) and saved["username"] == "alice"
    assert saved["access_token"] and saved["refresh_token"]
    wrong = codeyard("login", url(server), "--username", "alice", "--password-stdin",
                     config_home=tmp_path / "other", stdin="wrong password\n")
    assert wrong.returncode == 4 and wrong.stderr.startswith("codeyard: ")
    ok(cy(home, "logout"))
    assert not f.exists()
    after = cy(home, "workspace", "list")
    assert after.returncode == 4 and "login" in after.stderr


def test_an_expired_access_token_is_refreshed(server, home):
    f = home / "codeyard" / "login.json"
    saved = json.loads(f.read_text())
    saved["access_expires_at"] = 1  # long past
    f.write_text(json.dumps(saved))
    ok(cy(home, "workspace", "list"))
    renewed = json.loads(f.read_text())
    assert renewed["refresh_token"] != saved["refresh_token"]
    assert renewed["access_expires_at"] > 1
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    # A token the server refuses before its time is traded once too.
    renewed["access_token"] = "not-a-token"
    f.write_text(json.dumps(renewed))
    ok(cy(home, "workspace", "list"))


def test_workspace_create_list_exec_rm(server, home):
    ws = ok(cy(home, "workspace", "create", "demo")).strip()
    assert len(ws) == 36
    obj = ok_json(cy(home, "workspace", "create", "demo2", "--json"))
    assert obj["name"] == "demo2" and obj["id"]
    listed = ok_json(cy(home, "workspace", "list", "--json"))
    assert {"demo", "demo2"} <= {w["name"] for w in listed}
    assert cy(home, "workspace", "create", "demo").returncode == 5  # name taken
    r = cy(home, "workspace", "exec", ws, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert cy(home, "workspace", "exec", ws, "--", "true").returncode == 0
    ok(cy(home, "workspace", "rm", ws))
    gone = cy(home, "workspace", "rm", ws)
    assert gone.returncode == 3 and gone.stderr.startswith("codeyard: not_found")
    assert cy(home, "workspace", "exec", ws, "--", "true").returncode == 3


def test_push_pull_round_trip_with_a_conflict(server, home, tmp_path):
    ws = ok(cy(home, "workspace", "create", "sync")).strip()
    a = tmp_path / "a"
    (a / "sub").mkdir(parents=True)
    (a / "main.py").write_text("print('one')\n")
    (a / "sub" / "x.txt").write_text("x\n")
    (a / "node_modules").mkdir()
    (a / "node_modules" / "big.js").write_text("ignored\n")
    pushed = ok_json(cy(home, "workspace", "push", ws, a, "--json"))
    assert sorted(pushed["pushed"]) == ["main.py", "sub/x.txt"] and pushed["conflicts"] == []
    assert cy(home, "workspace", "exec", ws, "--", "python3", "main.py").stdout == "one\n"

    b = tmp_path / "b"
    pulled = ok_json(cy(home, "workspace", "pull", ws, b, "--json"))
    assert sorted(pulled["pulled"]) == ["main.py", "sub/x.txt"]
    assert (b / "main.py").read_text() == "print('one')\n"
    assert (b / "sub" / "x.txt").read_text() == "x\n"
    assert ok_json(cy(home, "workspace", "pull", ws, b, "--json"))["pulled"] == []

    # Both sides change main.py: the server's stays, ours is kept aside on both sides.
    ok(cy(home, "workspace", "exec", ws, "--", "sh", "-c", "echo \"print('server')\" > main.py"))
    (a / "main.py").write_text("print('local')\n")
    conflict = cy(home, "workspace", "push", ws, a, "--json")
    assert conflict.returncode == 5, conflict.stderr
    report = json.loads(conflict.stdout)
    [c] = report["conflicts"]
    assert c["path"] == "main.py" and c["kept_as"].startswith("main.conflict-")
    assert (a / "main.py").read_text() == "print('server')\n"
    assert (a / c["kept_as"]).read_text() == "print('local')\n"
    remote = cy(home, "workspace", "exec", ws, "--", "cat", c["kept_as"])
    assert remote.stdout == "print('local')\n"

    # A local deletion is pushed; pull brings it (and the conflict copy) to the other folder.
    (a / "sub" / "x.txt").unlink()
    pushed = ok_json(cy(home, "workspace", "push", ws, a, "--json"))
    assert pushed["deleted"] == ["sub/x.txt"] and pushed["conflicts"] == []
    pulled = ok_json(cy(home, "workspace", "pull", ws, b, "--json"))
    assert pulled["deleted"] == ["sub/x.txt"]
    assert sorted(pulled["pulled"]) == sorted(["main.py", c["kept_as"]])
    assert not (b / "sub" / "x.txt").exists()
    assert (b / "main.py").read_text() == "print('server')\n"
    assert cy(home, "workspace", "push", ws, tmp_path / "missing").returncode == 3


def stored_files(server, home, ws):
    token = json.loads((home / "codeyard" / "login.json").read_text())["access_token"]
    status, _, body = server.request("GET", f"/api/v1/workspaces/{ws}/tree?limit=200",
                                     headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    page = json.loads(body)
    assert not page.get("next_cursor")
    return sorted(i["path"] for i in page["items"] if i["kind"] == "file")


def test_push_pull_honour_syncignore_and_a_pull_meets_a_conflict(server, home, tmp_path):
    ws = ok(cy(home, "workspace", "create", "ignores")).strip()
    # Files on the server before any .syncignore exists (pushed from a folder without one).
    c = tmp_path / "c"
    (c / "build").mkdir(parents=True)
    (c / "gen.log").write_text("server log\n")
    (c / "build" / "y.o").write_text("object\n")
    (c / "main.py").write_text("print('one')\n")
    pushed = ok_json(cy(home, "workspace", "push", ws, c, "--json"))
    assert sorted(pushed["pushed"]) == ["build/y.o", "gen.log", "main.py"]

    # A folder with rules: *.log and the root's build/ are left alone, keep.log taken back.
    a = tmp_path / "a"
    (a / "build").mkdir(parents=True)
    (a / "src" / "build").mkdir(parents=True)
    (a / ".syncignore").write_text("# rules\n*.log\n/build/\n!keep.log\n")
    (a / "keep.log").write_text("kept\n")
    (a / "local.log").write_text("mine only\n")
    (a / "build" / "z.o").write_text("mine only\n")
    (a / "src" / "build" / "ok.txt").write_text("not the root's build\n")
    pushed = ok_json(cy(home, "workspace", "push", ws, a, "--json"))
    assert sorted(pushed["pushed"]) == [".syncignore", "keep.log", "src/build/ok.txt"]
    assert pushed["deleted"] == [] and pushed["left"] == 1  # main.py, for pull
    # What storage holds (the pod would not show ignored files: the engine skips them too).
    assert stored_files(server, home, ws) == [".syncignore", "build/y.o", "gen.log", "keep.log",
                                              "main.py", "src/build/ok.txt"]

    pulled = ok_json(cy(home, "workspace", "pull", ws, a, "--json"))
    assert pulled["pulled"] == ["main.py"] and pulled["deleted"] == []
    assert not (a / "gen.log").exists() and not (a / "build" / "y.o").exists()
    assert (a / "local.log").read_text() == "mine only\n"

    # A fresh folder gets the workspace's rules from the server's .syncignore.
    b = tmp_path / "b"
    pulled = ok_json(cy(home, "workspace", "pull", ws, b, "--json"))
    assert sorted(pulled["pulled"]) == [".syncignore", "keep.log", "main.py", "src/build/ok.txt"]

    # Both sides change main.py, met by a pull: the server's version wins the path.
    ok(cy(home, "workspace", "exec", ws, "--", "sh", "-c", "echo \"print('server')\" > main.py"))
    (a / "main.py").write_text("print('local')\n")
    conflict = cy(home, "workspace", "pull", ws, a, "--json")
    assert conflict.returncode == 5, conflict.stderr
    [c] = json.loads(conflict.stdout)["conflicts"]
    assert c["path"] == "main.py" and c["kept_as"].startswith("main.conflict-")
    assert (a / "main.py").read_text() == "print('server')\n"
    assert (a / c["kept_as"]).read_text() == "print('local')\n"
    assert cy(home, "workspace", "exec", ws, "--", "cat", c["kept_as"]).stdout == "print('local')\n"


def test_submit_waits_and_exits_0_only_when_accepted(server, home):
    ok(codeyard("problems", "import", "--data", server.data_dir, EXAMPLES / "sum"))
    good = cy(home, "submit", "sum", EXAMPLES / "sum" / "submissions" / "accepted" / "sum.py",
              timeout=300)
    assert good.returncode == 0, good.stderr
    assert "verdict: accepted" in good.stdout and "sample" in good.stdout
    bad = cy(home, "submit", "sum",
             EXAMPLES / "sum" / "submissions" / "wrong_answer" / "int32.c", "--json",
             timeout=300)
    assert bad.returncode == 1
    graded = json.loads(bad.stdout)
    assert graded["verdict"] == "wrong_answer" and graded["tests"]
    missing = cy(home, "submit", "no-such-problem",
                 EXAMPLES / "sum" / "submissions" / "accepted" / "sum.py")
    assert missing.returncode == 3


def test_review_submit_list_show_and_jobs_stats(server, home, tmp_path):
    ws = ok(cy(home, "workspace", "create", "for-review")).strip()
    review = ok(cy(home, "review", "submit", ws, "--title", "Loops", "--priority", "high",
                   "--level", "1")).strip()
    mine = ok_json(cy(home, "review", "list", "--json"))
    assert review in [r["id"] for r in mine]
    shown = ok_json(cy(home, "review", "show", review, "--json"))
    assert shown["title"] == "Loops" and shown["status"] == "pending"
    assert "Loops" in ok(cy(home, "review", "show", review))
    rita = tmp_path / "rita"
    login(server, rita, "rita")
    queue = ok_json(cy(rita, "review", "list", "--role", "queue", "--json"))
    assert review in [r["id"] for r in queue]
    assert cy(rita, "review", "show", "00000000-0000-4000-8000-000000000000").returncode == 3
    stats = ok_json(cy(home, "jobs", "stats", "--json"))
    assert {"depth", "running", "throughput_per_minute", "wait_p50_ms", "wait_p95_ms",
            "window_s"} <= set(stats)
    assert "depth" in ok(cy(home, "jobs", "stats"))
