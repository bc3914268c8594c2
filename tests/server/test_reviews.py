"""Code review over HTTP against the real server (issue 15, docs/api.md "Reviews"): every
route of /api/v1/reviews, /reviewers and /notifications with its failure paths, PATCH /me for
the reviewer level, another user's review ids (404), the claim race through the API (exactly
one 200, the rest 409), the whole flow submit -> claim -> comment -> request changes ->
resubmit -> diff -> approve -> history, and a notification arriving live on the author's
events WebSocket."""

import asyncio
import json
import threading
import uuid

import pytest
import websockets

from api_client import API, call, create_workspace, error_code, register
from test_server import Server

DEADLINE_S = 20.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Each test registers its own users: many more than the registration rate limit allows.
    s = Server(tmp_path_factory.mktemp("reviews"), "--set", "events.poll_interval_ms=20",
               "--set", "auth.registrations_per_address=0", "--set", "executor.pool_size=0")
    yield s
    s.stop()


class User:
    def __init__(self, server, level=0):
        doc = register(server)
        self.token = doc["access_token"]
        self.id = doc["user"]["id"]
        self.username = doc["user"]["username"]
        self.ref = {"id": self.id, "username": self.username}
        if level:
            set_level(server, self, level)


def set_level(server, user, level):
    status, _, doc = call(server, "PATCH", "/me", token=user.token,
                          json_body={"reviewer_level": level})
    assert status == 200, doc
    return doc


def put(server, user, ws, path, text):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{path}", token=user.token,
                          body=text.encode())
    assert status == 200, doc


def submit(server, author, files=None, **fields):
    ws = create_workspace(server, author.token)["id"]
    for path, text in (files or {"main.py": "one\ntwo\nthree\nfour\n"}).items():
        put(server, author, ws, path, text)
    body = {"workspace_id": ws, "title": "Please review", "description": "d",
            "priority": "normal", "required_level": 1}
    body.update(fields)
    status, _, doc = call(server, "POST", "/reviews", token=author.token, json_body=body)
    assert status == 201, doc
    return doc


def act(server, user, review, action, body=None):
    return call(server, "POST", f"/reviews/{review['id']}/{action}", token=user.token,
                json_body=body)


def conflict_naming(status, doc, current):
    assert status == 409, doc
    assert error_code(doc) == "conflict"
    assert current in doc["error"]["message"], doc


# ---- PATCH /me ----------------------------------------------------------------------------

def test_patch_me_sets_my_reviewer_level_and_user_json_shows_it(server):
    u = User(server)
    status, _, me = call(server, "GET", "/me", token=u.token)
    assert status == 200 and me["reviewer_level"] == 0
    for level in (1, 4, 0):
        doc = set_level(server, u, level)
        assert doc == {"id": u.id, "username": u.username, "role": "user",
                       "reviewer_level": level}
    for bad in (5, -1, "2", 1.5, True):
        status, _, doc = call(server, "PATCH", "/me", token=u.token,
                              json_body={"reviewer_level": bad})
        assert status == 400 and error_code(doc) == "invalid_argument", (bad, doc)
        assert "reviewer_level" in doc["error"]["message"]
    status, _, doc = call(server, "PATCH", "/me", token=u.token, json_body={})
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = call(server, "PATCH", "/me", json_body={"reviewer_level": 1})
    assert status == 401


def test_patch_me_still_changes_the_password(server):
    u = User(server)
    status, _, doc = call(server, "PATCH", "/me", token=u.token,
                          json_body={"old_password": "correct horse",
                                     "new_password": "battery staple"})
    assert status == 200 and doc["id"] == u.id, doc
    status, _, doc = call(server, "POST", "/auth/login",
                          json_body={"username": u.username, "password": "battery staple"})
    assert status == 200, doc


# ---- submit, get, lists -------------------------------------------------------------------

def test_submit_answers_the_review(server):
    author = User(server)
    review = submit(server, author, priority="high", required_level=2, title="Add parser")
    assert review["status"] == "pending"
    assert review["revision"] == 1
    assert review["author"] == author.ref
    assert review["reviewer"] is None
    assert review["priority"] == "high"
    assert review["required_level"] == 2
    assert review["title"] == "Add parser" and review["description"] == "d"
    assert review["decision_message"] is None
    assert review["created_at"] == review["updated_at"] > 0
    uuid.UUID(review["id"])
    status, _, got = call(server, "GET", f"/reviews/{review['id']}", token=author.token)
    assert status == 200 and got == review


def test_submit_defaults_and_failures(server):
    author = User(server)
    ws = create_workspace(server, author.token)["id"]
    status, _, doc = call(server, "POST", "/reviews", token=author.token,
                          json_body={"workspace_id": ws, "title": "t"})
    assert status == 201, doc
    assert (doc["priority"], doc["required_level"], doc["description"]) == ("normal", 0, "")
    for body, field in [({"title": "t"}, "workspace_id"),
                        ({"workspace_id": ws}, "title"),
                        ({"workspace_id": ws, "title": " "}, "title"),
                        ({"workspace_id": ws, "title": "x" * 201}, "title"),
                        ({"workspace_id": ws, "title": "t", "priority": "asap"}, "priority"),
                        ({"workspace_id": ws, "title": "t", "required_level": 5},
                         "required_level"),
                        ({"workspace_id": ws, "title": "t", "required_level": "1"},
                         "required_level")]:
        status, _, doc = call(server, "POST", "/reviews", token=author.token, json_body=body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)
        assert field in doc["error"]["message"], (body, doc)
    status, _, doc = call(server, "POST", "/reviews", token=author.token, body=b"{")
    assert status == 400
    # Another user's workspace is as unknown as a made-up one.
    other = User(server)
    for workspace in (ws, str(uuid.uuid4())):
        status, _, doc = call(server, "POST", "/reviews", token=other.token,
                              json_body={"workspace_id": workspace, "title": "t"})
        assert status == 404 and error_code(doc) == "not_found", doc
    status, _, doc = call(server, "POST", "/reviews", json_body={"workspace_id": ws, "title": "t"})
    assert status == 401


def test_lists_author_queue_and_assigned(server):
    author = User(server)
    reviewer = User(server, level=2)
    low = User(server, level=1)
    made = [submit(server, author, priority=p, required_level=lvl)
            for p, lvl in [("low", 1), ("urgent", 2), ("normal", 1), ("urgent", 1)]]
    ids = [r["id"] for r in made]

    status, _, page = call(server, "GET", "/reviews?role=author", token=author.token)
    assert status == 200 and page["next_cursor"] is None
    assert [r["id"] for r in page["items"]] == ids[::-1]  # newest first
    status, _, default = call(server, "GET", "/reviews", token=author.token)
    assert default == page

    def queue(user, query=""):
        status, _, page = call(server, "GET", "/reviews?role=queue&limit=200" + query,
                               token=user.token)
        assert status == 200, page
        return [r["id"] for r in page["items"] if r["id"] in ids]

    # Priority (urgent first), then age.
    assert queue(reviewer) == [ids[1], ids[3], ids[2], ids[0]]
    assert queue(low) == [ids[3], ids[2], ids[0]]  # not the level-2 one
    assert queue(author) == []  # never their own
    assert queue(reviewer, "&priority=urgent") == [ids[1], ids[3]]

    # Pages of one, through next_cursor.
    seen, cursor = [], None
    while True:
        query = "/reviews?role=author&limit=1" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = call(server, "GET", query, token=author.token)
        assert status == 200 and len(page["items"]) <= 1
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]

    status, _, doc = act(server, reviewer, made[1], "claim")
    assert status == 200, doc
    status, _, page = call(server, "GET", "/reviews?role=assigned", token=reviewer.token)
    assert status == 200 and [r["id"] for r in page["items"]] == [ids[1]]
    assert page["items"][0]["reviewer"] == reviewer.ref
    assert ids[1] not in queue(reviewer)
    status, _, page = call(server, "GET", "/reviews?role=author&status=in_review",
                           token=author.token)
    assert [r["id"] for r in page["items"]] == [ids[1]]

    status, _, first = call(server, "GET", "/reviews?role=author&limit=1", token=author.token)
    author_cursor = first["next_cursor"]
    assert author_cursor
    for query in ("role=mine", "priority=asap", "status=done", "limit=0", "limit=201",
                  "cursor=bogus", "role=queue&cursor=" + author_cursor):
        status, _, doc = call(server, "GET", "/reviews?" + query, token=author.token)
        assert status == 400 and error_code(doc) == "invalid_argument", (query, doc)
    status, _, doc = call(server, "GET", "/reviews")
    assert status == 401


# ---- who sees what ------------------------------------------------------------------------

def every_review_route(review_id):
    return [("GET", f"/reviews/{review_id}", None),
            ("POST", f"/reviews/{review_id}/claim", None),
            ("POST", f"/reviews/{review_id}/unclaim", None),
            ("POST", f"/reviews/{review_id}/withdraw", None),
            ("POST", f"/reviews/{review_id}/resubmit", None),
            ("POST", f"/reviews/{review_id}/decision", {"decision": "approve"}),
            ("GET", f"/reviews/{review_id}/revisions/1/tree", None),
            ("GET", f"/reviews/{review_id}/revisions/1/files/main.py", None),
            ("GET", f"/reviews/{review_id}/diff?from=1", None),
            ("GET", f"/reviews/{review_id}/comments", None),
            ("POST", f"/reviews/{review_id}/comments", {"body": "hi"}),
            ("GET", f"/reviews/{review_id}/history", None)]


def test_another_users_review_is_404_on_every_route(server):
    author = User(server)
    review = submit(server, author, required_level=3)
    stranger = User(server)  # level 0
    too_low = User(server, level=2)
    for user in (stranger, too_low):
        for method, path, body in every_review_route(review["id"]) + every_review_route(
                str(uuid.uuid4())):
            status, _, doc = call(server, method, path, token=user.token, json_body=body)
            assert status == 404 and error_code(doc) == "not_found", (method, path, doc)
    status, _, doc = call(server, "PATCH",
                          f"/reviews/{review['id']}/comments/{uuid.uuid4()}",
                          token=stranger.token, json_body={"resolved": True})
    assert status == 404
    for method, path, body in every_review_route(review["id"]):
        status, _, _ = call(server, method, path, json_body=body)
        assert status == 401, (method, path)


def test_eligible_reviewers_read_a_pending_review_until_someone_claims_it(server):
    author = User(server)
    review = submit(server, author)
    first, second = User(server, level=1), User(server, level=1)
    for user in (first, second):
        status, _, doc = call(server, "GET", f"/reviews/{review['id']}", token=user.token)
        assert status == 200, doc
        status, _, doc = call(server, "GET", f"/reviews/{review['id']}/revisions/1/tree",
                              token=user.token)
        assert status == 200, doc
    # Read-only while pending: commenting needs a claim.
    status, _, doc = call(server, "POST", f"/reviews/{review['id']}/comments",
                          token=first.token, json_body={"body": "hi"})
    assert status == 403 and error_code(doc) == "permission_denied", doc
    status, _, doc = act(server, first, review, "claim")
    assert status == 200 and doc["status"] == "in_review" and doc["reviewer"] == first.ref
    status, _, doc = call(server, "GET", f"/reviews/{review['id']}", token=second.token)
    assert status == 404, doc
    # The one who lost learns the review was claimed, not that it vanished.
    status, _, doc = act(server, second, review, "claim")
    conflict_naming(status, doc, "in_review")


# ---- transitions --------------------------------------------------------------------------

def test_an_author_claiming_their_own_review_is_403(server):
    author = User(server, level=4)
    review = submit(server, author)
    status, _, doc = act(server, author, review, "claim")
    assert status == 403 and error_code(doc) == "permission_denied", doc
    assert "own" in doc["error"]["message"]


def test_illegal_transitions_are_409_naming_the_current_status(server):
    author = User(server)
    reviewer = User(server, level=1)
    review = submit(server, author)
    status, _, doc = act(server, author, review, "resubmit")
    conflict_naming(status, doc, "pending")
    status, _, doc = act(server, reviewer, review, "claim")
    assert status == 200
    status, _, doc = act(server, reviewer, review, "claim")
    conflict_naming(status, doc, "in_review")
    # Decisions: the reviewer only, a known decision, a message for the negative ones.
    status, _, doc = act(server, author, review, "decision", {"decision": "approve"})
    assert status == 403 and error_code(doc) == "permission_denied", doc
    for body, field in [({}, "decision"), ({"decision": "lgtm"}, "decision"),
                        ({"decision": "request_changes"}, "message"),
                        ({"decision": "reject", "message": ""}, "message"),
                        ({"decision": "approve", "message": 3}, "message")]:
        status, _, doc = act(server, reviewer, review, "decision", body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)
        assert field in doc["error"]["message"], (body, doc)
    status, _, doc = act(server, reviewer, review, "decision",
                         {"decision": "reject", "message": "not this way"})
    assert status == 200 and doc["status"] == "rejected", doc
    assert doc["decision_message"] == "not this way"
    for user, action, body in [(reviewer, "decision", {"decision": "approve"}),
                               (author, "withdraw", None), (author, "resubmit", None),
                               (reviewer, "unclaim", None)]:
        status, _, doc = act(server, user, review, action, body)
        conflict_naming(status, doc, "rejected")


def test_unclaim_returns_the_review_to_the_queue_and_withdraw_ends_it(server):
    author = User(server)
    reviewer = User(server, level=1)
    review = submit(server, author)
    # Only its reviewer (or an admin) unclaims, so before the claim it is not theirs to give.
    status, _, doc = act(server, reviewer, review, "unclaim")
    assert status == 403 and error_code(doc) == "permission_denied", doc
    assert act(server, reviewer, review, "claim")[0] == 200
    status, _, doc = act(server, author, review, "unclaim")
    assert status == 403 and error_code(doc) == "permission_denied", doc
    status, _, doc = act(server, reviewer, review, "unclaim")
    assert status == 200 and doc["status"] == "pending" and doc["reviewer"] is None, doc
    status, _, page = call(server, "GET", "/reviews?role=queue&limit=200", token=reviewer.token)
    assert review["id"] in [r["id"] for r in page["items"]]
    status, _, doc = act(server, reviewer, review, "withdraw")
    assert status == 403, doc
    status, _, doc = act(server, author, review, "withdraw")
    assert status == 200 and doc["status"] == "withdrawn", doc
    status, _, doc = act(server, author, review, "withdraw")
    conflict_naming(status, doc, "withdrawn")


def test_many_concurrent_claims_exactly_one_wins(server):
    author = User(server)
    review = submit(server, author)
    reviewers = [User(server, level=1) for _ in range(12)]
    results = [None] * len(reviewers)
    barrier = threading.Barrier(len(reviewers))

    def claim(i):
        barrier.wait()
        status, _, doc = act(server, reviewers[i], review, "claim")
        results[i] = (status, doc)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(reviewers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S)
    assert all(r is not None for r in results)
    winners = [i for i, (status, _) in enumerate(results) if status == 200]
    assert len(winners) == 1, results
    for i, (status, doc) in enumerate(results):
        if i != winners[0]:
            conflict_naming(status, doc, "in_review")
    status, _, doc = call(server, "GET", f"/reviews/{review['id']}", token=author.token)
    assert doc["reviewer"] == reviewers[winners[0]].ref
    status, _, history = call(server, "GET", f"/reviews/{review['id']}/history",
                              token=author.token)
    assert [e["action"] for e in history["items"]].count("claimed") == 1


# ---- revisions, diffs, comments, history --------------------------------------------------

def test_revision_tree_and_files_are_an_immutable_snapshot(server):
    author = User(server)
    files = {"main.py": "print(1)\n", "lib/util.py": "x = 1\n"}
    review = submit(server, author, files)
    ws, rid = review["workspace_id"], review["id"]
    status, _, tree = call(server, "GET", f"/reviews/{rid}/revisions/1/tree", token=author.token)
    assert status == 200 and tree["revision"] == 1 and tree["next_cursor"] is None
    by_path = {i["path"]: i for i in tree["items"]}
    assert by_path["lib"]["kind"] == "dir" and by_path["lib"]["sha256"] is None
    item = by_path["lib/util.py"]
    assert item["kind"] == "file" and item["size"] == 6 and len(item["sha256"]) == 64
    assert [i["path"] for i in tree["items"]] == sorted(by_path)

    # Editing the workspace afterwards never changes the revision.
    put(server, author, ws, "lib/util.py", "x = 2\n")
    status, headers, body = call(server, "GET", f"/reviews/{rid}/revisions/1/files/lib/util.py",
                                 token=author.token)
    assert status == 200 and body == b"x = 1\n"
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["ETag"] == '"' + item["sha256"] + '"'
    status, _, again = call(server, "GET", f"/reviews/{rid}/revisions/1/tree", token=author.token)
    assert again == tree

    # A path is looked up in the manifest only, so ".." reaches nothing.
    for path in (f"/reviews/{rid}/revisions/2/tree", f"/reviews/{rid}/revisions/1/files/nope.py",
                 f"/reviews/{rid}/revisions/1/files/..%2Fetc"):
        status, _, doc = call(server, "GET", path, token=author.token)
        assert status == 404 and error_code(doc) == "not_found", (path, doc)
    for path in (f"/reviews/{rid}/revisions/x/tree", f"/reviews/{rid}/revisions/0/tree",
                 f"/reviews/{rid}/revisions/-1/files/main.py"):
        status, _, doc = call(server, "GET", path, token=author.token)
        assert status == 400 and error_code(doc) == "invalid_argument", (path, doc)


def test_diff_against_the_live_workspace_and_its_failures(server):
    author = User(server)
    review = submit(server, author, {"a.txt": "1\n2\n3\n", "gone.txt": "bye\n"})
    ws, rid = review["workspace_id"], review["id"]
    put(server, author, ws, "a.txt", "1\nTWO\n3\n")
    put(server, author, ws, "new.txt", "hello\n")
    call(server, "DELETE", f"/workspaces/{ws}/files/gone.txt", token=author.token)
    status, _, diff = call(server, "GET", f"/reviews/{rid}/diff?from=1", token=author.token)
    assert status == 200, diff
    assert diff["from"] == 1 and diff["to"] is None
    files = {d["path"]: d for d in diff["items"]}
    assert [d["path"] for d in diff["items"]] == ["a.txt", "gone.txt", "new.txt"]
    assert {p: d["change"] for p, d in files.items()} == {
        "a.txt": "changed", "gone.txt": "removed", "new.txt": "added"}
    hunk = files["a.txt"]["hunks"][0]
    assert set(hunk) == {"old_start", "old_lines", "new_start", "new_lines", "lines"}
    assert "-2" in hunk["lines"] and "+TWO" in hunk["lines"]
    assert files["new.txt"]["hunks"][0]["lines"] == ["+hello"]
    assert not files["a.txt"]["binary"] and not files["a.txt"]["too_large"]
    for query in ("", "?from=x", "?from=0", "?from=1&to=y"):
        status, _, doc = call(server, "GET", f"/reviews/{rid}/diff{query}", token=author.token)
        assert status == 400 and error_code(doc) == "invalid_argument", (query, doc)
    status, _, doc = call(server, "GET", f"/reviews/{rid}/diff?from=1&to=9", token=author.token)
    assert status == 404, doc


def test_comments_threads_resolve_and_their_failures(server):
    author = User(server)
    reviewer = User(server, level=1)
    review = submit(server, author)
    rid = review["id"]
    assert act(server, reviewer, review, "claim")[0] == 200
    status, _, top = call(server, "POST", f"/reviews/{rid}/comments", token=reviewer.token,
                          json_body={"body": "Overall fine"})
    assert status == 201, top
    assert top["path"] is None and top["start_line"] is None and top["side"] is None
    status, _, line = call(server, "POST", f"/reviews/{rid}/comments", token=reviewer.token,
                           json_body={"revision": 1, "path": "main.py", "start_line": 2,
                                      "end_line": 3, "side": "right", "body": "rename"})
    assert status == 201, line
    assert (line["path"], line["start_line"], line["end_line"], line["side"]) == (
        "main.py", 2, 3, "right")
    assert line["author"] == reviewer.ref and line["revision"] == 1
    assert line["resolved"] is False and line["outdated"] is False
    status, _, reply = call(server, "POST", f"/reviews/{rid}/comments", token=author.token,
                            json_body={"body": "done", "in_reply_to": line["id"]})
    assert status == 201 and reply["in_reply_to"] == line["id"], reply
    status, _, doc = call(server, "PATCH", f"/reviews/{rid}/comments/{line['id']}",
                          token=author.token, json_body={"resolved": True})
    assert status == 200 and doc["resolved"] is True, doc
    status, _, listed = call(server, "GET", f"/reviews/{rid}/comments", token=reviewer.token)
    assert status == 200
    # Oldest first; comments of the same millisecond by id.
    assert [(c["created_at"], c["id"]) for c in listed["items"]] == sorted(
        (c["created_at"], c["id"]) for c in (top, line, reply))
    assert {c["id"]: c["resolved"] for c in listed["items"]} == {
        top["id"]: False, line["id"]: True, reply["id"]: False}

    for body in ({}, {"body": ""}, {"body": 1}, {"body": "x", "side": "middle"},
                 {"body": "x", "start_line": 0}, {"body": "x", "revision": 0},
                 {"body": "x", "revision": 7}, {"body": "x", "path": "../x"},
                 {"body": "x", "in_reply_to": str(uuid.uuid4())}):
        status, _, doc = call(server, "POST", f"/reviews/{rid}/comments", token=reviewer.token,
                              json_body=body)
        assert status in (400, 404), (body, doc)
        assert error_code(doc) in ("invalid_argument", "not_found"), (body, doc)
    for body in ({}, {"resolved": "yes"}):
        status, _, doc = call(server, "PATCH", f"/reviews/{rid}/comments/{line['id']}",
                              token=author.token, json_body=body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)
    status, _, doc = call(server, "PATCH", f"/reviews/{rid}/comments/{uuid.uuid4()}",
                          token=author.token, json_body={"resolved": True})
    assert status == 404, doc
    status, _, doc = call(server, "GET", f"/reviews/{rid}/comments?revision=x",
                          token=author.token)
    assert status == 400


def test_the_whole_review_flow(server):
    author = User(server)
    reviewer = User(server, level=2)
    review = submit(server, author, {"main.py": "one\ntwo\nthree\nfour\n"}, priority="urgent",
                    required_level=2)
    rid, ws = review["id"], review["workspace_id"]

    status, _, page = call(server, "GET", "/reviews?role=queue&limit=200", token=reviewer.token)
    assert rid in [r["id"] for r in page["items"]]
    status, _, doc = act(server, reviewer, review, "claim")
    assert status == 200 and doc["status"] == "in_review"
    status, _, comment = call(server, "POST", f"/reviews/{rid}/comments", token=reviewer.token,
                              json_body={"revision": 1, "path": "main.py", "start_line": 3,
                                         "side": "right", "body": "three is wrong"})
    assert status == 201 and comment["start_line"] == 3 and comment["end_line"] == 3, comment
    status, _, doc = act(server, reviewer, review, "decision",
                         {"decision": "request_changes", "message": "fix line 3"})
    assert status == 200 and doc["status"] == "changes_requested", doc
    assert doc["decision_message"] == "fix line 3"

    put(server, author, ws, "main.py", "one\ntwo\nTHREE\nfour\n")
    status, _, doc = act(server, author, review, "resubmit")
    assert status == 200, doc
    assert (doc["status"], doc["revision"], doc["reviewer"]) == ("in_review", 2, reviewer.ref)

    status, _, diff = call(server, "GET", f"/reviews/{rid}/diff?from=1&to=2",
                           token=reviewer.token)
    assert status == 200 and diff["to"] == 2
    assert [(d["path"], d["change"]) for d in diff["items"]] == [("main.py", "changed")]
    hunk = diff["items"][0]["hunks"][0]
    assert "-three" in hunk["lines"] and "+THREE" in hunk["lines"]
    status, _, comments = call(server, "GET", f"/reviews/{rid}/comments", token=author.token)
    assert comments["items"][0]["outdated"] is True  # line 3 changed in revision 2
    status, _, comments = call(server, "GET", f"/reviews/{rid}/comments?revision=1",
                               token=author.token)
    assert comments["items"][0]["outdated"] is False

    status, _, doc = act(server, reviewer, review, "decision", {"decision": "approve"})
    assert status == 200 and doc["status"] == "approved", doc

    for user in (author, reviewer):
        status, _, history = call(server, "GET", f"/reviews/{rid}/history", token=user.token)
        assert status == 200, history
        entries = history["items"]
        transitions = [(e["action"], e["from"], e["to"]) for e in entries
                       if e["action"] != "commented"]
        assert transitions == [("created", None, "pending"),
                               ("claimed", "pending", "in_review"),
                               ("decided", "in_review", "changes_requested"),
                               ("resubmitted", "changes_requested", "in_review"),
                               ("decided", "in_review", "approved")], entries
        assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
        assert entries[0]["actor"] == author.ref and entries[1]["actor"] == reviewer.ref
        resubmitted = next(e for e in entries if e["action"] == "resubmitted")
        assert resubmitted["revision"] == 2 and resubmitted["actor"] == author.ref

    status, _, reviewers = call(server, "GET", "/reviewers", token=author.token)
    assert status == 200
    me = next(r for r in reviewers["items"] if r["id"] == reviewer.id)
    assert me["username"] == reviewer.username and me["reviewer_level"] == 2
    assert me["reviews_done"] == 2 and me["approvals"] == 1 and me["approval_rate"] == 0.5
    assert me["open_reviews"] == 0
    assert me["median_first_response_ms"] is not None and me["median_decision_ms"] is not None
    assert author.id not in [r["id"] for r in reviewers["items"]]  # level 0
    status, _, _ = call(server, "GET", "/reviewers")
    assert status == 401


# ---- notifications ------------------------------------------------------------------------

def test_notifications_count_and_mark_read(server):
    author = User(server)
    reviewer = User(server, level=1)
    review = submit(server, author)
    status, _, page = call(server, "GET", "/notifications", token=reviewer.token)
    assert status == 200
    queued = [n for n in page["items"] if n["review_id"] == review["id"]]
    assert [n["type"] for n in queued] == ["review.queued"] and not queued[0]["read"]
    assert queued[0]["actor"] == author.ref and queued[0]["data"]["review_id"] == review["id"]

    assert act(server, reviewer, review, "claim")[0] == 200
    status, _, doc = act(server, reviewer, review, "decision",
                         {"decision": "request_changes", "message": "m"})
    assert status == 200
    status, _, page = call(server, "GET", "/notifications", token=author.token)
    assert status == 200
    assert [n["type"] for n in page["items"]] == ["review.decided", "review.claimed"]
    assert page["unread"] == 2
    status, _, page = call(server, "POST", "/notifications/read", token=author.token,
                           json_body={"ids": [page["items"][1]["id"]]})
    assert status == 200 and page["unread"] == 1
    assert [n["read"] for n in page["items"]] == [False, True]
    status, _, page = call(server, "GET", "/notifications?limit=1", token=author.token)
    assert len(page["items"]) == 1 and page["unread"] == 1
    # Another user's ids are ignored.
    status, _, other = call(server, "POST", "/notifications/read", token=reviewer.token,
                            json_body={"ids": [page["items"][0]["id"]]})
    assert status == 200
    status, _, page = call(server, "GET", "/notifications", token=author.token)
    assert page["unread"] == 1
    status, _, page = call(server, "POST", "/notifications/read", token=author.token,
                           json_body={"all": True})
    assert status == 200 and page["unread"] == 0 and all(n["read"] for n in page["items"])

    for body in ({}, {"ids": "1"}, {"ids": [1.5]}, {"ids": ["a"]}, {"all": "yes"}):
        status, _, doc = call(server, "POST", "/notifications/read", token=author.token,
                              json_body=body)
        assert status == 400 and error_code(doc) == "invalid_argument", (body, doc)
    for query in ("limit=0", "limit=201", "limit=x"):
        status, _, doc = call(server, "GET", "/notifications?" + query, token=author.token)
        assert status == 400, (query, doc)
    assert call(server, "GET", "/notifications")[0] == 401
    assert call(server, "POST", "/notifications/read", json_body={"all": True})[0] == 401


def test_a_decision_reaches_the_authors_events_websocket(server):
    author = User(server)
    reviewer = User(server, level=1)
    review = submit(server, author)
    assert act(server, reviewer, review, "claim")[0] == 200

    async def scenario():
        ws = await websockets.connect(f"ws://127.0.0.1:{server.port}{API}/events",
                                      open_timeout=DEADLINE_S, ping_interval=None)
        try:
            await ws.send(json.dumps({"token": author.token}))
            ready = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE_S))
            assert ready["type"] == "ready"
            status, _, doc = await asyncio.to_thread(
                act, server, reviewer, review, "decision", {"decision": "approve"})
            assert status == 200, doc
            seen = {}
            deadline = asyncio.get_running_loop().time() + DEADLINE_S
            # The stored notification's event and the review's own event for the people on it
            # are written in the decision's transaction.
            while not {"notification", "review.decided"} <= set(seen):
                left = deadline - asyncio.get_running_loop().time()
                assert left > 0, seen
                event = json.loads(await asyncio.wait_for(ws.recv(), left))
                # The claim's events may come too: they were written just before the
                # subscription, and a page hears what the poller reads after it subscribed.
                if event.get("action") == "decided":
                    seen.setdefault(event["type"], event)
            return seen
        finally:
            await ws.close()

    seen = asyncio.run(scenario())
    for event in (seen["notification"], seen["review.decided"]):
        assert event["review_id"] == review["id"]
        assert event["action"] == "decided" and event["status"] == "approved"
        assert event["workspace_id"] == review["workspace_id"]
        assert isinstance(event["id"], int) and event["at"] > 0


def test_auto_assign_gives_a_new_review_to_the_least_busy_reviewer(tmp_path):
    s = Server(tmp_path, "--set", "reviews.auto_assign=true", "--set", "executor.pool_size=0")
    try:
        author = User(s)
        busy, free = User(s, level=1), User(s, level=1)
        first = submit(s, author)
        assert first["status"] == "in_review" and first["reviewer"] is not None, first
        # The other one has no open review now, so the next goes to them.
        second = submit(s, author)
        assert second["status"] == "in_review", second
        assert {first["reviewer"]["id"], second["reviewer"]["id"]} == {busy.id, free.id}
        assignee = next(u for u in (busy, free) if u.id == second["reviewer"]["id"])
        status, _, page = call(s, "GET", "/notifications", token=assignee.token)
        assert status == 200
        assert [n["type"] for n in page["items"] if n["review_id"] == second["id"]] == [
            "review.assigned"]
        status, _, page = call(s, "GET", "/reviews?role=assigned", token=assignee.token)
        assert second["id"] in [r["id"] for r in page["items"]]
    finally:
        s.stop()
