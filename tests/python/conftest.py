"""Fixtures of the codeyard module's pytest suites: `open_codeyard(**config)` opens the module
over a fresh data directory and, with CODEYARD_PYTHON_TEST_STORAGE=postgres (the "python:
pytest on postgres" ctest), a fresh database on the PostgreSQL server named by
CODEYARD_TEST_POSTGRES_URI (scripts/test starts one). A missing URI fails, never skips."""
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

sys.path.insert(0, os.environ.get("CODEYARD_PYTHON_DIR", "build/python"))
import codeyard  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fresh_storage_uri():
    if os.environ.get("CODEYARD_PYTHON_TEST_STORAGE", "sqlite") != "postgres":
        return None
    server_uri = os.environ.get("CODEYARD_TEST_POSTGRES_URI", "")
    assert server_uri, "CODEYARD_TEST_POSTGRES_URI must name a PostgreSQL server (scripts/test)"
    name = "py_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server_uri, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    return urlunsplit(urlsplit(server_uri)._replace(path="/" + name))


@pytest.fixture
def open_codeyard(tmp_path):
    opened = []

    def opener(**config):
        storage = fresh_storage_uri()
        p = codeyard.open(data_dir=str(tmp_path / f"data{len(opened)}"), storage=storage,
                          **config)
        opened.append(p)
        return p

    yield opener
    for p in opened:
        p.close()


@pytest.fixture
def cy(open_codeyard):
    return open_codeyard()
