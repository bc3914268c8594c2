"""POST /api/v1/run: stateless one-shot runs on the warm pool, verdicts and bad input."""


import pytest

import prometheus_text
from api_client import call, error_code, register, wait_for

RUN_KEYS = {"verdict", "exit_code", "signal", "stdout", "stderr", "cpu_ms", "wall_ms", "memory_kb",
            "output_truncated", "compile_output", "compile_ms", "message"}


@pytest.fixture(scope="module")
def token(server):
    return register(server)["access_token"]


def run(server, token, body):
    return call(server, "POST", "/run", token=token, json_body=body)


def pool_counts(server):
    text = server.request("GET", "/metrics")[2].decode()
    families = prometheus_text.parse(text)
    return (prometheus_text.value(families, "codeyard_pool_hits_total") +
            prometheus_text.value(families, "codeyard_pool_misses_total"),
            prometheus_text.value(families, "codeyard_pool_size"))


def test_python_hello_with_stdin_and_args_on_the_warm_pool(server, token):
    # The pool fills in the background after start; wait (with a deadline) until it has a pod.
    wait_for(lambda: pool_counts(server)[1] >= 1, 20, "the warm pool has a pod")
    served_before, ready = pool_counts(server)
    status, _, doc = run(server, token, {
        "language": "python",
        "files": {"main.py": "import sys\nprint('hello', input(), sys.argv[1:])\n"},
        "stdin": "world\n",
        "args": ["a", "b c"],
    })
    assert status == 200, doc
    assert set(doc) == RUN_KEYS
    assert doc["verdict"] == "ok"
    assert doc["exit_code"] == 0 and doc["signal"] is None
    assert doc["stdout"] == "hello world ['a', 'b c']\n"
    assert doc["compile_output"] == "" and doc["message"] == ""
    # Default limits: served through the warm pool (a hit, or a miss if it was just emptied).
    assert pool_counts(server)[0] == served_before + 1


def test_c_compile_error_carries_the_compiler_output(server, token):
    status, _, doc = run(server, token, {
        "language": "c",
        "files": {"main.c": "int main(void) { return undeclared; }\n"},
    })
    assert status == 200, doc
    assert doc["verdict"] == "compile_error"
    assert "undeclared" in doc["compile_output"]
    assert doc["message"]
    assert doc["stdout"] == ""


def test_c_program_compiles_and_runs(server, token):
    status, _, doc = run(server, token, {
        "language": "c",
        "files": {"main.c": '#include <stdio.h>\nint main(void){int x; scanf("%d",&x);'
                            ' printf("%d\\n", x * 2); return 3;}\n'},
        "stdin": "21",
    })
    assert status == 200, doc
    assert doc["verdict"] == "runtime_error" and doc["exit_code"] == 3
    assert doc["stdout"] == "42\n"
    assert doc["compile_ms"] > 0


def test_time_limit_exceeded(server, token):
    status, _, doc = run(server, token, {
        "language": "python",
        "files": {"spin.py": "while True:\n    pass\n"},
        "time_limit_s": 0.5,
    })
    assert status == 200, doc
    assert doc["verdict"] == "time_limit_exceeded"
    assert doc["exit_code"] is None


def test_output_limit(server, token):
    status, _, doc = run(server, token, {
        "language": "bash",
        "files": {"loud.sh": "yes hello\n"},
        "output_limit_kb": 4,
    })
    assert status == 200, doc
    assert doc["verdict"] == "output_limit_exceeded"
    assert doc["output_truncated"] is True
    assert len(doc["stdout"]) <= 4096


def test_run_needs_a_token(server):
    status, _, doc = call(server, "POST", "/run",
                          json_body={"language": "python", "files": {"a.py": "print(1)"}})
    assert status == 401 and error_code(doc) == "unauthenticated"


@pytest.mark.parametrize("body,field", [
    ({"files": {"a.py": "print(1)"}}, "language"),
    ({"language": "cobol", "files": {"a.cob": "x"}}, "language"),
    ({"language": 3, "files": {"a.py": "x"}}, "language"),
    ({"language": "python"}, "files"),
    ({"language": "python", "files": {}}, "files"),
    ({"language": "python", "files": ["a.py"]}, "files"),
    ({"language": "python", "files": {"a.py": 1}}, "files"),
    ({"language": "python", "files": {"../up.py": "x"}}, "files"),
    ({"language": "python", "files": {"/abs.py": "x"}}, "files"),
    ({"language": "python", "files": {f"f{i}.py": "" for i in range(65)}}, "files"),
    ({"language": "python", "files": {"big.py": "#" * (1024 * 1024 + 1)}}, "files"),
    ({"language": "python", "files": {f"f{i}.py": "#" * (900 * 1024) for i in range(5)}},
     "files"),
    ({"language": "python", "files": {"a.py": "x"}, "stdin": 5}, "stdin"),
    ({"language": "python", "files": {"a.py": "x"}, "stdin": "x" * (1024 * 1024 + 1)}, "stdin"),
    ({"language": "python", "files": {"a.py": "x"}, "args": "a b"}, "args"),
    ({"language": "python", "files": {"a.py": "x"}, "args": [1]}, "args"),
    ({"language": "python", "files": {"a.py": "x"}, "args": ["a"] * 65}, "args"),
    ({"language": "python", "files": {"a.py": "x"}, "time_limit_s": 0}, "time_limit_s"),
    ({"language": "python", "files": {"a.py": "x"}, "time_limit_s": 11}, "time_limit_s"),
    ({"language": "python", "files": {"a.py": "x"}, "time_limit_s": "1"}, "time_limit_s"),
    ({"language": "python", "files": {"a.py": "x"}, "memory_limit_mb": 4}, "memory_limit_mb"),
    ({"language": "python", "files": {"a.py": "x"}, "memory_limit_mb": 4096}, "memory_limit_mb"),
    ({"language": "python", "files": {"a.py": "x"}, "output_limit_kb": 0}, "output_limit_kb"),
    ({"language": "c", "files": {"notes.txt": "x"}}, "compiler"),
])
def test_bad_input_is_400_naming_the_field(server, token, body, field):
    status, _, doc = run(server, token, body)
    assert status == 400, doc
    assert error_code(doc) == "invalid_argument"
    assert field in doc["error"]["message"], doc


def test_malformed_json_is_400(server, token):
    status, _, doc = call(server, "POST", "/run", token=token, body=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert status == 400 and error_code(doc) == "invalid_argument"
