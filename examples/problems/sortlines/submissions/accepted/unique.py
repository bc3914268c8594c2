import sys
for line in sorted(set(sys.stdin.read().splitlines()), reverse=True):
    print(line)
