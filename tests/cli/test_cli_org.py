"""`codeyard org ...` and `codeyard workspace move` against the real codeyard-server on loopback
(issue 20, docs/cli.md#organizations): list, create, show, rename, delete; members list, add,
set-role, remove; quota show and set (the limits named change, the others stay); usage as
text, --json and --csv with --from/--to; a workspace moved in and out; refusals with the
server's reasons as exit codes and one-line messages (an outsider: 3, an admin renaming: 4, a
non-empty or personal organization deleted: 5, a bad quota or date: 2); and the bash
completion of the new commands."""

import csv
import io

import pytest

from cli_helpers import codeyard, login, ok, ok_json, real_server
from test_cli_admin import complete


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """A server with ada, bob and cal, each logged in with a config home of their own."""
    server = real_server(tmp_path_factory.mktemp("cli_org_server"),
                         [(name, ()) for name in ("ada", "bob", "cal")])
    homes = {}
    for name in ("ada", "bob", "cal"):
        homes[name] = tmp_path_factory.mktemp(f"{name}_home")
        login(server, homes[name], name)
    yield homes
    server.stop()


def as_(homes, name, *args):
    return codeyard(*args, config_home=homes[name])


def refused(result, code):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("codeyard: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_org_members_quotas_and_moves(homes):
    orgs = ok_json(as_(homes, "ada", "org", "list", "--json"))
    assert [o["slug"] for o in orgs] == ["~ada"] and orgs[0]["personal"]
    org_id = ok(as_(homes, "ada", "org", "create", "cs101", "--name", "Intro to CS")).strip()
    org = ok_json(as_(homes, "ada", "org", "show", "cs101", "--json"))
    assert (org["id"], org["name"], org["role"]) == (org_id, "Intro to CS", "owner")
    lines = ok(as_(homes, "ada", "org", "list")).splitlines()
    assert lines[0].startswith(orgs[0]["id"]) and "(personal)" in lines[0]
    assert lines[1].split("\t")[:3] == [org_id, "cs101", "owner"]
    refused(as_(homes, "ada", "org", "create", "cs101"), 5)  # the slug is taken
    refused(as_(homes, "ada", "org", "create", "Bad Slug!"), 2)

    # Members: bob joins, becomes an admin; cal is no member and sees nothing.
    assert ok(as_(homes, "ada", "org", "members", "add", "cs101", "bob")).split("\t")[1:] == \
        ["bob", "member\n"]
    bob = ok_json(as_(homes, "ada", "org", "members", "set-role", "cs101", "bob", "admin",
                      "--json"))
    assert bob["role"] == "admin"
    members = ok_json(as_(homes, "bob", "org", "members", "list", "cs101", "--json"))
    assert [(m["username"], m["role"]) for m in members] == [("ada", "owner"), ("bob", "admin")]
    assert len(ok(as_(homes, "ada", "org", "members", "list", "cs101")).splitlines()) == 2
    refused(as_(homes, "cal", "org", "show", "cs101"), 3)
    refused(as_(homes, "cal", "org", "members", "add", "cs101", "cal"), 3)
    refused(as_(homes, "ada", "org", "members", "add", "cs101", "nobody-here"), 3)
    refused(as_(homes, "bob", "org", "rename", "cs101", "--name", "Mine"), 4)  # owners only
    refused(as_(homes, "ada", "org", "rename", "cs101"), 2)  # nothing to change

    # Quotas: set changes the limits named and keeps the others.
    sets = ok_json(as_(homes, "bob", "org", "quota", "set", "cs101",
                       "org.max_running_workspaces=3", "member.max_stored_bytes=1000000",
                       "--json"))
    assert sets["org"]["max_running_workspaces"] == 3
    assert sets["member"]["max_stored_bytes"] == 1000000
    ok(as_(homes, "ada", "org", "quota", "set", "cs101", "org.max_jobs_per_day=10",
           "member.max_stored_bytes=unlimited"))
    sets = ok_json(as_(homes, "ada", "org", "quota", "show", "cs101", "--json"))
    assert sets["org"] == {"max_running_workspaces": 3, "max_stored_bytes": None,
                           "max_jobs_per_day": 10, "max_cpu_seconds_per_day": None,
                           "max_open_claims": None}
    assert all(v is None for v in sets["member"].values())
    shown = ok(as_(homes, "ada", "org", "show", "cs101")).splitlines()
    assert shown[0] == "Intro to CS (cs101)"
    row = next(line.split() for line in shown if line.startswith("max_jobs_per_day"))
    assert row == ["max_jobs_per_day", "10", "0", "unlimited", "0"]
    assert "unknown quota" in refused(as_(homes, "ada", "org", "quota", "set", "cs101",
                                          "org.max_bogus=1"), 2)
    refused(as_(homes, "ada", "org", "quota", "set", "cs101", "org.max_jobs_per_day=-1"), 2)
    refused(as_(homes, "ada", "org", "quota", "set", "cs101", "max_jobs_per_day=1"), 2)
    assert as_(homes, "ada", "org", "members", "set-role", "cs101", "bob", "king").returncode == 2

    # A workspace moves in; the organization holds it, so it cannot be deleted.
    ws = ok(as_(homes, "ada", "workspace", "create", "lab")).strip()
    moved = ok_json(as_(homes, "ada", "workspace", "move", ws, "cs101", "--json"))
    assert moved["id"] == ws and moved["org_id"] == org_id
    refused(as_(homes, "cal", "workspace", "move", ws, "~cal"), 3)
    assert "1 workspace" in refused(as_(homes, "ada", "org", "delete", "cs101"), 5)
    assert ok(as_(homes, "ada", "workspace", "move", ws, "~ada")).split("\t")[:2] == \
        [ws, orgs[0]["id"]]

    # Renamed: the old slug stops resolving, the id stays.
    ok(as_(homes, "ada", "org", "rename", "cs101", "--slug", "cs102", "--name", "CS 102"))
    refused(as_(homes, "ada", "org", "show", "cs101"), 3)
    assert ok_json(as_(homes, "ada", "org", "show", org_id, "--json"))["slug"] == "cs102"

    # Bob leaves; the personal organization cannot go; the empty one can.
    assert "removed" in ok(as_(homes, "bob", "org", "members", "remove", "cs102", "bob"))
    refused(as_(homes, "bob", "org", "show", "cs102"), 3)
    refused(as_(homes, "ada", "org", "delete", "~ada"), 5)
    assert ok(as_(homes, "ada", "org", "delete", "cs102")) == "deleted cs102\n"
    refused(as_(homes, "ada", "org", "show", org_id), 3)


def test_org_usage(homes):
    ok(as_(homes, "ada", "org", "create", "lab42"))
    ok(as_(homes, "ada", "org", "members", "add", "lab42", "bob"))
    doc = ok_json(as_(homes, "ada", "org", "usage", "lab42", "--from", "2026-03-01", "--to",
                      "2026-03-31", "--json"))
    assert (doc["from"], doc["to"]) == ("2026-03-01", "2026-03-31")
    assert {"days", "members", "totals"} <= doc.keys()
    table = ok(as_(homes, "ada", "org", "usage", "lab42", "--csv"))
    header = next(csv.reader(io.StringIO(table)))
    assert header == ["day", "org_id", "user_id", "cpu_seconds", "wall_seconds",
                      "peak_memory_bytes", "jobs", "runs", "stored_bytes"]
    text = ok(as_(homes, "ada", "org", "usage", "lab42")).splitlines()
    assert text[1].split()[0] == "member" and text[-1].split()[0] == "total"
    assert "from" in refused(as_(homes, "ada", "org", "usage", "lab42", "--from", "2026-13-01"),
                             2)
    assert as_(homes, "ada", "org", "usage", "lab42", "--json", "--csv").returncode == 2
    refused(as_(homes, "bob", "org", "usage", "lab42"), 3)  # a member: owners and admins only


def test_org_help_and_completion():
    text = ok(codeyard("org", "--help"))
    assert "Examples:" in text and "codeyard org members add" in text
    assert complete("codeyard o") == {"org"}
    assert complete("codeyard org ") == {"list", "create", "show", "rename", "delete", "members",
                                         "quota", "usage"}
    assert complete("codeyard org members ") == {"list", "add", "remove", "set-role"}
    assert complete("codeyard org quota s") == {"show", "set"}
    assert complete("codeyard org usage cs101 --c") == {"--csv"}
    assert "move" in complete("codeyard workspace m")
