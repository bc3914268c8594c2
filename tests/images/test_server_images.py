"""Workspace images through the server: a workspace created with "image" runs its commands on
that image (Python with scipy, which the host cannot have), GET /api/v1/images lists what
exists, and an unknown image is a 400 naming it. Needs the "seeds" image the ctest fixture
"images: build the seeds image" makes (CODEYARD_TEST_IMAGES_DIR)."""

import os
import uuid

from api_client import call, error_code, make_server, register  # noqa: F401 (fixture)

IMAGES_DIR = os.environ["CODEYARD_TEST_IMAGES_DIR"]


def test_a_workspace_on_the_seeds_image_runs_scipy(make_server):
    server = make_server(f"images.dir={IMAGES_DIR}")
    token = register(server)["access_token"]

    status, _, listed = call(server, "GET", "/images", token=token)
    assert status == 200, listed
    seeds = [i for i in listed["images"] if i["name"] == "seeds"]
    assert len(seeds) == 1, listed
    assert set(seeds[0]) == {"name", "packages", "versions", "size_bytes", "created_at"}
    assert "python3-scipy" in seeds[0]["packages"] and seeds[0]["versions"]["scipy"]
    assert call(server, "GET", "/images")[0] == 401

    status, _, ws = call(server, "POST", "/workspaces", token=token,
                         json_body={"name": "sci-" + uuid.uuid4().hex[:6], "image": "seeds"})
    assert status == 201, ws
    assert ws["image"] == "seeds"
    src = b"import scipy, numpy\nprint(scipy.__version__.split('.')[0], numpy.arange(4).sum())\n"
    status, _, _ = call(server, "PUT", f"/workspaces/{ws['id']}/files/main.py", token=token,
                        body=src)
    assert status == 200
    status, _, run = call(server, "POST", f"/workspaces/{ws['id']}/exec", token=token,
                          json_body={"argv": ["python3", "main.py"]})
    assert status == 200, run
    assert run["exit_code"] == 0, run
    assert run["stdout"] == "1 6\n"
    status, _, again = call(server, "GET", f"/workspaces/{ws['id']}", token=token)
    assert status == 200 and again["image"] == "seeds"

    # The default stays the host's /usr: the same program fails there (no scipy on the host).
    status, _, plain = call(server, "POST", "/workspaces", token=token,
                            json_body={"name": "host-" + uuid.uuid4().hex[:6]})
    assert status == 201 and plain["image"] == ""
    call(server, "PUT", f"/workspaces/{plain['id']}/files/main.py", token=token, body=src)
    status, _, run = call(server, "POST", f"/workspaces/{plain['id']}/exec", token=token,
                          json_body={"argv": ["python3", "main.py"]})
    assert status == 200, run
    assert run["exit_code"] == 1 and "No module named 'scipy'" in run["stderr"], run


def test_an_unknown_image_is_a_400_naming_it(make_server):
    server = make_server(f"images.dir={IMAGES_DIR}")
    token = register(server)["access_token"]
    for image, needle in (("no-such-image", '"no-such-image"'), ("../etc", '"../etc"'),
                          (7, "'image'")):
        status, _, doc = call(server, "POST", "/workspaces", token=token,
                              json_body={"name": "x-" + uuid.uuid4().hex[:6], "image": image})
        assert status == 400, doc
        assert error_code(doc) == "invalid_argument"
        assert needle in doc["error"]["message"], doc
