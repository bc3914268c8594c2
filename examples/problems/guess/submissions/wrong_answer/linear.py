# Counts up from 1: more than ten guesses for most numbers.
for guess in range(1, 1001):
    print(guess, flush=True)
    if input().strip() == "correct":
        break
