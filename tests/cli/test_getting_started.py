"""docs/getting-started.md runs as written: every ```sh block of it, in order, in one bash
(`set -euo pipefail`) in a fresh folder laid out as the repository root (build/bin is the
build's, examples/ the tree's), against a real `codeyard-server --dev --data ./data` there.
The one change made to the text: the server's address 127.0.0.1:8080 becomes the free port
the test's server listens on. The first part's two commands (./scripts/run and
./scripts/test) are plain ``` blocks: the whole suite is their test."""

import os
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "server"))
os.environ.setdefault("CODEYARD_SERVER_BIN",
                      str(pathlib.Path(os.environ.get("CODEYARD_CLI_BIN", "")).parent
                          / "codeyard-server"))

from cli_helpers import CLI, clean_env  # noqa: E402
from test_server import Server  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "getting-started.md"


def sh_blocks(text):
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.S | re.M)


def test_getting_started_runs_as_written(tmp_path):
    blocks = sh_blocks(DOC.read_text())
    assert len(blocks) >= 4, "the doc's ```sh blocks were not found"
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "bin").symlink_to(pathlib.Path(CLI).parent)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    server = Server(tmp_path, "--dev", cwd=tmp_path)
    try:
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("127.0.0.1:8080", f"127.0.0.1:{server.port}")
        env = clean_env(tmp_path / "config")
        env["HOME"] = str(tmp_path)
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, (done.stdout, done.stderr)
        # The workspace's program ran (exec), and its output file came back (pull, cat).
        assert done.stdout.count("hello from a workspace") == 2, done.stdout
        assert (tmp_path / "hello" / "out.txt").read_text() == "hello from a workspace\n"
        assert "accepted" in done.stdout
        assert (tmp_path / "config" / "codeyard" / "login.json").exists()
    finally:
        server.stop()
