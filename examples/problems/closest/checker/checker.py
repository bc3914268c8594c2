"""Checker of closest: the Kattis output validator contract, with partial points.

argv: input_file answer_file feedback_dir; the submission's output on stdin. Exit 42 with
feedback_dir/score.txt holding the fraction of the test's points awarded (1 or 0.5), 43 for a
wrong answer.
"""
import sys

answer = int(open(sys.argv[2]).read())
feedback_dir = sys.argv[3]
try:
    got = int(sys.stdin.read().split()[0])
except (ValueError, IndexError):
    sys.exit(43)
if abs(got - answer) > 1:
    sys.exit(43)
with open(feedback_dir + "/score.txt", "w") as f:
    f.write("1\n" if got == answer else "0.5\n")
sys.exit(42)
