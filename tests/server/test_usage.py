"""Usage export (issue 20): GET /api/v1/users/me/usage and /api/v1/orgs/{id}/usage as JSON and
CSV, who may read an organization's, bad dates, and the per-organization metrics; on SQLite and
on PostgreSQL."""

import csv
import io
import os
import subprocess
import uuid

import pytest

import prometheus_text
from api_client import call, error_code, register
from test_server import Server


def postgres_schema_uri():
    """A fresh schema on the test PostgreSQL (CODEYARD_TEST_POSTGRES_URI; required)."""
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    schema = "us_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    sep = "&" if "?" in server_uri else "?"
    return f"{server_uri}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend_server(tmp_path_factory, request):
    args = [] if request.param == "sqlite" else ["--storage", postgres_schema_uri()]
    s = Server(tmp_path_factory.mktemp("usage-" + request.param), *args)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ada_after_a_run(backend_server):
    """A user who ran one job (POST /run): (session, the run's answer)."""
    session = register(backend_server)
    status, _, doc = call(backend_server, "POST", "/run", token=session["access_token"],
                          json_body={"language": "python",
                                     "files": {"main.py": "print(sum(range(100000)))\n"}})
    assert status == 200, doc
    assert doc["verdict"] == "ok", doc
    return session, doc


def test_own_usage_as_json_counts_the_job(backend_server, ada_after_a_run):
    session, run = ada_after_a_run
    status, _, doc = call(backend_server, "GET", "/users/me/usage",
                          token=session["access_token"])
    assert status == 200, doc
    assert doc["user_id"] == session["user"]["id"]
    assert len(doc["from"]) == 10 and len(doc["to"]) == 10
    assert len(doc["days"]) == 1, doc
    day = doc["days"][0]
    assert day["day"] == doc["to"]
    assert day["jobs"] == 1 and day["runs"] == 0
    assert day["cpu_seconds"] == pytest.approx(run["cpu_ms"] / 1000)
    assert day["wall_seconds"] == pytest.approx(run["wall_ms"] / 1000)
    assert day["peak_memory_bytes"] == run["memory_kb"] * 1024
    assert doc["totals"]["jobs"] == 1
    assert [o["org_id"] for o in doc["orgs"]] == [day["org_id"]]


def test_org_usage_as_csv_for_its_owner_404_for_others(backend_server, ada_after_a_run):
    session, run = ada_after_a_run
    token = session["access_token"]
    org = session["user"]["id"]  # the personal organization's id is the user's
    status, headers, doc = call(backend_server, "GET", f"/orgs/{org}/usage", token=token)
    assert status == 200, doc
    assert doc["org_id"] == org
    assert [m["user_id"] for m in doc["members"]] == [session["user"]["id"]]
    # By its slug too, as on every /orgs route (a personal organization's is ~<username>).
    slug = "~" + session["user"]["username"]
    status, _, by_slug = call(backend_server, "GET", f"/orgs/{slug}/usage", token=token)
    assert status == 200, by_slug
    assert by_slug["org_id"] == org and by_slug["members"] == doc["members"]

    for path, hdrs in ((f"/orgs/{org}/usage?format=csv", {}),
                       (f"/orgs/{org}/usage", {"Accept": "text/csv"})):
        status, headers, raw = call(backend_server, "GET", path, token=token, headers=hdrs)
        assert status == 200, raw
        assert headers["Content-Type"].startswith("text/csv")
        assert "attachment" in headers.get("Content-Disposition", "")
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        assert len(rows) == 1
        assert rows[0]["user_id"] == session["user"]["id"]
        assert rows[0]["jobs"] == "1"
        assert float(rows[0]["cpu_seconds"]) == pytest.approx(run["cpu_ms"] / 1000)

    other = register(backend_server)["access_token"]
    status, _, doc = call(backend_server, "GET", f"/orgs/{org}/usage", token=other)
    assert status == 404 and error_code(doc) == "not_found"
    status, _, doc = call(backend_server, "GET", "/orgs/nothing-here/usage", token=token)
    assert status == 404 and error_code(doc) == "not_found"
    status, _, doc = call(backend_server, "GET", f"/orgs/{org}/usage")
    assert status == 401


@pytest.mark.parametrize("query", ["from=2026-02-30", "to=tomorrow", "from=2026-03-02&to=2026-03-01",
                                   "from=2020-01-01&to=2026-01-01", "format=xml"])
def test_bad_ranges_and_formats_are_400(backend_server, ada_after_a_run, query):
    token = ada_after_a_run[0]["access_token"]
    status, _, doc = call(backend_server, "GET", "/users/me/usage?" + query, token=token)
    assert status == 400, doc
    assert error_code(doc) == "invalid_argument"


def test_metrics_sum_usage_per_organization_never_per_user(backend_server, ada_after_a_run):
    text = backend_server.request("GET", "/metrics")[2].decode()
    families = prometheus_text.parse(text)
    for name in ("codeyard_org_cpu_seconds_total", "codeyard_org_wall_seconds_total",
                 "codeyard_org_jobs_total", "codeyard_org_runs_total", "codeyard_org_stored_bytes"):
        assert name in text, name
    assert "user" not in "".join(line for line in text.splitlines()
                                 if line.startswith("codeyard_org_"))
    # Personal organizations are one user's each: they are summed under org="_personal".
    assert prometheus_text.value(families, "codeyard_org_jobs_total", org="_personal") >= 1
    assert ada_after_a_run[0]["user"]["id"] not in text
