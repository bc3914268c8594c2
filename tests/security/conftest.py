"""The security suite reuses the server suites' helpers (tests/server): Server, call, register."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))

import pytest  # noqa: E402

from test_server import Server  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    s = Server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield s
    s.stop()
