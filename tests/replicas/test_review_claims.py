"""Code review across two replicas on one PostgreSQL (issue 15): many reviewers claim one
review through both servers at once and exactly one claim wins, the others get 409 naming the
status; the decision made through one replica reaches the author's events WebSocket on the
other as a `notification`."""

import asyncio
import json
import threading

import websockets

from api_client import API, call, create_workspace, error_code, register

DEADLINE_S = 20.0


def user(server, level=0):
    doc = register(server)
    token = doc["access_token"]
    if level:
        status, _, me = call(server, "PATCH", "/me", token=token,
                              json_body={"reviewer_level": level})
        assert status == 200 and me["reviewer_level"] == level, me
    return token, doc["user"]["id"]


def test_a_claim_race_over_two_replicas_has_one_winner(cluster):
    fast = ("--set", "events.poll_interval_ms=20", "--set", "auth.registrations_per_address=0")
    a = cluster.start("a", *fast)
    b = cluster.start("b", *fast)
    author, _ = user(a)
    ws = create_workspace(a, author)["id"]
    status, _, doc = call(a, "PUT", f"/workspaces/{ws}/files/main.py", token=author,
                          body=b"print(1)\n")
    assert status == 200, doc
    status, _, review = call(a, "POST", "/reviews", token=author,
                             json_body={"workspace_id": ws, "title": "race", "required_level": 1})
    assert status == 201, review
    rid = review["id"]

    # Reviewers registered on either replica; each claims through the one it is given.
    reviewers = [(user(server, 1), server) for server in (a, b) for _ in range(8)]
    results = [None] * len(reviewers)
    barrier = threading.Barrier(len(reviewers))

    def claim(i):
        (token, _), server = reviewers[i]
        barrier.wait()
        status, _, doc = call(server, "POST", f"/reviews/{rid}/claim", token=token)
        results[i] = (status, doc)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(reviewers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S * 3)
    assert all(r is not None for r in results), results
    winners = [i for i, (status, _) in enumerate(results) if status == 200]
    assert len(winners) == 1, results
    for i, (status, doc) in enumerate(results):
        if i != winners[0]:
            assert status == 409 and error_code(doc) == "conflict", doc
            assert "in_review" in doc["error"]["message"], doc
    (winner_token, winner_id), _ = reviewers[winners[0]]
    for server in (a, b):
        status, _, got = call(server, "GET", f"/reviews/{rid}", token=author)
        assert status == 200 and got["reviewer"]["id"] == winner_id, got
        status, _, history = call(server, "GET", f"/reviews/{rid}/history", token=author)
        assert [e["action"] for e in history["items"]].count("claimed") == 1

    # The decision, through a replica, reaches the author's page on the other one.
    decide_on = b if winners[0] < len(reviewers) // 2 else a
    listen_on = a if decide_on is b else b

    async def scenario():
        conn = await websockets.connect(f"ws://127.0.0.1:{listen_on.port}{API}/events",
                                        open_timeout=DEADLINE_S, ping_interval=None)
        try:
            await conn.send(json.dumps({"token": author}))
            ready = json.loads(await asyncio.wait_for(conn.recv(), DEADLINE_S))
            assert ready["type"] == "ready", ready
            status, _, doc = await asyncio.to_thread(
                call, decide_on, "POST", f"/reviews/{rid}/decision", winner_token,
                {"decision": "approve"})
            assert status == 200 and doc["status"] == "approved", doc
            deadline = asyncio.get_running_loop().time() + DEADLINE_S
            while True:
                left = deadline - asyncio.get_running_loop().time()
                assert left > 0
                event = json.loads(await asyncio.wait_for(conn.recv(), left))
                if event["type"] == "notification" and event.get("action") == "decided":
                    return event
        finally:
            await conn.close()

    event = asyncio.run(scenario())
    assert event["review_id"] == rid and event["status"] == "approved"
    assert event["action"] == "decided"
