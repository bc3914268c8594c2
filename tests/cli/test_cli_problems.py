"""`codeyard problems import|export|list`, end to end: the real CLI on real packages.

Imports every example of examples/problems into a data directory's SQLite database, one line
per problem; computes a time limit from a package's accepted submissions by running them in
real pods; exports a stored problem and imports the export back; refuses bad packages with
the file named. Binaries come from $CODEYARD_CLI_BIN and $CODEYARD_POD_BIN (ctest sets them).
"""

import os
import pathlib
import shutil
import subprocess

CLI = os.environ.get("CODEYARD_CLI_BIN", "")
POD = os.environ.get("CODEYARD_POD_BIN", "")

# Never skip: a missing binary is a broken build, and must fail the suite.
if not (CLI and os.access(CLI, os.X_OK) and POD and os.access(POD, os.X_OK)):
    raise RuntimeError("CODEYARD_CLI_BIN / CODEYARD_POD_BIN do not name executables (run via ctest)")

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "problems"
ALL = ["average", "closest", "guess", "hello", "sortlines", "sum"]


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("CODEYARD_")}


def codeyard(*args, timeout=300):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env())


def import_(data, *paths, extra=()):
    return codeyard("problems", "import", "--data", str(data), *extra, *map(str, paths))


def test_import_every_example_one_line_each(tmp_path):
    data = tmp_path / "data"
    # Every example fixes its time limit: --time-limit is for packages that do not.
    proc = import_(data, *(EXAMPLES / p for p in ALL), extra=["--time-limit", "2"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"imported {p}" for p in ALL]
    assert '"Hello, World!" (kattis-legacy, 2 tests, 1 hidden, time limit 1 s fixed by the package)' in lines[3]
    assert "(codeyard, 5 tests, 4 hidden, time limit 1 s fixed" in lines[5]
    assert "guess: \"Guess the Number\" (kattis-legacy, 4 tests, 3 hidden" in lines[2]
    listed = codeyard("problems", "list", "--data", str(data))
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.strip().splitlines()
    assert [r.split("\t")[0] for r in rows] == ALL
    assert rows[-1].split("\t")[1:3] == ["level 1", "5 tests (4 hidden)"]


def test_time_limit_computed_from_accepted_submissions(tmp_path):
    # A copy of sortlines without a fixed limit: its accepted Python submission is timed in
    # real pods, and a legacy-style limit of whole seconds (at least 1) comes out.
    package = tmp_path / "unique"
    shutil.copytree(EXAMPLES / "sortlines", package)
    yaml = (package / "problem.yaml").read_text().replace("time_limit_s: 1, ", "")
    (package / "problem.yaml").write_text(yaml)
    proc = import_(tmp_path / "data", package,
                   extra=["--executor", f"local:?state_dir={tmp_path}/pods"])
    assert proc.returncode == 0, proc.stderr
    assert "imported unique:" in proc.stdout
    assert "time limit 1 s computed from the slowest accepted run" in proc.stdout


def test_no_limit_and_no_accepted_submission_needs_time_limit(tmp_path):
    package = tmp_path / "bare"
    shutil.copytree(EXAMPLES / "sortlines", package)
    yaml = (package / "problem.yaml").read_text().replace("time_limit_s: 1, ", "")
    (package / "problem.yaml").write_text(yaml)
    shutil.rmtree(package / "submissions" / "accepted")
    proc = import_(tmp_path / "data", package)
    assert proc.returncode == 2
    assert "no accepted submission" in proc.stderr and "--time-limit" in proc.stderr
    given = import_(tmp_path / "data", package, extra=["--time-limit", "3"])
    assert given.returncode == 0, given.stderr
    assert "time limit 3 s given" in given.stdout


def test_export_then_import_gives_the_same_problem(tmp_path):
    data = tmp_path / "data"
    assert import_(data, EXAMPLES / "sum").returncode == 0
    for fmt in ("kattis", "codeyard"):
        out = tmp_path / fmt / "sum"
        proc = codeyard("problems", "export", "--data", str(data), "--format", fmt, "sum", str(out))
        assert proc.returncode == 0, proc.stderr
        assert (out / "problem.yaml").exists()
    # Our format holds everything: the export's files equal the example's tests.
    for name in ("small/1", "large/2"):
        assert (tmp_path / "codeyard/sum/tests" / f"{name}.in").read_bytes() == \
            (EXAMPLES / "sum/tests" / f"{name}.in").read_bytes()
    assert (tmp_path / "kattis/sum/data/secret/large/testdata.yaml").read_text().find(
        "accept_score: 70") >= 0
    back = import_(tmp_path / "again", tmp_path / "codeyard/sum")
    assert back.returncode == 0, back.stderr
    assert "(codeyard, 5 tests, 4 hidden, time limit 1 s fixed" in back.stdout
    missing = codeyard("problems", "export", "--data", str(data), "nope", str(tmp_path / "x"))
    assert missing.returncode == 3  # not found (docs/cli.md)
    assert "problem not found" in missing.stderr


def test_bad_packages_name_the_file_and_store_nothing(tmp_path):
    bad = tmp_path / "broken"
    shutil.copytree(EXAMPLES / "hello", bad)
    (bad / "data/secret/1.ans").unlink()
    data = tmp_path / "data"
    proc = import_(data, EXAMPLES / "sortlines", bad)
    assert proc.returncode == 2
    assert "package broken: data/secret/1.in: has no answer file secret/1.ans" in proc.stderr
    listed = codeyard("problems", "list", "--data", str(data))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == ""
