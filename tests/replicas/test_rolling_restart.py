"""A rolling restart of two replicas keeps every shell (issue 14): 50 terminals, half
through each replica; each replica in turn is stopped (SIGTERM) and started again while the
other serves; every terminal reconnects to the same shell, its exported variable still set
and its scrollback replayed."""

import asyncio

from api_client import call, register
from terminal_client import Terminal

TERMINALS = 50


async def open_and_mark(server, token, ws, n):
    t = await Terminal.open(server, ws, token)
    await t.wait_state("running", timeout=120)
    start = len(t.output)
    await t.type(f"export CY_N=n{n}x; echo marked-$CY_N\r")
    await t.wait_output(f"marked-n{n}x", after=start, timeout=60)
    return t


async def check_same_shell(server, token, ws, n):
    t = await Terminal.open(server, ws, token)
    await t.wait_state("running", timeout=120)
    # The scrollback comes back first: the line typed before the restarts is in it.
    await t.wait_output(f"marked-n{n}x", timeout=60)
    start = len(t.output)
    await t.type("echo again-$CY_N\r")
    await t.wait_output(f"again-n{n}x", after=start, timeout=60)
    await t.close()


def test_a_rolling_restart_of_two_replicas_keeps_50_shells(cluster):
    # Each replica in turn: SIGTERM, its terminals reconnect to the other, it starts again.
    servers = {"a": cluster.start("a"), "b": cluster.start("b")}
    token = register(servers["a"])["access_token"]
    workspaces = []
    for i in range(TERMINALS):
        status, _, doc = call(servers["a"], "POST", "/workspaces", token=token,
                              json_body={"name": f"roll-{i}"})
        assert status == 201, doc
        workspaces.append(doc["id"])
    home = {ws: ("a" if i % 2 == 0 else "b") for i, ws in enumerate(workspaces)}

    async def scenario():
        terminals = await asyncio.gather(*(open_and_mark(servers[home[ws]], token, ws, i)
                                           for i, ws in enumerate(workspaces)))
        assert len(cluster.pod_dirs()) == TERMINALS
        for name in ("a", "b"):
            other = "b" if name == "a" else "a"
            # SIGTERM drops the replica's WebSockets; its shells stay in their pods.
            await asyncio.to_thread(cluster.stop, name)
            moved = [i for i, ws in enumerate(workspaces) if home[ws] == name]
            for i in moved:
                await terminals[i].wait_closed(timeout=30)
                home[workspaces[i]] = other

            async def reconnect(i, other=other):
                t = await Terminal.open(servers[other], workspaces[i], token)
                await t.wait_state("running", timeout=120)
                await t.wait_output(f"marked-n{i}x", timeout=60)  # the scrollback
                terminals[i] = t

            # The browser's reconnect: to the replica still up, the same shell.
            await asyncio.gather(*(reconnect(i) for i in moved))
            servers[name] = await asyncio.to_thread(cluster.start, name)
        for t in terminals:
            await t.close()
        # Every shell is reached through whichever replica now serves it.
        await asyncio.gather(*(check_same_shell(servers[home[ws]], token, ws, i)
                               for i, ws in enumerate(workspaces)))

    asyncio.run(scenario())
    assert len(cluster.pod_dirs()) == TERMINALS
