#!/usr/bin/env bash
# Smoke run of `codeyard-bench stall` (not a measurement: few samples, short execs): it must
# exit 0 and print its header, the exec line and a row per request kind.
set -euo pipefail
bench=$1
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$bench" stall --execs 17 --sleep 5 --samples 3 >"$out" 2>"$err" || { cat "$out" "$err"; exit 1; }
fail() { echo "stall_smoke: $1"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
grep -q '^codeyard-bench stall: 17 execs of 5 s by one user, 3 samples per kind' "$out" \
  || fail "no header line"
grep -qE '^execs: [0-9]+ ok, [0-9]+ refused \(429/503\), 0 other; running at start [0-9]+, at end [1-9][0-9]*$' "$out" \
  || fail "no exec line"
for row in 'GET /api/v1/health' 'GET /api/v1/workspaces/{id}/files/keep.txt' 'POST /api/v1/auth/login'; do
  grep -qE "^$(printf '%s' "$row" | sed 's/[]{}[().*/]/\\&/g') +([0-9.]+ +){2}[0-9.]+x +([0-9.]+ +){2}[0-9.]+x$" "$out" \
    || fail "no row for $row"
done
echo "stall_smoke: ok"
