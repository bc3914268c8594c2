"""Grades every example submission of a problem folder in parallel and prints a table.

    PYTHONPATH=build/python python3 examples/python/batch_grade.py PROBLEM_DIR [DATA_DIR]

PROBLEM_DIR is a problem package (ours or Kattis'); its submissions/<verdict>/<file> are the
submissions, each expected to get <verdict>. Exits 1 when one got another verdict.
"""
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import codeyard


def submissions(problem_dir: str) -> list[tuple[str, str]]:
    """(expected verdict, path) of every single-file submission, by path."""
    found = []
    root = os.path.join(problem_dir, "submissions")
    for verdict in sorted(os.listdir(root)):
        folder = os.path.join(root, verdict)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if os.path.isfile(os.path.join(folder, name)):
                found.append((verdict, os.path.join(folder, name)))
    return found


def main(problem_dir: str, data_dir: str) -> int:
    p = codeyard.open(data_dir=data_dir)
    problem = p.problems.import_folder(problem_dir)
    user = p.accounts.register("grader", "correct horse battery")

    def grade(path: str) -> codeyard.Submission:
        with open(path, "rb") as f:
            source = f.read()
        sub = p.submissions.submit(user.id, problem.id, {os.path.basename(path): source})
        return p.submissions.wait(user.id, sub.id)  # the GIL is free while it waits

    todo = submissions(problem_dir)
    with ThreadPoolExecutor(max_workers=4) as pool:
        graded = list(pool.map(grade, [path for _, path in todo]))

    print(f"{problem.id}: {problem.title}")
    print(f"{'submission':<34} {'expected':<22} {'verdict':<22} {'score':>9}  tests")
    wrong = 0
    for (expected, path), sub in zip(todo, graded):
        name = os.path.relpath(path, os.path.join(problem_dir, "submissions"))
        tests = " ".join(t.verdict[:2].upper() for t in sub.tests)
        ok = sub.verdict == expected or (expected == "rejected" and sub.verdict != "accepted")
        wrong += 0 if ok else 1
        mark = "" if ok else "  <- unexpected"
        score = f"{sub.score:g}/{sub.max_score:g}"
        print(f"{name:<34} {expected:<22} {sub.verdict:<22} {score:>9}  {tests}{mark}")
    return 1 if wrong else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if len(sys.argv) > 2:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    with tempfile.TemporaryDirectory() as d:
        sys.exit(main(sys.argv[1], d))
