"""Fixtures shared by the server suites: one real server per test module."""

import pytest

from test_server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    s = Server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield s
    s.stop()
