"""Local administration, end to end on a data directory's SQLite: `codeyard user ...`
(every subcommand, its exit codes and --json shapes), `backup` then `restore` into a fresh
data dir (the users are there), `gc`, `serve` (execs codeyard-server), the one-line errors,
and the bash completion file sourced in bash."""

import os
import pathlib
import shlex
import sqlite3
import subprocess

from cli_helpers import CLI, codeyard, ok, ok_json

COMPLETION = pathlib.Path(__file__).resolve().parents[2] / "shells" / "cli" / "completion.bash"
PASSWORD = "correct horse battery"


def add(data, name, *extra):
    return codeyard("user", "add", name, "--password-stdin", "--data", data, *extra,
                    stdin=PASSWORD + "\n")


def test_user_add_and_list(tmp_path):
    data = tmp_path / "data"
    user_id = ok(add(data, "alice", "--role", "admin", "--reviewer-level", "2")).strip()
    assert len(user_id) == 36
    ok(add(data, "bob"))
    users = ok_json(codeyard("user", "list", "--json", "--data", data))
    assert [u["username"] for u in users] == ["alice", "bob"]
    alice = users[0]
    assert alice == {"id": user_id, "username": "alice", "role": "admin", "reviewer_level": 2,
                     "disabled": False, "created_at": alice["created_at"]}
    assert users[1]["role"] == "user" and users[1]["reviewer_level"] == 0
    text = ok(codeyard("user", "list", "--data", data)).splitlines()
    assert len(text) == 2 and "alice" in text[0] and "admin" in text[0]


def test_user_add_refusals(tmp_path):
    data = tmp_path / "data"
    ok(add(data, "alice"))
    taken = add(data, "ALICE")
    assert taken.returncode == 5, taken.stderr  # already exists
    assert taken.stderr.startswith("codeyard: ") and taken.stderr.count("\n") == 1
    short = codeyard("user", "add", "carol", "--password-stdin", "--data", data, stdin="short\n")
    assert short.returncode == 2 and "password" in short.stderr
    no_flag = codeyard("user", "add", "dave", "--data", data, stdin=PASSWORD)
    assert no_flag.returncode == 2 and "--password-stdin" in no_flag.stderr
    bad_level = add(data, "erin", "--reviewer-level", "7")
    assert bad_level.returncode == 2


def test_user_setters(tmp_path):
    data = tmp_path / "data"
    ok(add(data, "alice"))
    assert ok_json(codeyard("user", "set-level", "alice", "3", "--json", "--data", data))[
        "reviewer_level"] == 3
    assert codeyard("user", "set-level", "alice", "9", "--data", data).returncode == 2
    assert ok_json(codeyard("user", "set-role", "alice", "admin", "--json", "--data", data))[
        "role"] == "admin"
    assert codeyard("user", "set-role", "alice", "king", "--data", data).returncode == 2
    assert ok_json(codeyard("user", "disable", "alice", "--json", "--data", data))["disabled"]
    assert not ok_json(codeyard("user", "disable", "alice", "--enable", "--json", "--data",
                                data))["disabled"]
    missing = codeyard("user", "set-level", "nobody", "1", "--data", data)
    assert missing.returncode == 3 and "nobody" in missing.stderr
    # The new password is the one stored: its argon2id hash changes.
    db = sqlite3.connect(data / "codeyard.db")
    before = db.execute("SELECT password_hash FROM users").fetchone()[0]
    out = ok(codeyard("user", "passwd", "alice", "--password-stdin", "--data", data,
                      stdin="another long password\n"))
    assert "alice" in out
    after = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert after != before and after.startswith("$argon2id$")


def test_backup_then_restore_into_a_fresh_data_dir(tmp_path):
    data = tmp_path / "data"
    user_id = ok(add(data, "alice")).strip()
    backup = tmp_path / "backup.db"
    out = ok(codeyard("backup", backup, "--data", data))
    assert "backed up" in out and backup.stat().st_size > 0
    again = codeyard("backup", backup, "--data", data)
    assert again.returncode == 5  # never overwritten
    fresh = tmp_path / "fresh"
    out = ok(codeyard("restore", backup, "--data", fresh))
    assert "restored" in out
    users = ok_json(codeyard("user", "list", "--json", "--data", fresh))
    assert [(u["id"], u["username"]) for u in users] == [(user_id, "alice")]
    # A data dir that has a database is not replaced without --force.
    assert codeyard("restore", backup, "--data", fresh).returncode == 5
    ok(codeyard("restore", backup, "--data", fresh, "--force"))
    missing = codeyard("restore", tmp_path / "none.db", "--data", tmp_path / "x")
    assert missing.returncode == 3


def test_backup_on_postgres_prints_guidance(tmp_path):
    r = codeyard("backup", tmp_path / "b.db", "--storage", "postgres://u@127.0.0.1:1/db")
    assert r.returncode == 2 and "pg_dump" in r.stderr and "pg_restore" in r.stderr


def test_gc_reports_each_sweeper(tmp_path):
    data = tmp_path / "data"
    ok(add(data, "alice"))
    # An expired refresh token, as a login a month old leaves behind.
    db = sqlite3.connect(data / "codeyard.db")
    user_id = db.execute("SELECT id FROM users").fetchone()[0]
    columns = [r[1] for r in db.execute("PRAGMA table_info(refresh_tokens)")]
    row = {"id": "t1", "user_id": user_id, "family_id": "f1", "token_hash": "00" * 32,
           "created_at": 1, "expires_at": 2}
    names = [c for c in columns if c in row]
    with db:
        db.execute(f"INSERT INTO refresh_tokens ({','.join(names)}) VALUES "
                   f"({','.join('?' * len(names))})", [row[c] for c in names])
    db.close()
    pods = f"local:?state_dir={tmp_path}/pods"
    counts = ok_json(codeyard("gc", "--json", "--data", data, "--executor", pods))
    assert set(counts) == {"pods", "expired_tokens", "rate_limit_rows", "blobs",
                           "orphan_volumes", "orphan_pods"}
    assert counts["orphan_volumes"] == 0 and counts["orphan_pods"] == 0
    assert counts["expired_tokens"] == 1
    text = ok(codeyard("gc", "--data", data, "--executor", pods))
    assert "0 expired refresh tokens deleted" in text and "blobs:" in text and "pods:" in text
    assert "volumes: 0 home volumes" in text


def test_serve_execs_the_server_beside_it():
    server = pathlib.Path(CLI).parent / "codeyard-server"
    assert os.access(server, os.X_OK), "codeyard-server is built beside codeyard"
    r = codeyard("serve", "--help")
    assert r.returncode == 0 and "--listen" in r.stdout


def test_exit_codes_for_usage_and_help():
    assert codeyard("user").returncode == 2
    assert codeyard("no-such-command").returncode == 2
    helped = codeyard("user", "--help")
    assert helped.returncode == 0 and "Examples:" in helped.stdout
    assert "Exit codes" in ok(codeyard("--help"))


def complete(line):
    """The completions bash offers for `line` (the cursor at its end)."""
    words = line.split(" ")
    quoted = " ".join(shlex.quote(w) for w in words)
    script = (f"source {shlex.quote(str(COMPLETION))}\n"
              f"COMP_WORDS=({quoted})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              "_codeyard\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_bash_completion():
    assert complete("codeyard wor") == {"workspace"}
    assert complete("codeyard workspace p") == {"push", "pull"}
    assert complete("codeyard user add alice --pass") == {"--password-stdin"}
    assert {"user", "login", "submit", "backup"} <= complete("codeyard ")
    # Every command the binary knows is completed.
    helped = ok(codeyard("--help"))
    commands = complete("codeyard ")
    for name in ["serve", "user", "gc", "backup", "restore", "login", "logout", "workspace",
                 "submit", "review", "jobs", "problems", "run", "doctor", "migrate"]:
        assert name in helped and name in commands, name


def test_problems_list_json(tmp_path):
    data = tmp_path / "data"
    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "problems"
    ok(codeyard("problems", "import", "--data", data, examples / "sum", examples / "hello"))
    listed = ok_json(codeyard("problems", "list", "--json", "--data", data))
    assert [p["id"] for p in listed] == ["hello", "sum"]
    assert set(listed[0]) == {"id", "title", "level", "public_tests", "hidden_tests"}
    assert codeyard("problems", "export", "nope", tmp_path / "out", "--data", data).returncode == 3
