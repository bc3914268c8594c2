"""Organizations over HTTP (/api/v1/orgs, docs/organizations.md), on SQLite and on PostgreSQL:
every role's rights, the last owner kept, a quota refusal naming the quota with its limit and
usage, usage shown against limits, org_id on workspaces, and a problem only members see."""

import pytest

from api_client import call, error_code, register
from test_settings import postgres_schema_uri
from test_server import Server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend_server(tmp_path_factory, request):
    args = [] if request.param == "sqlite" else ["--storage", postgres_schema_uri()]
    s = Server(tmp_path_factory.mktemp("orgs-" + request.param), *args)
    yield s
    s.stop()


class People:
    """An owner, an admin, a member and an outsider of a fresh organization."""

    def __init__(self, server, slug):
        self.server = server
        self.owner, self.admin, self.member, self.outsider = (register(server) for _ in range(4))
        status, _, org = self.as_(self.owner, "POST", "/orgs", {"name": "CS " + slug, "slug": slug})
        assert status == 201, org
        self.org = org
        for who, role in ((self.admin, "admin"), (self.member, "member")):
            status, _, doc = self.as_(self.owner, "POST", f"/orgs/{slug}/members",
                                      {"user": who["user"]["username"], "role": role})
            assert status == 201, doc

    def as_(self, who, method, path, body=None, headers=None):
        return call(self.server, method, path, token=who["access_token"], json_body=body,
                    headers=headers)


def test_roles_members_and_the_last_owner(backend_server):
    p = People(backend_server, "cs101")
    assert p.org["role"] == "owner" and p.org["personal"] is False
    assert p.org["quotas"]["org"]["max_running_workspaces"] is None

    status, _, mine = p.as_(p.member, "GET", "/orgs")
    assert status == 200
    assert [o["slug"] for o in mine["orgs"]] == ["~" + p.member["user"]["username"], "cs101"]
    assert mine["orgs"][0]["personal"] is True and mine["orgs"][0]["role"] == "owner"
    assert mine["orgs"][1]["role"] == "member"

    # Someone else: 404, exactly as for an organization that does not exist.
    for method, path, body in (("GET", "/orgs/cs101", None), ("GET", "/orgs/cs101/members", None),
                               ("PUT", "/orgs/cs101/quotas", {}),
                               ("POST", "/orgs/cs101/members", {"user": "x", "role": "member"})):
        status, _, doc = p.as_(p.outsider, method, path, body)
        assert status == 404 and error_code(doc) == "not_found", (method, path, doc)
    status, _, doc = p.as_(p.outsider, "GET", "/orgs/no-such-org")
    assert status == 404

    # A member uses: reads, manages nothing.
    status, _, members = p.as_(p.member, "GET", "/orgs/cs101/members")
    assert status == 200
    assert {m["role"] for m in members["members"]} == {"owner", "admin", "member"}
    name = p.outsider["user"]["username"]
    status, _, doc = p.as_(p.member, "POST", "/orgs/cs101/members", {"user": name, "role": "member"})
    assert status == 403 and error_code(doc) == "permission_denied"
    status, _, doc = p.as_(p.member, "PUT", "/orgs/cs101/quotas", {"org": {"max_stored_bytes": 1}})
    assert status == 403

    # An admin manages members and admins, never owners.
    status, _, doc = p.as_(p.admin, "POST", "/orgs/cs101/members", {"user": name, "role": "owner"})
    assert status == 403
    status, _, doc = p.as_(p.admin, "POST", "/orgs/cs101/members", {"user": name, "role": "member"})
    assert status == 201 and doc["role"] == "member"
    status, _, doc = p.as_(p.admin, "POST", "/orgs/cs101/members", {"user": name, "role": "member"})
    assert status == 409
    status, _, doc = p.as_(p.admin, "PATCH", f"/orgs/cs101/members/{name}", {"role": "admin"})
    assert status == 200 and doc["role"] == "admin"
    owner_name = p.owner["user"]["username"]
    status, _, doc = p.as_(p.admin, "PATCH", f"/orgs/cs101/members/{owner_name}",
                           {"role": "member"})
    assert status == 403
    status, _, doc = p.as_(p.admin, "DELETE", f"/orgs/cs101/members/{owner_name}")
    assert status == 403
    status, _, _ = p.as_(p.admin, "DELETE", f"/orgs/cs101/members/{name}")
    assert status == 204

    # Bad input names what is wrong.
    for body in ({"user": name, "role": "king"}, {"user": name}, {"user": name, "role": "member",
                                                                   "extra": 1}):
        status, _, doc = p.as_(p.owner, "POST", "/orgs/cs101/members", body)
        assert status == 400 and error_code(doc) == "invalid_argument", body
    status, _, doc = p.as_(p.owner, "POST", "/orgs", {"name": "x", "slug": "Bad Slug"})
    assert status == 400 and "slug" in doc["error"]["message"]
    status, _, doc = p.as_(p.owner, "POST", "/orgs", {"name": "again", "slug": "cs101"})
    assert status == 409

    # The last owner stays one; owners hand over, then may leave.
    status, _, doc = p.as_(p.owner, "PATCH", f"/orgs/cs101/members/{owner_name}",
                           {"role": "admin"})
    assert status == 412 and "last owner" in doc["error"]["message"]
    admin_name = p.admin["user"]["username"]
    status, _, doc = p.as_(p.owner, "PATCH", f"/orgs/cs101/members/{admin_name}",
                           {"role": "owner"})
    assert status == 200
    status, _, _ = p.as_(p.owner, "DELETE", f"/orgs/cs101/members/{owner_name}")
    assert status == 204
    status, _, _ = p.as_(p.owner, "GET", "/orgs/cs101")
    assert status == 404


def test_quotas_usage_and_a_refusal_naming_the_quota(backend_server):
    p = People(backend_server, "quota-org")
    status, _, doc = p.as_(p.admin, "PUT", "/orgs/quota-org/quotas",
                           {"org": {"max_stored_bytes": -1}})
    assert status == 400 and "max_stored_bytes" in doc["error"]["message"]
    status, _, doc = p.as_(p.admin, "PUT", "/orgs/quota-org/quotas",
                           {"org": {"max_stored_bytes": "10"}})
    assert status == 400
    status, _, doc = p.as_(p.admin, "PUT", "/orgs/quota-org/quotas",
                           {"org": {"max_stored_bytes": 10}, "member": {"max_jobs_per_day": 50}})
    assert status == 200, doc
    assert doc["quotas"]["org"]["max_stored_bytes"] == 10
    assert doc["quotas"]["member"]["max_jobs_per_day"] == 50
    assert doc["quotas"]["org"]["max_jobs_per_day"] is None
    status, _, stale = p.as_(p.admin, "PUT", "/orgs/quota-org/quotas", {},
                             headers={"If-Match": str(doc["version"] - 1)})
    assert status == 412 and error_code(stale) == "failed_precondition"

    # A member's workspace in the organization counts against its quotas.
    status, _, ws = p.as_(p.member, "POST", "/workspaces",
                          {"name": "in the org", "org_id": "quota-org"})
    assert status == 201, ws
    assert ws["org_id"] == p.org["id"]
    status, _, mine = p.as_(p.member, "POST", "/workspaces", {"name": "mine"})
    assert mine["org_id"] == p.member["user"]["id"]  # the personal organization
    status, _, doc = p.as_(p.outsider, "POST", "/workspaces", {"name": "x", "org_id": "quota-org"})
    assert status == 404

    status, _, _ = call(backend_server, "PUT", f"/workspaces/{ws['id']}/files/a.txt",
                        token=p.member["access_token"], body=b"12345678")
    assert status in (200, 201)
    status, headers, doc = call(backend_server, "PUT", f"/workspaces/{ws['id']}/files/b.txt",
                                token=p.member["access_token"], body=b"12345")
    assert status == 429 and error_code(doc) == "resource_exhausted"
    assert doc["error"]["message"] == ('quota org.max_stored_bytes of org "quota-org": '
                                       '8 of 10 bytes in use; this needs 5 more')
    assert "Retry-After" in headers

    # Usage against limits, before anyone hits them.
    status, _, view = p.as_(p.member, "GET", "/orgs/quota-org")
    assert status == 200
    assert view["usage"]["org"]["stored_bytes"] == 8
    assert view["usage"]["me"]["stored_bytes"] == 8
    status, _, view = p.as_(p.admin, "GET", "/orgs/quota-org")
    assert view["usage"]["me"]["stored_bytes"] == 0


def test_a_problem_only_its_organization_sees(backend_server):
    p = People(backend_server, "private-set")
    problem = {"title": "Secret", "org_id": "private-set", "visibility": "org",
               "tests": [{"name": "1", "input": "", "expected_output": ""}]}
    status, _, doc = p.as_(p.member, "PUT", "/problems/org-secret", problem)
    assert status == 404  # a member may not add problems: as for any non-admin
    status, _, doc = p.as_(p.admin, "PUT", "/problems/org-secret", problem)
    assert status == 200, doc
    status, _, doc = p.as_(p.member, "GET", "/problems/org-secret")
    assert status == 200, doc
    assert doc["visibility"] == "org" and doc["org_id"] == p.org["id"]
    status, _, doc = p.as_(p.outsider, "GET", "/problems/org-secret")
    assert status == 404 and error_code(doc) == "not_found"
    status, _, listed = p.as_(p.outsider, "GET", "/problems")
    assert "org-secret" not in [s["id"] for s in listed["items"]]
    status, _, listed = p.as_(p.member, "GET", "/problems")
    assert "org-secret" in [s["id"] for s in listed["items"]]


def test_rename_delete_and_move_a_workspace(backend_server):
    """org20: PATCH and DELETE /orgs/{id}, POST /workspaces/{id}/move."""
    p = People(backend_server, "renamed-org")
    for who in (p.admin, p.member):
        status, _, doc = p.as_(who, "PATCH", "/orgs/renamed-org", {"name": "X"})
        assert status == 403 and error_code(doc) == "permission_denied", doc
    status, _, doc = p.as_(p.outsider, "PATCH", "/orgs/renamed-org", {"name": "X"})
    assert status == 404
    personal = p.owner["user"]["id"]
    status, _, doc = p.as_(p.owner, "PATCH", f"/orgs/{personal}", {"name": "X"})
    assert status == 412 and "personal" in doc["error"]["message"]
    status, _, doc = p.as_(p.owner, "PATCH", "/orgs/renamed-org", {"nickname": "X"})
    assert status == 400
    status, _, doc = p.as_(p.owner, "PATCH", "/orgs/renamed-org", {"slug": "Not A Slug"})
    assert status == 400
    status, _, doc = p.as_(p.owner, "PATCH", "/orgs/renamed-org", {"slug": "cs-new"},
                           headers={"If-Match": str(p.org["version"] - 1)})
    assert status == 412
    status, _, doc = p.as_(p.owner, "PATCH", "/orgs/renamed-org", {"name": "CS new", "slug": "cs-new"})
    assert status == 200, doc
    assert doc["slug"] == "cs-new" and doc["name"] == "CS new" and doc["role"] == "owner"
    assert "usage" in doc and "quotas" in doc  # the GET shape
    status, _, doc = p.as_(p.member, "GET", "/orgs/renamed-org")
    assert status == 404

    # A workspace moves in, within the target's quotas.
    status, _, ws = p.as_(p.member, "POST", "/workspaces", {"name": "to move"})
    assert status == 201
    status, _, _ = call(backend_server, "PUT", f"/workspaces/{ws['id']}/files/a.txt",
                        token=p.member["access_token"], body=b"123456")
    assert status in (200, 201)
    status, _, doc = p.as_(p.admin, "POST", f"/workspaces/{ws['id']}/move", {"org_id": "cs-new"})
    assert status == 404  # not the admin's workspace
    status, _, doc = p.as_(p.member, "POST", f"/workspaces/{ws['id']}/move", {"org": "cs-new"})
    assert status == 400
    status, _, doc = p.as_(p.owner, "PUT", "/orgs/cs-new/quotas", {"org": {"max_stored_bytes": 5}})
    assert status == 200
    status, _, doc = p.as_(p.member, "POST", f"/workspaces/{ws['id']}/move", {"org_id": "cs-new"})
    assert status == 429 and error_code(doc) == "resource_exhausted"
    assert doc["error"]["message"] == ('quota org.max_stored_bytes of org "cs-new": '
                                       '0 of 5 bytes in use; this needs 6 more')
    status, _, doc = p.as_(p.owner, "PUT", "/orgs/cs-new/quotas", {})
    status, _, moved = p.as_(p.member, "POST", f"/workspaces/{ws['id']}/move", {"org_id": "cs-new"})
    assert status == 200, moved
    assert moved["org_id"] == p.org["id"]
    status, _, view = p.as_(p.member, "GET", "/orgs/cs-new")
    assert view["usage"]["me"]["stored_bytes"] == 6

    # Deleting is refused while it holds the workspace, then allowed.
    status, _, doc = p.as_(p.admin, "DELETE", "/orgs/cs-new")
    assert status == 403
    status, _, doc = p.as_(p.owner, "DELETE", "/orgs/cs-new")
    assert status == 412 and error_code(doc) == "failed_precondition"
    assert 'still holds 1 workspace' in doc["error"]["message"]
    status, _, doc = p.as_(p.member, "POST", f"/workspaces/{ws['id']}/move",
                           {"org_id": p.member["user"]["id"]})
    assert status == 200 and doc["org_id"] == p.member["user"]["id"]
    status, _, doc = p.as_(p.owner, "DELETE", "/orgs/cs-new")
    assert status == 204, doc
    status, _, doc = p.as_(p.owner, "GET", "/orgs/cs-new")
    assert status == 404
