import sys
# Keeps the duplicates.
sys.stdout.write(sys.stdin.read())
