#!/bin/sh
# ctest's Catch2 discovery splits a test name at ';' and runs the first piece, which matches no
# test, so such a test "passes" without running. Refuse those names. Usage: BINARY...
bad=0
for bin in "$@"; do
  # Catch2 v2 exits with the number of tests listed, so the output is what counts.
  names=$("$bin" --list-test-names-only)
  [ -n "$names" ] || { echo "$bin: lists no tests" >&2; exit 1; }
  found=$(printf '%s\n' "$names" | grep ';')
  if [ -n "$found" ]; then
    printf '%s: a test name holds ";" (ctest would run nothing for it):\n%s\n' "$bin" "$found" >&2
    bad=1
  fi
done
exit $bad
