"""Raw-socket HTTP helpers for the suites that send what http.client will not: oversized or
malformed requests, slow clients, pipelining, WebSocket handshakes and frames a client
library would not send. Every wait is bounded by a deadline."""

import base64
import os
import socket
import struct
import time


def connect(server, timeout=5.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:  # before connect, so the TCP window stays small
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", server.port))
    return s


def send_quietly(sock, data):
    """Sends what the server takes; True if all of it went (it may close early on purpose)."""
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def read_until(sock, deadline_s, done=None):
    """Reads until `done(data)` holds (if given), the server closes the connection, or
    `deadline_s` passes.

    Returns (data, how, seconds): how is "done", "eof" (orderly close), "reset" (closed with
    unread input, which the kernel answers with RST) or "open" (still open at the deadline)."""
    started = time.monotonic()
    data = b""
    while done is None or not done(data):
        left = deadline_s - (time.monotonic() - started)
        if left <= 0:
            return data, "open", time.monotonic() - started
        sock.settimeout(min(left, 0.5))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return data, "reset", time.monotonic() - started
        if not chunk:
            return data, "eof", time.monotonic() - started
        data += chunk
    return data, "done", time.monotonic() - started


def read_until_closed(sock, deadline_s):
    """read_until without a condition: until the server closes or `deadline_s` passes."""
    return read_until(sock, deadline_s)


def split_response(data):
    """(status, lower-case headers, body) of the first response in `data`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body


def split_responses(data):
    """Every complete response in `data` (pipelining), as split_response gives them."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        status, headers, _ = split_response(head + sep)
        length = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:length]))
        data = rest[length:]
    return out


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def websocket_upgrade(server, target, version=b"13", rcvbuf=None):
    """A raw WebSocket upgrade of `target`: the open socket and what came back up to the end
    of the answer's head (a body may follow in a later segment). `rcvbuf` as for connect."""
    s = connect(server, rcvbuf=rcvbuf)
    s.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: " + base64.b64encode(os.urandom(16)) +
              b"\r\nSec-WebSocket-Version: " + version + b"\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return s, data


def close_handshake(sock, deadline_s):
    """Reads until the server's close frame, answers it with one of ours (masked, the same
    code) as a client should, then reads until the server closes the connection. Returns
    read_until_closed's (data, how, seconds) over everything read. Without the answer, lws
    waits 5 s for it before closing."""
    started = time.monotonic()
    data, how, _ = read_until(sock, deadline_s, lambda d: first_close_frame(d) is not None)
    if how != "done":
        return data, how, time.monotonic() - started
    send_quietly(sock, client_frame(0x8, struct.pack("!H", first_close_frame(data)[0])))
    rest, how, _ = read_until_closed(sock, max(0.1, deadline_s - (time.monotonic() - started)))
    return data + rest, how, time.monotonic() - started


def client_frame(opcode, payload, masked=True):
    """One final WebSocket frame as a client sends it (RFC 6455 §5.2: masked), or unmasked."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    else:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def first_close_frame(data):
    """(code, reason) of the first close frame among the server's (unmasked) frames in `data`,
    or None."""
    i = 0
    while i + 2 <= len(data):
        opcode, n = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if n == 126:
            n, i = struct.unpack("!H", data[i:i + 2])[0], i + 2
        elif n == 127:
            n, i = struct.unpack("!Q", data[i:i + 8])[0], i + 8
        if opcode == 0x8:
            return struct.unpack("!H", data[i:i + 2])[0], data[i + 2:i + n].decode()
        i += n
    return None
