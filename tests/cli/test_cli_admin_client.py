"""`codeyard admin ...` against the real codeyard-server on loopback (issue 20, docs/cli.md):
users list (text and --json, --search), disable (the user can no longer log in) and enable,
set-role, set-level, logout; workspaces list and stop; jobs stats, list, cancel of an unknown
job (exit 3); replicas; audit as text, --json and --csv; and a non-admin's login gets exit 3
(not found) from every one of them."""

import csv
import io

import pytest

from cli_helpers import PASSWORD, codeyard, login, ok, ok_json, real_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = real_server(tmp_path_factory.mktemp("cli_admin_server"),
                    (("root", ("--role", "admin")), ("bea", ()), ("cid", ())))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def root(server, tmp_path_factory):
    home = tmp_path_factory.mktemp("root_home")
    login(server, home, "root")
    return home


def cy(home, *args, **kwargs):
    return codeyard(*args, config_home=home, **kwargs)


def test_users(server, root, tmp_path):
    users = ok_json(cy(root, "admin", "users", "list", "--json"))
    assert [u["username"] for u in users] == ["bea", "cid", "root"]
    assert [u["username"] for u in ok_json(cy(root, "admin", "users", "list", "--search", "CI",
                                               "--json"))] == ["cid"]
    text = ok(cy(root, "admin", "users", "list")).splitlines()
    assert len(text) == 3 and "root" in text[2] and "admin" in text[2]

    assert "disabled" in ok(cy(root, "admin", "users", "disable", "cid"))
    refused = codeyard("login", f"http://127.0.0.1:{server.port}", "--username", "cid",
                       "--password-stdin", config_home=tmp_path / "cid", stdin=PASSWORD + "\n")
    assert refused.returncode == 4, refused.stderr
    ok(cy(root, "admin", "users", "enable", "cid"))
    login(server, tmp_path / "cid", "cid")
    doc = ok_json(cy(root, "admin", "users", "set-level", "cid", "3", "--json"))
    assert doc["reviewer_level"] == 3
    bad = cy(root, "admin", "users", "set-level", "cid", "9")
    assert bad.returncode == 2 and bad.stderr.startswith("codeyard: ")
    assert ok_json(cy(root, "admin", "users", "set-role", "cid", "admin", "--json"))["role"] == \
        "admin"
    ok(cy(root, "admin", "users", "set-role", "cid", "user"))
    assert "logins ended" in ok(cy(root, "admin", "users", "logout", "cid"))
    gone = cy(tmp_path / "cid", "workspace", "list")
    assert gone.returncode == 4
    missing = cy(root, "admin", "users", "disable", "nobody-here")
    assert missing.returncode == 3 and missing.stderr.startswith("codeyard: ")


def test_workspaces_jobs_replicas_and_audit(server, root, tmp_path):
    bea = tmp_path / "bea"
    login(server, bea, "bea")
    ws = ok(cy(bea, "workspace", "create", "lab")).strip()
    listed = ok_json(cy(root, "admin", "workspaces", "list", "--user", "bea", "--json"))
    assert [w["id"] for w in listed] == [ws]
    ok(cy(root, "admin", "workspaces", "stop", ws))
    assert ok_json(cy(root, "admin", "workspaces", "list", "--state", "running", "--json")) == []

    stats = ok_json(cy(root, "admin", "jobs", "stats", "--json"))
    assert stats["depth"] == 0 and stats["stuck"] == 0
    assert ok_json(cy(root, "admin", "jobs", "list", "--state", "stuck", "--json")) == []
    unknown = cy(root, "admin", "jobs", "cancel", "no-such-job")
    assert unknown.returncode == 3
    replicas = ok_json(cy(root, "admin", "replicas", "--json"))
    assert len(replicas) == 1 and replicas[0]["heartbeat_at"] > 0

    records = ok_json(cy(root, "admin", "audit", "--actor", "bea", "--action", "user.login",
                         "--json"))
    assert records and all(r["action"] == "user.login" for r in records)
    rows = list(csv.DictReader(io.StringIO(ok(cy(root, "admin", "audit", "--csv")))))
    assert {"user.login", "user.disable", "workspace.stop"} <= {r["action"] for r in rows}
    text = ok(cy(root, "admin", "audit", "--limit", "2")).splitlines()
    assert len(text) == 2
    both = cy(root, "admin", "audit", "--json", "--csv")
    assert both.returncode == 2


def test_non_admins_get_not_found(server, tmp_path):
    home = tmp_path / "bea"
    login(server, home, "bea")
    for args in (["users", "list"], ["users", "disable", "root"], ["workspaces", "list"],
                 ["jobs", "stats"], ["replicas"], ["audit"], ["audit", "--json"],
                 ["audit", "--csv"]):  # an export's error answer is an error, not the export
        r = cy(home, "admin", *args)
        assert r.returncode == 3, (args, r.stderr)
        assert r.stderr.startswith("codeyard: "), r.stderr
    help_text = ok(codeyard("admin", "--help"))
    assert "Examples:" in help_text and "codeyard admin users disable" in help_text
