"""Files in and out (issue 17): GET /workspaces/{id}/archive streams a zip made from stored
content, read back with Python's zipfile (an independent reader); owner only, paths checked; a
50 MB workspace streams with the server's memory bounded well below the archive's size."""

import http.client
import io
import os
import zipfile
from urllib.parse import quote

import pytest

from api_client import API, call, create_workspace, error_code, register


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


@pytest.fixture
def ws(server, token):
    return create_workspace(server, token)["id"]


def put(server, token, ws, path, body):
    status, _, doc = call(server, "PUT", f"/workspaces/{ws}/files/{quote(path)}", token=token, body=body)
    assert status == 200, doc


def archive(server, token, ws, path=None):
    query = "" if path is None else f"?path={path}"
    return call(server, "GET", f"/workspaces/{ws}/archive{query}", token=token)


def read_zip(raw):
    z = zipfile.ZipFile(io.BytesIO(raw))
    assert z.testzip() is None  # every CRC checks
    return {info.filename: z.read(info) for info in z.infolist()}


def test_whole_workspace_nested_binary_and_empty_folder(server, token, ws):
    binary = bytes(range(256)) * 300 + os.urandom(5000)
    put(server, token, ws, "main.py", b"print('hi')\n")
    put(server, token, ws, "src/pkg/data.bin", binary)
    put(server, token, ws, "src/empty.txt", b"")
    put(server, token, ws, "caf\u00e9/\u00fcber.txt", "\u00e9t\u00e9\n".encode())
    assert call(server, "POST", f"/workspaces/{ws}/dirs/empty/inner", token=token)[0] == 201
    status, headers, raw = archive(server, token, ws)
    assert status == 200, raw
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    assert "Content-Length" not in headers  # made while it is sent
    assert read_zip(raw) == {
        "caf\u00e9/": b"", "caf\u00e9/\u00fcber.txt": "\u00e9t\u00e9\n".encode(),
        "empty/": b"", "empty/inner/": b"", "main.py": b"print('hi')\n",
        "src/": b"", "src/empty.txt": b"", "src/pkg/": b"", "src/pkg/data.bin": binary,
    }
    # Folders keep their mode bit; files are deflated.
    z = zipfile.ZipFile(io.BytesIO(raw))
    assert z.getinfo("empty/inner/").is_dir()
    assert z.getinfo("src/pkg/data.bin").compress_type == zipfile.ZIP_DEFLATED


def test_folder_archive_is_rooted_at_the_folder(server, token, ws):
    put(server, token, ws, "a/src/x.txt", b"x")
    put(server, token, ws, "a/src/sub/y.txt", b"y")
    put(server, token, ws, "a/other.txt", b"no")
    put(server, token, ws, "a/srcfile.txt", b"not inside src/")
    status, headers, raw = archive(server, token, ws, "a/src")
    assert status == 200, raw
    assert 'filename="src.zip"' in headers["Content-Disposition"]
    assert read_zip(raw) == {"src/": b"", "src/x.txt": b"x", "src/sub/": b"", "src/sub/y.txt": b"y"}


def test_empty_workspace_is_an_empty_zip(server, token, ws):
    status, _, raw = archive(server, token, ws)
    assert status == 200 and read_zip(raw) == {}


def test_another_users_workspace_is_404(server, token, ws):
    put(server, token, ws, "secret.txt", b"mine")
    other = register(server)["access_token"]
    status, _, doc = archive(server, other, ws)
    assert status == 404 and error_code(doc) == "not_found"
    status, _, doc = archive(server, token, "no-such-workspace")
    assert status == 404 and error_code(doc) == "not_found"


def test_paths_are_checked(server, token, ws):
    put(server, token, ws, "f.txt", b"f")
    status, _, doc = archive(server, token, ws, "../etc")
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = archive(server, token, ws, "missing")
    assert status == 404 and error_code(doc) == "not_found"
    status, _, doc = archive(server, token, ws, "f.txt")
    assert status == 400 and error_code(doc) == "invalid_argument"
    status, _, doc = call(server, "GET", f"/workspaces/{ws}/archive")
    assert status == 401


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_fifty_megabytes_stream_with_bounded_memory(server, token, ws):
    # Incompressible content, so the zip is as large as the workspace: a server that built it
    # in memory would hold over 50 MB at once.
    files = {f"big/part{i}.bin": os.urandom(9 << 20) for i in range(6)}
    for path, data in files.items():
        put(server, token, ws, path, data)
    total = sum(len(d) for d in files.values())
    assert total > 50 << 20
    before = rss_bytes(server.proc.pid)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", f"{API}/workspaces/{ws}/archive",
                     headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200
        body = io.BytesIO()
        peak = before
        while True:
            # A reader slower than the server: the pipe fills and holds the producer back.
            chunk = resp.read(256 << 10)
            if not chunk:
                break
            body.write(chunk)
            peak = max(peak, rss_bytes(server.proc.pid))
    finally:
        conn.close()
    assert body.tell() > total
    assert read_zip(body.getvalue()) == {"big/": b"", **files}
    # One 9 MiB file, its read and the pipe: far below the 54 MB archive.
    assert peak - before < 32 << 20, (before, peak)
