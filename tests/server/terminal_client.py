"""A terminal WebSocket client for the server suites (DESIGN.md "Terminal protocol").

Messages are binary, the first byte their type. The client keeps what the server sent:
output bytes, titles, status documents, and the close code and reason once closed.
"""

import asyncio
import json

import websockets

from api_client import API

DEADLINE_S = 20.0


class Terminal:
    def __init__(self, ws):
        self.ws = ws
        self.output = bytearray()  # bytes += would copy the whole output on every message
        self.titles = []
        self.statuses = []
        self.pongs = []
        self.close_code = None
        self.close_reason = None

    @classmethod
    async def open(cls, server, workspace_id, token, cols=80, rows=24, readonly=False,
                   hello=True, **connect_args):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{server.port}{API}/workspaces/{workspace_id}/terminal",
            open_timeout=DEADLINE_S, max_size=None, ping_interval=None, **connect_args)
        term = cls(ws)
        if hello:
            await term.send_json({"token": token, "cols": cols, "rows": rows,
                                  "readonly": readonly})
        return term

    async def send_json(self, doc):
        await self.ws.send(json.dumps(doc))

    async def send(self, kind, payload=b""):
        if isinstance(payload, str):
            payload = payload.encode()
        await self.ws.send(kind + payload)

    async def type(self, text):
        await self.send(b"0", text)

    async def resize(self, cols, rows):
        await self.send(b"1", json.dumps({"cols": cols, "rows": rows}))

    def _take(self, message):
        if isinstance(message, str):
            message = message.encode()
        kind, payload = message[:1], message[1:]
        if kind == b"0":
            self.output += payload
        elif kind == b"1":
            self.titles.append(payload.decode())
        elif kind == b"2":
            self.pongs.append(payload)
        elif kind == b"3":
            self.statuses.append(json.loads(payload))
        else:
            raise AssertionError(f"unknown message type {kind!r}")

    async def read_until(self, predicate, timeout=DEADLINE_S):
        """Reads until predicate(self) holds; fails at the deadline or on close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"terminal condition not met within {timeout}s; "
                                     f"output tail: {self.output[-400:]!r}")
            try:
                message = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                continue  # the deadline check above reports it
            except websockets.ConnectionClosed as closed:
                self._closed(closed)
                raise AssertionError(f"terminal closed ({self.close_code} {self.close_reason}) "
                                     f"before the condition; tail: {self.output[-400:]!r}")
            self._take(message)
        return self

    async def wait_output(self, needle, timeout=DEADLINE_S, after=0):
        needle = needle.encode() if isinstance(needle, str) else needle
        # Each check scans only what is new (and a needle's length back): rescanning the whole
        # output on every message is quadratic in a flood.
        scanned = [after]

        def found(t):
            hit = t.output.find(needle, scanned[0]) != -1
            scanned[0] = max(after, len(t.output) - len(needle) + 1)
            return hit

        await self.read_until(found, timeout)

    async def wait_state(self, state, timeout=DEADLINE_S):
        await self.read_until(lambda t: any(s.get("state") == state for s in t.statuses), timeout)

    def _closed(self, closed):
        self.close_code = closed.rcvd.code if closed.rcvd else None
        self.close_reason = closed.rcvd.reason if closed.rcvd else None

    async def wait_closed(self, timeout=DEADLINE_S):
        """Reads until the server closes; returns (code, reason)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"terminal not closed within {timeout}s")
            try:
                self._take(await asyncio.wait_for(self.ws.recv(), left))
            except asyncio.TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                self._closed(closed)
                return self.close_code, self.close_reason

    async def close(self):
        await self.ws.close()

    def abort(self):
        """Drops the connection at once (a reset, with unread output left). For a viewer that
        stopped reading: its polite close would wait out the closing handshake behind the
        output still in flight, up to three times websockets' close_timeout (30 s)."""
        self.ws.transport.abort()


async def marker_echo(term, marker):
    """Types `echo <marker>` and waits for the marker on its own (the echo's output)."""
    start = len(term.output)
    await term.type(f"echo {marker}_$((6*7))\r")
    await term.wait_output(f"{marker}_42", after=start)
