"""Shared by the CLI suites: the real `codeyard` binary run with a clean environment (our own
CODEYARD_* variables would be read as configuration) and a private config dir, so a login a
test makes never touches the user's own."""

import json
import os
import subprocess

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
