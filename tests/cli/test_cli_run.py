"""`codeyard run` and `codeyard doctor`, end to end: the real CLI starting real pods.

Binaries come from $CODEYARD_CLI_BIN and $CODEYARD_POD_BIN (ctest sets them). Every test
uses its own executor state directory, so runs never see each other's pods.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

CLI = os.environ.get("CODEYARD_CLI_BIN", "")
POD = os.environ.get("CODEYARD_POD_BIN", "")

# Never skip: a missing binary is a broken build, and must fail the suite.
if not (CLI and os.access(CLI, os.X_OK) and POD and os.access(POD, os.X_OK)):
    raise RuntimeError("CODEYARD_CLI_BIN / CODEYARD_POD_BIN do not name executables (run via ctest)")

JSON_FIELDS = {"verdict", "exit_code", "signal", "cpu_ms", "wall_ms", "memory_kb", "stdout", "stderr"}


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("CODEYARD_")}


@pytest.fixture
def work(tmp_path):
    return tmp_path


def write(directory, name, text):
    path = directory / name
    path.write_text(text)
    return str(path)


def codeyard(work, *args, timeout=120, executor=None):
    uri = executor or f"local:?state_dir={work}/pods"
    cmd = [CLI, *args]
    if args and args[0] in ("run", "doctor"):
        cmd += ["--executor", uri]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=clean_env())


def run_json(work, *args):
    proc = codeyard(work, "run", "--json", *args)
    result = json.loads(proc.stdout)
    assert JSON_FIELDS <= set(result), result
    return proc, result


def test_python_ok_prints_output_then_verdict(work):
    proc = codeyard(work, "run", write(work, "hello.py", "print('hello')\n"))
    assert proc.returncode == 0
    assert proc.stdout == "hello\n"
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("verdict: ok | exit code 0 | cpu ")
    assert " ms | memory " in last


def test_json_has_every_field(work):
    proc, r = run_json(work, write(work, "main.py", "import sys\nprint('out')\nprint('err', file=sys.stderr)\n"))
    assert proc.returncode == 0
    assert r["verdict"] == "ok"
    assert r["exit_code"] == 0 and r["signal"] is None
    assert r["stdout"] == "out\n" and r["stderr"] == "err\n"
    assert isinstance(r["cpu_ms"], int) and isinstance(r["wall_ms"], int)
    assert r["memory_kb"] > 1000


def test_runtime_error_exit_code(work):
    proc, r = run_json(work, write(work, "fail.py", "raise SystemExit(3)\n"))
    assert proc.returncode == 1
    assert r["verdict"] == "runtime_error" and r["exit_code"] == 3


def test_time_limit(work):
    proc, r = run_json(work, "--time-limit", "1", write(work, "loop.py", "while True:\n    pass\n"))
    assert proc.returncode == 1
    assert r["verdict"] == "time_limit_exceeded"
    assert r["wall_ms"] < 2500


def test_memory_limit(work):
    proc, r = run_json(work, "--memory-limit", "64", write(work, "hog.py", "b = bytearray(1024**3)\n"))
    assert proc.returncode == 1
    assert r["verdict"] == "memory_limit_exceeded"
    assert r["signal"] == 9


def test_output_limit(work):
    proc, r = run_json(work, "--output-limit", "0.01", write(work, "spam.py", "while True:\n    print('x' * 100)\n"))
    assert proc.returncode == 1
    assert r["verdict"] == "output_limit_exceeded"
    assert len(r["stdout"]) == int(0.01 * 1024 * 1024)


def test_stdin_and_languages(work):
    data = write(work, "in.txt", "21\n")
    _, c = run_json(work, "--stdin", data, write(work, "main.c", '#include <stdio.h>\nint main(){int x;scanf("%d",&x);printf("%d\\n",2*x);}\n'))
    assert (c["verdict"], c["stdout"]) == ("ok", "42\n")
    _, cpp = run_json(work, write(work, "main.cpp", "#include <iostream>\nint main(){std::cout<<\"cpp\\n\";}\n"))
    assert (cpp["verdict"], cpp["stdout"]) == ("ok", "cpp\n")
    _, js = run_json(work, write(work, "main.js", "console.log([1,2,3].length)\n"))
    assert js["stdout"] == "3\n"
    _, sh = run_json(work, write(work, "main.sh", "echo bash $BASH_VERSINFO\n"))
    assert sh["stdout"].startswith("bash ")
    _, forced = run_json(work, "--lang", "python", write(work, "script.txt", "print(1+1)\n"))
    assert forced["stdout"] == "2\n"


def test_compile_error(work):
    proc, r = run_json(work, write(work, "bad.c", "int main() { return nope; }\n"))
    assert proc.returncode == 1
    assert r["verdict"] == "compile_error"
    assert "nope" in r["compile_output"]


@pytest.mark.parametrize("args,needle", [
    (["run", "/no/such/file.py"], "file.py"),
    (["run", "--lang", "cobol", "x.py"], "cobol"),
    (["run"], "files"),
    (["run", "--time-limit", "-1", "x.py"], "time-limit"),
])
def test_bad_input_is_exit_2_with_a_message(work, args, needle):
    write(work, "x.py", "print(1)\n")
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30, env=clean_env(), cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr


def test_bad_executor_uri(work):
    proc = codeyard(work, "run", write(work, "x.py", "print(1)\n"), executor="local:?colour=blue")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "colour" in proc.stderr


def test_doctor(work):
    proc = codeyard(work, "doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] sandbox" in proc.stdout
    assert "[ok  ] memory limit" in proc.stdout
    assert "This host can run sandboxed pods." in proc.stdout


def test_rootless_as_an_ordinary_user(work):
    # Binaries in a directory an ordinary user can reach (the checkout may sit under /root).
    bindir = tempfile.mkdtemp(prefix="cy-rootless-")
    try:
        os.chmod(bindir, 0o755)
        shutil.copy2(CLI, os.path.join(bindir, "codeyard"))
        shutil.copy2(POD, os.path.join(bindir, "codeyard-pod"))
        state = os.path.join(bindir, "pods")
        os.mkdir(state)
        os.chown(state, 65534, 65534)
        script = os.path.join(bindir, "hi.py")
        with open(script, "w") as f:
            f.write("import os\nprint('uid', os.getuid())\n")
        os.chmod(script, 0o644)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     os.path.join(bindir, "codeyard"), "run", "--json"]
        limited = subprocess.run(as_nobody + ["--executor", f"local:?state_dir={state}", script],
                                 capture_output=True, text=True, timeout=60, env=clean_env(), cwd=bindir)
        assert limited.returncode == 5  # failed_precondition (docs/cli.md)
        assert "allow_unlimited" in limited.stderr
        unlimited = subprocess.run(
            as_nobody + ["--executor", f"local:?state_dir={state}&allow_unlimited=1", script],
            capture_output=True, text=True, timeout=60, env=clean_env(), cwd=bindir)
        assert unlimited.returncode == 0, unlimited.stderr
        r = json.loads(unlimited.stdout)
        assert r["verdict"] == "ok"
        assert r["stdout"] == "uid 1000\n"
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
