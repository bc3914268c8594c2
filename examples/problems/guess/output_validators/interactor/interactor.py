"""Interactor of guess: the Kattis output validator contract run interactively.

argv: input_file answer_file feedback_dir. The submission's output is our stdin, our stdout
its input. Exit 42 accepts, 43 rejects (with the reason in feedback_dir/judgemessage.txt).
"""
import sys

EXIT_AC, EXIT_WA = 42, 43


def reject(feedback_dir, message):
    with open(feedback_dir + "/judgemessage.txt", "w") as f:
        f.write(message + "\n")
    sys.exit(EXIT_WA)


def main():
    secret = int(open(sys.argv[1]).read())
    feedback_dir = sys.argv[3]
    for guesses in range(1, 11):
        line = sys.stdin.readline()
        if not line:
            reject(feedback_dir, "the program ended before guessing right")
        try:
            guess = int(line)
        except ValueError:
            reject(feedback_dir, f"guess {guesses} is not a number: {line.strip()!r}")
        if not 1 <= guess <= 1000:
            reject(feedback_dir, f"guess {guess} is out of range")
        if guess == secret:
            print("correct", flush=True)
            sys.exit(EXIT_AC)
        print("lower" if secret < guess else "higher", flush=True)
    reject(feedback_dir, "more than 10 guesses")


main()
