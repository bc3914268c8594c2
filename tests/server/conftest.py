"""Fixtures shared by the server suites: one real server per test module (on SQLite, or on a
fresh PostgreSQL database in the "on postgres" variant: storage_choice.py)."""

import pytest

from storage_choice import start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    s = start_server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield s
    s.stop()
