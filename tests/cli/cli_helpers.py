"""Shared by the CLI suites: the real `codeyard` binary run with a clean environment (our own
CODEYARD_* variables would be read as configuration) and a private config dir, so a login a
test makes never touches the user's own."""

import json
import os
import pathlib
import subprocess
import sys

CLI = os.environ.get("CODEYARD_CLI_BIN", "")

# Never skip: a missing binary is a broken build, and must fail the suite.
if not (CLI and os.access(CLI, os.X_OK)):
    raise RuntimeError("CODEYARD_CLI_BIN does not name an executable (run via ctest)")


def clean_env(config_home=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEYARD_")}
    if config_home is not None:
        env["XDG_CONFIG_HOME"] = str(config_home)
    return env


def codeyard(*args, config_home=None, stdin=None, timeout=120, cwd=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=clean_env(config_home), input=stdin, cwd=cwd)


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def ok_json(result):
    return json.loads(ok(result))


PASSWORD = "correct horse battery"


def real_server(tmp_dir, users):
    """The real codeyard-server on loopback (tests/server's Server, beside the CLI binary) with
    `users` added to its data directory first: (username, extra `user add` flags) pairs."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "server"))
    os.environ.setdefault("CODEYARD_SERVER_BIN", str(pathlib.Path(CLI).parent / "codeyard-server"))
    from test_server import Server  # noqa: E402 (needs the path and the binary above)

    server = Server(tmp_dir)
    for name, extra in users:
        ok(codeyard("user", "add", name, "--password-stdin", "--data", server.data_dir, *extra,
                    stdin=PASSWORD + "\n"))
    return server


def login(server, home, name):
    """`codeyard login` as `name` (password PASSWORD), the login kept in the config dir `home`."""
    ok(codeyard("login", f"http://127.0.0.1:{server.port}", "--username", name,
                "--password-stdin", config_home=home, stdin=PASSWORD + "\n"))
