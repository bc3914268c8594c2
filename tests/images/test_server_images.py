"""Workspace images through the server: a workspace created with "image" runs its commands on
that image (Python with scipy, which the host cannot have), GET /api/v1/images lists what
exists, and an unknown image is a 400 naming it. The same for a run job (POST /api/v1/jobs
with "image") and a problem (POST /api/v1/problems with "image"), whose submissions are graded
on it. Needs the "seeds" image the ctest fixture "images: build the seeds image" makes
(CODEYARD_TEST_IMAGES_DIR)."""

import os
import uuid

from api_client import call, error_code, make_server, register  # noqa: F401 (fixture)
from storage_choice import set_role

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


SCIPY = "import scipy\nprint(scipy.__version__.split('.')[0])\n"


def wait_job(server, token, job_id):
    for _ in range(4):  # each wait is at most 30 s; 2 shared cores may need more than one
        status, _, doc = call(server, "GET", f"/jobs/{job_id}?wait=30", token=token)
        assert status == 200, doc
        if doc["state"] == "done":
            return doc
    raise AssertionError(f"job {job_id} not done")


def test_a_job_naming_an_image_runs_on_it_and_an_unknown_one_is_refused(make_server):
    server = make_server(f"images.dir={IMAGES_DIR}")
    token = register(server)["access_token"]
    body = {"language": "python", "files": {"main.py": SCIPY}}
    status, _, job = call(server, "POST", "/jobs", token=token, json_body={**body, "image": "seeds"})
    assert status == 202, job
    status, _, plain = call(server, "POST", "/jobs", token=token, json_body=body)
    assert status == 202, plain
    done = wait_job(server, token, job["id"])
    assert done["image"] == "seeds"
    assert done["verdict"] == "ok" and done["stdout"] == "1\n", done
    on_host = wait_job(server, token, plain["id"])
    assert on_host["image"] == ""
    assert on_host["verdict"] == "runtime_error" and "scipy" in on_host["stderr"], on_host
    status, _, listed = call(server, "GET", "/jobs", token=token)
    assert status == 200
    assert {j["id"]: j["image"] for j in listed["items"]} == {job["id"]: "seeds", plain["id"]: ""}

    for image, needle in (("no-such-image", '"no-such-image"'), ("../etc", "'image'"),
                          (7, "'image'")):
        status, _, doc = call(server, "POST", "/jobs", token=token,
                              json_body={**body, "image": image})
        assert status == 400, doc
        assert error_code(doc) == "invalid_argument"
        assert needle in doc["error"]["message"], doc
    # In a batch the refusal names the job, and nothing is queued.
    status, _, doc = call(server, "POST", "/jobs/batch", token=token,
                          json_body={"jobs": [body, {**body, "image": "no-such-image"}]})
    assert status == 400 and "job 1" in doc["error"]["message"], doc
    assert len(call(server, "GET", "/jobs", token=token)[2]["items"]) == 2


def test_a_problem_naming_an_image_is_graded_on_it(make_server):
    server = make_server(f"images.dir={IMAGES_DIR}")
    session = register(server)
    set_role(server, session["user"]["id"], "admin")
    admin = session["access_token"]
    problem = {
        "id": "sci-" + uuid.uuid4().hex[:6], "title": "Scipy major", "image": "seeds",
        "limits": {"time_limit_s": 5},
        "tests": [{"name": "sample", "input": "", "expected_output": "1\n", "public": True}],
    }
    status, _, doc = call(server, "POST", "/problems", token=admin,
                          json_body={**problem, "image": "no-such-image"})
    assert status == 400 and '"no-such-image"' in doc["error"]["message"], doc
    status, _, doc = call(server, "POST", "/problems", token=admin, json_body=problem)
    assert status == 201, doc
    assert doc["image"] == "seeds"
    user = register(server)["access_token"]
    status, _, shown = call(server, "GET", f"/problems/{problem['id']}", token=user)
    assert status == 200 and shown["image"] == "seeds"
    status, _, sub = call(server, "POST", f"/problems/{problem['id']}/submissions", token=user,
                          json_body={"language": "python", "files": {"main.py": SCIPY}})
    assert status == 202, sub
    for _ in range(4):
        status, _, graded = call(server, "GET", f"/submissions/{sub['id']}?wait=30", token=user)
        assert status == 200, graded
        if graded["state"] == "done":
            break
    assert graded["verdict"] == "accepted", graded
