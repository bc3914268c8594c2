"""Sharing a workspace's preview (issue 17, docs/api.md "Preview and language servers"): the
owner's one switch, PUT /workspaces/{id}/terminal/share under an in_review review, lets the
assigned reviewer reach the preview (the ports path with their own token, and a preview ticket
issued in their name); everyone else gets 404, and so does the reviewer once sharing is off or
the review is decided."""

import pytest

from api_client import call, create_workspace, error_code, register
from test_ports import DAEMON, wait_serving


class User:
    def __init__(self, server, level=0):
        doc = register(server)
        self.token = doc["access_token"]
        self.id = doc["user"]["id"]
        if level:
            status, _, body = call(server, "PATCH", "/me", token=self.token,
                                   json_body={"reviewer_level": level})
            assert status == 200, body


@pytest.fixture(scope="module")
def shared(server):
    """An author's workspace serving site/ on 8000, under review by a reviewer who claimed it,
    with sharing on; and a stranger."""
    author, reviewer, stranger = User(server), User(server, level=1), User(server, level=4)
    ws = create_workspace(server, author.token)["id"]
    assert call(server, "PUT", f"/workspaces/{ws}/files/site/hello.txt", token=author.token,
                body=b"hello reviewer\n")[0] == 200
    status, _, run = call(server, "POST", f"/workspaces/{ws}/exec", token=author.token,
                          json_body={"argv": ["python3", "-c", DAEMON, "python3", "-m",
                                              "http.server", "8000", "--bind", "127.0.0.1",
                                              "--directory", "site"]})
    assert status == 200 and run["exit_code"] == 0, run
    status, body = wait_serving(server, author.token, ws, 8000)
    assert status == 200, body
    status, _, review = call(server, "POST", "/reviews", token=author.token,
                             json_body={"workspace_id": ws, "title": "t", "description": "d",
                                        "priority": "normal", "required_level": 1})
    assert status == 201, review
    status, _, doc = call(server, "POST", f"/reviews/{review['id']}/claim", token=reviewer.token)
    assert status == 200 and doc["status"] == "in_review", doc
    return author, reviewer, stranger, ws, review["id"]


def share(server, user, ws, on):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/terminal/share", token=user.token,
                          json_body={"shared": on})
    assert status == 200 and doc["terminal_shared"] is on, doc


def page(server, user, ws):
    return call(server, "GET", f"/workspaces/{ws}/ports/8000/hello.txt", token=user.token)


def ticket(server, user, ws):
    return call(server, "POST", f"/workspaces/{ws}/previews", token=user.token,
                json_body={"port": 8000})


def by_ticket(server, url):
    return call(server, "GET", url.removeprefix("/api/v1") + "hello.txt")


def test_the_reviewer_sees_the_page_only_while_shared_and_in_review(server, shared):
    author, reviewer, stranger, ws, review_id = shared
    # Claimed but not shared: 404, as for a workspace that is not there.
    status, _, doc = page(server, reviewer, ws)
    assert status == 404 and error_code(doc) == "not_found", doc
    assert ticket(server, reviewer, ws)[0] == 404

    share(server, author, ws, True)
    status, _, body = page(server, reviewer, ws)
    assert status == 200 and body == b"hello reviewer\n", body
    # A ticket for the reviewer is the reviewer's: it opens the page in a frame or tab.
    status, _, doc = ticket(server, reviewer, ws)
    assert status == 200, doc
    reviewer_url = doc["url"]
    status, _, body = by_ticket(server, reviewer_url)
    assert status == 200 and body == b"hello reviewer\n", body

    # Anyone else: 404 on the page and for a ticket.
    for user in (stranger,):
        status, _, doc = page(server, user, ws)
        assert status == 404 and error_code(doc) == "not_found", doc
        assert ticket(server, user, ws)[0] == 404

    # Sharing off: the reviewer's next request, with a token or the ticket, is 404.
    share(server, author, ws, False)
    assert page(server, reviewer, ws)[0] == 404
    assert by_ticket(server, reviewer_url)[0] == 404
    share(server, author, ws, True)
    assert by_ticket(server, reviewer_url)[0] == 200

    # The review decided: 404 again, while the owner still sees the page.
    status, _, doc = call(server, "POST", f"/reviews/{review_id}/decision", token=reviewer.token,
                          json_body={"decision": "approve"})
    assert status == 200, doc
    status, _, doc = page(server, reviewer, ws)
    assert status == 404 and error_code(doc) == "not_found", doc
    assert by_ticket(server, reviewer_url)[0] == 404
    status, _, body = page(server, author, ws)
    assert status == 200 and body == b"hello reviewer\n", body
