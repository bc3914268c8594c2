#!/usr/bin/python3
"""A loopback HTTP/WebSocket server that plays the Kubernetes API for kube_tests' wire tests.

It makes the faults the client must handle: 429 with Retry-After, 503 forever, Status errors,
a watch stream that ends, a watch from an expired resourceVersion (410), a token that rotates,
TLS with a CA of the test's own, and exec over v5/v4.channel.k8s.io. It writes its port to
--port-file once listening, and a JSON line per request to --log-file.
"""
import argparse
import asyncio
import json
import os
import ssl

from aiohttp import WSMsgType, web

STATE = {"flaky": 0, "lists": 0, "unauthorized": 0, "pods": {}}
ARGS = None


def status(code, reason, message, **extra):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    body.update(extra)
    return web.json_response(body, status=code)


def log(request, **extra):
    if ARGS.log_file:
        entry = {"method": request.method, "path": request.path, "query": request.query_string,
                 "user_agent": request.headers.get("User-Agent", ""),
                 "accept": request.headers.get("Accept", ""),
                 "content_type": request.headers.get("Content-Type", ""),
                 "expect": request.headers.get("Expect", ""),
                 "authorization": request.headers.get("Authorization", "")}
        entry.update(extra)
        with open(ARGS.log_file, "a") as f:
            f.write(json.dumps(entry) + "\n")


@web.middleware
async def auth(request, handler):
    log(request)
    if ARGS.token_file:
        with open(ARGS.token_file) as f:
            want = "Bearer " + f.read().strip()
        if request.headers.get("Authorization") != want:
            STATE["unauthorized"] += 1
            return status(401, "Unauthorized", "Unauthorized")
    return await handler(request)


async def counters(request):
    return web.json_response({k: v for k, v in STATE.items() if k != "pods"})


async def get_pod(request):
    ns, name = request.match_info["ns"], request.match_info["name"]
    if name == "flaky":
        STATE["flaky"] += 1
        if STATE["flaky"] == 1:
            return web.json_response(
                {"kind": "Status", "status": "Failure", "message": "slow down",
                 "reason": "TooManyRequests", "code": 429}, status=429,
                headers={"Retry-After": "1"})
    if name == "down":
        return status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
    if name == "notjson":
        return web.Response(status=502, text="<html>bad gateway</html>", content_type="text/html")
    pod = STATE["pods"].get((ns, name))
    if pod is None and name not in ("p1", "flaky"):
        return status(404, "NotFound", f'pods "{name}" not found', details={"name": name, "kind": "pods"})
    return web.json_response(pod or {"kind": "Pod", "apiVersion": "v1",
                                      "metadata": {"name": name, "namespace": ns}})


async def create_pod(request):
    ns = request.match_info["ns"]
    if ns == "forbidden":
        return status(403, "Forbidden",
                      'pods is forbidden: User "system:serviceaccount:forbidden:sa" cannot create '
                      'resource "pods" in API group "" in the namespace "forbidden"')
    if ns == "quota":
        return status(403, "Forbidden", 'pods "x" is forbidden: exceeded quota: q, requested: pods=1')
    body = await request.json()
    name = body["metadata"]["name"]
    if name != name.lower():
        return status(422, "Invalid", f'Pod "{name}" is invalid: metadata.name: Invalid value: "{name}"',
                      details={"name": name, "kind": "Pod", "causes": [
                          {"reason": "FieldValueInvalid", "message": "Invalid value", "field": "metadata.name"}]})
    if (ns, name) in STATE["pods"]:
        return status(409, "AlreadyExists", f'pods "{name}" already exists',
                      details={"name": name, "kind": "pods"})
    body["metadata"]["namespace"] = ns
    body["metadata"]["resourceVersion"] = "7"
    STATE["pods"][(ns, name)] = body
    return web.json_response(body, status=201)


async def patch_pod(request):
    ns, name = request.match_info["ns"], request.match_info["name"]
    if request.headers.get("Content-Type") != "application/merge-patch+json":
        return status(415, "UnsupportedMediaType", "want a merge patch")
    pod = STATE["pods"].get((ns, name))
    if pod is None:
        return status(404, "NotFound", f'pods "{name}" not found')
    patch = await request.json()
    pod["metadata"].setdefault("labels", {}).update(patch.get("metadata", {}).get("labels", {}))
    return web.json_response(pod)


async def put_pod(request):
    return status(409, "Conflict",
                  f'Operation cannot be fulfilled on pods "{request.match_info["name"]}": the object '
                  'has been modified; please apply your changes to the latest version and try again')


async def delete_pod(request):
    ns, name = request.match_info["ns"], request.match_info["name"]
    body = await request.text()
    pod = STATE["pods"].pop((ns, name), None)
    if pod is None:
        return status(404, "NotFound", f'pods "{name}" not found')
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    pod["deleteOptions"] = json.loads(body) if body else None
    return web.json_response(pod)


def pod_event(kind, name, rv):
    return {"type": kind, "object": {"kind": "Pod", "apiVersion": "v1",
                                      "metadata": {"name": name, "resourceVersion": rv}}}


async def list_pods(request):
    q = request.query
    if q.get("watch") not in ("true", "1", "True"):
        STATE["lists"] += 1
        # The first list hands out a version the watch then calls expired.
        rv = "1" if STATE["lists"] == 1 else "5"
        return web.json_response({"kind": "PodList", "apiVersion": "v1",
                                  "metadata": {"resourceVersion": rv}, "items": []})
    response = web.StreamResponse()
    response.content_type = "application/json"
    response.enable_chunked_encoding()
    await response.prepare(request)
    if q.get("resourceVersion") == "1":
        await response.write((json.dumps({"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: 1 (5)", "reason": "Expired", "code": 410}}) + "\n").encode())
        return response
    if q.get("labelSelector") == "many":
        # More events than the client queues: it must hold the stream back, not drop any.
        for start in range(0, 5000, 500):
            await response.write("".join(json.dumps(pod_event("ADDED", f"p{i}", str(10 + i))) + "\n"
                                         for i in range(start, start + 500)).encode())
        return response
    events = [pod_event("ADDED", "a", "6"), pod_event("MODIFIED", "a", "7"),
              {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                               "metadata": {"resourceVersion": "8"}}},
              pod_event("DELETED", "a", "9")]
    text = "".join(json.dumps(e) + "\n" for e in events).encode()
    # Split the lines across writes at odd places, as a real stream may.
    for start in range(0, len(text), 37):
        await response.write(text[start:start + 37])
        await asyncio.sleep(0)
    if q.get("labelSelector") == "hold":
        await asyncio.sleep(float(q.get("timeoutSeconds", "1")))
    return response


async def exec_pod(request):
    name = request.match_info["name"]
    if name == "missing":
        return status(404, "NotFound", f'pods "{name}" not found')
    protocols = ("v4.channel.k8s.io",) if name == "v4pod" else ("v5.channel.k8s.io", "v4.channel.k8s.io")
    if name == "wrongproto":
        protocols = ("v3.channel.k8s.io",)
    ws = web.WebSocketResponse(protocols=protocols, autoping=False)
    await ws.prepare(request)
    command = request.query.getall("command", [])
    await ws.send_bytes(b"\x01")  # the empty first frame on the lowest channel, as kubelets do
    if command == ["argv"] or command[:1] == ["argv"]:
        await ws.send_bytes(b"\x01" + json.dumps({"command": command, "query": dict(
            (k, v) for k, v in request.query.items() if k != "command"), "protocol": ws.ws_protocol,
            "authorization": request.headers.get("Authorization", "")}).encode())
    elif command == ["cat"]:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                if msg.data[:1] == b"\x00":
                    await ws.send_bytes(b"\x01" + msg.data[1:])
                elif msg.data == b"\xff\x00":
                    break
                elif msg.data[:1] == b"\x04":
                    await ws.send_bytes(b"\x02resize " + msg.data[1:])
            elif msg.type == WSMsgType.PING:
                await ws.pong(msg.data)
            else:
                break
    elif command == ["fragments"]:
        # One stdout message in two fragments with a ping between them, written raw
        # (unmasked server frames): 0x02 binary without FIN, 0x89 ping, 0x80 continuation+FIN.
        transport = request.transport
        transport.write(b"\x02\x03\x01ab" + b"\x89\x04ping" + b"\x80\x02cd")
        msg = await ws.receive()
        await ws.send_bytes(b"\x01" + (b"pong:" + msg.data if msg.type == WSMsgType.PONG else b"no pong"))
    elif command == ["big"]:
        await ws.send_bytes(b"\x01" + b"x" * 100000)
    elif command == ["ping"]:
        await ws.ping(b"are you there")
        msg = await ws.receive()
        await ws.send_bytes(b"\x01" + (b"pong:" + msg.data if msg.type == WSMsgType.PONG else b"no pong"))
    elif command == ["exit3"]:
        await ws.send_bytes(b"\x01out")
        await ws.send_bytes(b"\x02err")
        await ws.send_bytes(b"\x03" + json.dumps({
            "metadata": {}, "status": "Failure",
            "message": "command terminated with non-zero exit code: error executing command [exit3], exit code 3",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}).encode())
        await ws.close()
        return ws
    elif command == ["deaf"]:
        await asyncio.sleep(3600)  # reads nothing, so no ping of the client's gets a pong
    elif command == ["hang"]:
        await asyncio.sleep(3600)
    await ws.send_bytes(b"\x03" + json.dumps({"metadata": {}, "status": "Success"}).encode())
    await ws.close()
    return ws


async def main():
    app = web.Application(middlewares=[auth], client_max_size=8 << 20)
    base = "/api/v1/namespaces/{ns}/pods"
    app.router.add_get("/api/v1/counters", counters)
    app.router.add_get(base, list_pods)
    app.router.add_post(base, create_pod)
    app.router.add_get(base + "/{name}", get_pod)
    app.router.add_patch(base + "/{name}", patch_pod)
    app.router.add_put(base + "/{name}", put_pod)
    app.router.add_delete(base + "/{name}", delete_pod)
    app.router.add_get(base + "/{name}/exec", exec_pod)
    context = None
    if ARGS.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        if ARGS.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(ARGS.client_ca)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log-file")
    parser.add_argument("--token-file")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--client-ca")
    ARGS = parser.parse_args()
    asyncio.run(main())
