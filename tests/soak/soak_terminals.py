"""The soak's terminals: shells typed into one keystroke at a time, and idle read-only viewers
spread over both replicas, all on one asyncio loop (Python websockets)."""

import asyncio
import json
import time

import websockets

KEYS_PER_S = 2.0  # per typing terminal


class Conn:
    """One terminal WebSocket; a reader task collects output and notices a close."""

    def __init__(self, ws, label, failures):
        self.ws = ws
        self.label = label
        self.failures = failures
        self.buf = bytearray()
        self.got = asyncio.Event()
        self.closing = False
        self.received = 0

    @classmethod
    async def open(cls, server, token, workspace, terminal, readonly, label, failures):
        ws = await websockets.connect(server.url(f"/workspaces/{workspace}/terminal"),
                                      max_size=None, ping_interval=None, open_timeout=60,
                                      close_timeout=5)
        await ws.send(json.dumps({"token": token, "cols": 120, "rows": 40,
                                  "terminal": terminal, "readonly": readonly}))
        while True:
            message = await asyncio.wait_for(ws.recv(), 60)
            if message[:1] == b"3" and json.loads(message[1:]).get("state") == "running":
                break
        conn = cls(ws, label, failures)
        conn.task = asyncio.create_task(conn.read())
        return conn

    async def read(self):
        try:
            async for message in self.ws:
                self.received += len(message)
                if message[:1] == b"0":
                    self.buf += message[1:]
                    if len(self.buf) > 65536:
                        del self.buf[:-4096]
                    self.got.set()
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            self.failures.append(f"{self.label} closed during the load: "
                                 f"{self.ws.close_code} {self.ws.close_reason!r}")

    async def until(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            self.got.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.label}: no {needle!r} within {timeout} s")
            await asyncio.wait_for(self.got.wait(), left)

    async def close(self):
        self.closing = True
        await self.ws.close()
        await self.task


class Terminals:
    def __init__(self, servers, owners, opts, log):
        self.servers = servers
        self.owners = owners  # (token, workspace, replica index)
        self.opts = opts
        self.log = log
        self.failures = []
        self.typers = []
        self.viewers = []
        self.latencies = {"keystroke echo": [], "command answer": []}

    async def open_all(self):
        shells = [(o, n) for o in self.owners for n in range(1, 5)]
        # Each workspace's first shell starts its pod: a few at a time.
        for n in range(1, 5):
            group = [(o, m) for o, m in shells if m == n]
            for i in range(0, len(group), 6):
                self.typers += await asyncio.gather(*(
                    Conn.open(self.servers[o[2]], o[0], o[1], m, False, f"shell {o[1]}/{m}",
                              self.failures) for o, m in group[i:i + 6]))
        for t in self.typers:
            t.buf.clear()
            await t.ws.send(b"0echo ready_$((6*7))\r")
        for t in self.typers:
            await t.until(b"ready_42", 60)
        idle = max(0, self.opts.idle - (len(shells) - self.opts.active))
        for i in range(0, idle, 50):
            batch = range(i, min(idle, i + 50))
            self.viewers += await asyncio.gather(*(
                Conn.open(self.servers[j % 2], shells[j % len(shells)][0][0],
                          shells[j % len(shells)][0][1], shells[j % len(shells)][1], True,
                          f"viewer {j}", self.failures) for j in batch))
            if (i // 50) % 4 == 3:
                self.log(f"{len(self.viewers)}/{idle} idle viewers open")

    async def type_into(self, index, conn, end):
        serial = 0
        while time.monotonic() < end:
            serial += 1
            line = f"echo k{index}_{serial}_$(({serial}+1))"
            try:
                for ch in line:
                    conn.got.clear()
                    sent = time.monotonic()
                    await conn.ws.send(b"0" + ch.encode())
                    await asyncio.wait_for(conn.got.wait(), 30)
                    self.latencies["keystroke echo"].append(time.monotonic() - sent)
                    await asyncio.sleep(1 / KEYS_PER_S)
                conn.buf.clear()
                sent = time.monotonic()
                await conn.ws.send(b"0\r")
                await conn.until(f"k{index}_{serial}_{serial + 1}".encode(), 30)
                self.latencies["command answer"].append(time.monotonic() - sent)
            except (asyncio.TimeoutError, TimeoutError, websockets.ConnectionClosed) as e:
                self.failures.append(f"{conn.label}: {type(e).__name__} {e}")
                return

    async def type_for(self, duration, report):
        """Types into the first --active shells for `duration` s; `report()` every ~10 s."""
        end = time.monotonic() + duration
        tasks = [asyncio.create_task(self.type_into(i, c, end))
                 for i, c in enumerate(self.typers[:self.opts.active])]
        while time.monotonic() < end:
            await asyncio.sleep(min(10, max(0.1, end - time.monotonic())))
            report(len(self.latencies["keystroke echo"]), len(self.failures))
        await asyncio.gather(*tasks)
        alive = sum(1 for c in self.typers + self.viewers if not c.task.done())
        for c in self.typers + self.viewers:
            await c.close()
        return {"latencies": {f"terminal {k}": v for k, v in self.latencies.items()},
                "failures": self.failures, "alive_at_end": alive}
