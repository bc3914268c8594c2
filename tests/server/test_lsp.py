"""Language servers over the server's WebSocket (docs/api.md "Preview and language servers"):
/api/v1/workspaces/{id}/lsp?language=c starts clangd in the workspace's running pod, and a
broken C file opened there gets a textDocument/publishDiagnostics with an error, as the IDE's
red underline needs. Another user's connection is closed 4004."""

import asyncio
import json
import time

import pytest

from api_client import API, call, create_workspace, register

BROKEN_C = "int main(void) {\n  return undeclared_name;\n}\n"


@pytest.fixture(scope="module")
def alice(server):
    return register(server)["access_token"]


@pytest.fixture(scope="module")
def running(server, alice):
    wid = create_workspace(server, alice)["id"]
    assert call(server, "PUT", f"/workspaces/{wid}/files/broken.c", token=alice,
                body=BROKEN_C.encode())[0] == 200
    status, _, doc = call(server, "POST", f"/workspaces/{wid}/start", token=alice)
    assert status == 200, doc
    return wid


def lsp_url(server, wid, language):
    return f"ws://127.0.0.1:{server.port}{API}/workspaces/{wid}/lsp?language={language}"


async def diagnostics_for(server, token, wid, language, name, text, deadline_s=60):
    """Opens `name` with `text` on the language server and returns the first non-empty
    publishDiagnostics for it (clangd may publish an empty list first)."""
    import websockets

    uri = f"file:///workspace/{name}"
    async with websockets.connect(lsp_url(server, wid, language), max_size=None) as ws:
        await ws.send(json.dumps({"token": token}))
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": "file:///workspace", "capabilities": {
                "textDocument": {"publishDiagnostics": {}}}}}))
        deadline = time.monotonic() + deadline_s
        initialized = False
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no diagnostics for {name} within {deadline_s} s"
            message = json.loads(await asyncio.wait_for(ws.recv(), left))
            if message.get("id") == 1 and not initialized:
                assert "result" in message, message
                initialized = True
                await ws.send(json.dumps({"jsonrpc": "2.0", "method": "initialized",
                                          "params": {}}))
                await ws.send(json.dumps({
                    "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                        "textDocument": {"uri": uri, "languageId": language, "version": 1,
                                         "text": text}}}))
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == uri and params["diagnostics"]:
                    return params["diagnostics"]


def test_clangd_reports_an_error_in_a_broken_c_file(server, alice, running):
    found = asyncio.run(diagnostics_for(server, alice, running, "c", "broken.c", BROKEN_C))
    errors = [d for d in found if d.get("severity") == 1]
    assert errors, found
    assert any("undeclared_name" in d["message"] for d in errors), errors
    assert errors[0]["range"]["start"]["line"] == 1  # the `return` line, zero-based


def test_another_users_language_server_is_closed_4004(server, running):
    import websockets

    bob = register(server)["access_token"]

    async def refused():
        async with websockets.connect(lsp_url(server, running, "c")) as ws:
            await ws.send(json.dumps({"token": bob}))
            try:
                await asyncio.wait_for(ws.recv(), 20)
            except websockets.ConnectionClosed as closed:
                return closed.code
        return None

    assert asyncio.run(refused()) == 4004
