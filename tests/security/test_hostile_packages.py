"""Hostile problem packages sent to POST /api/v1/admin/problems/import (issue 21, "Attack
again", docs/security.md): paths that climb out (`..`, absolute, backslashes, NUL), symlink
entries, a zip bomb, a file and a package over their caps, deep folders, duplicate names and
a zip whose entry holds more than its header says. Each is refused with a 4xx naming the rule,
nothing is written outside, no problem is created, and the server keeps serving."""

import io
import json
import pathlib
import struct
import uuid
import warnings
import zipfile

import pytest

from api_client import call, error_code
from test_problems_admin import admin  # noqa: F401 (the module's admin, for its server)
from test_server import Server

FILE_CAP = 4 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("hostile_packages"),
               "--set", f"problems.max_package_file_bytes={FILE_CAP}",
               "--set", f"problems.max_package_bytes={4 * FILE_CAP}",
               "--set", "problems.max_package_depth=6")
    yield s
    s.stop()


def package(entries, top):
    """A zip of the Kattis package `top`/ (a valid problem) with `entries` added:
    (name, bytes, unix mode or 0)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{top}/problem.yaml", "name: Evil\nlimits:\n  time_limit: 1\n")
        z.writestr(f"{top}/data/secret/1.in", "1\n")
        z.writestr(f"{top}/data/secret/1.ans", "1\n")
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode:
                info.external_attr = mode << 16
            with warnings.catch_warnings():  # "Duplicate name" is the point of one case
                warnings.simplefilter("ignore")
                z.writestr(info, data)
    return out.getvalue()


def overstated(data, name, top):
    """A zip whose last entry's headers declare 1 byte, fewer than it holds."""
    raw = bytearray(package([(name, data, 0)], top))
    struct.pack_into("<I", raw, raw.rfind(b"PK\x03\x04") + 22, 1)
    struct.pack_into("<I", raw, raw.rfind(b"PK\x01\x02") + 24, 1)
    return bytes(raw)


MARK = "codeyard-evil-" + uuid.uuid4().hex
SYMLINK = 0o120777
# case: (entries with {t} for the package's folder) or a function of the folder.
CASES = {
    "dot-dot": [("{t}/../../" + MARK, b"x", 0)],
    "absolute": [("/tmp/" + MARK, b"x", 0)],
    "backslashes": [("{t}\\..\\..\\" + MARK, b"x", 0)],
    "nul-in-name": [("{t}/data/secret/2.in\x00" + MARK, b"x", 0)],
    "symlink-out": [("{t}/data/secret/2.in", b"/etc/passwd", SYMLINK)],
    "symlink-in": [("{t}/data/secret/2.ans", b"1.ans", SYMLINK)],
    "zip-bomb": [("{t}/data/secret/2.in", b"\0" * (3 << 20), 0)],
    "file-over-cap": [("{t}/data/secret/2.in", bytes(range(256)) * (FILE_CAP // 256 + 1), 0)],
    "deep": [("{t}/" + "d/" * 10 + "x.txt", b"x", 0)],
    "duplicate": [("{t}/data/secret/1.in", b"2\n", 0)],
    "overstated-size": lambda t: overstated(b"y" * 100_000, t + "/data/secret/2.in", t),
}


def body_of(case):
    top = "evil-" + case
    spec = CASES[case]
    if callable(spec):
        return top, spec(top)
    return top, package([(n.replace("{t}", top), d, m) for n, d, m in spec], top)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_package_is_refused(server, admin, case):
    top, body = body_of(case)
    status, _, doc = call(server, "POST", "/admin/problems/import", token=admin, body=body,
                          headers={"Content-Type": "application/zip"})
    assert status in (400, 413), (case, status, doc)
    assert error_code(doc) in ("invalid_argument", "resource_exhausted"), doc
    assert call(server, "GET", f"/problems/{top}", token=admin)[0] == 404, case
    # Nothing landed outside: not beside the data directory, not in /tmp, not in the cwd.
    for where in (server.data_dir.parent, server.data_dir.parent.parent, pathlib.Path("/tmp"),
                  pathlib.Path.cwd()):
        assert not (where / MARK).exists(), (case, where)
    assert call(server, "GET", "/health")[0] == 200


def test_the_same_package_without_the_hostile_entry_imports(server, admin):
    # The control: the refusals above are about the entry, not the package around it.
    status, _, doc = call(server, "POST", "/admin/problems/import", token=admin,
                          body=package([], top="fine"), headers={"Content-Type": "application/zip"})
    assert status == 201, doc
    assert doc["id"] == "fine", json.dumps(doc)[:300]
