"""Codeyard from Python in a dozen lines: a user, a workspace, a file, a run.

    PYTHONPATH=build/python python3 examples/python/quickstart.py [DATA_DIR]
"""
import sys
import tempfile

import codeyard


def main(data_dir: str) -> int:
    p = codeyard.open(data_dir=data_dir)  # SQLite and the local sandbox under data_dir
    user = p.accounts.register("quickstart", "correct horse battery")
    ws = p.workspaces.create(user.id, "hello")
    p.files.write(ws.id, "main.py", b"name = input()\nprint(f'hello, {name}')\n")
    result = p.workspaces.exec(ws.id, ["python3", "main.py"], stdin=b"world\n")
    print(f"exit {result.exit_code} ({result.verdict}): {result.stdout.decode()}", end="")
    try:
        p.files.read(ws.id, "missing.txt")
    except codeyard.NotFound as e:
        print(f"as expected: {e.code}: {e.message}")
    return 0 if result.stdout == b"hello, world\n" else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(sys.argv[1]))
    with tempfile.TemporaryDirectory() as d:
        sys.exit(main(d))
