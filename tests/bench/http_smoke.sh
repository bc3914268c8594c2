#!/usr/bin/env bash
# Smoke run of `codeyard-bench http` (not a measurement: one 1-second wrk run per target):
# it must exit 0, print the header and a row per target on stdout (req/s, latencies, CPU per
# request and their ratios), and progress on stderr.
set -euo pipefail
bench=$1
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$bench" http --duration 1 --rounds 1 --threads 1 --connections 4 >"$out" 2>"$err"
fail() { echo "http_smoke: $1"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
grep -q '^codeyard-bench http: wrk 1 threads, 4 connections' "$out" || fail "no header line"
for row in 'bare lws, fixed 200 JSON' 'GET /api/v1/health' \
           'GET /api/v1/workspaces/{id}/files/small.txt'; do
  grep -qE "^$(printf '%s' "$row" | sed 's/[]{}[().*/]/\\&/g') +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+x +[0-9.]+ +[0-9.]+x$" "$out" \
    || fail "no row for $row"
done
grep -q '^codeyard-bench: round 1/1: GET /api/v1/health' "$err" || fail "no progress lines"
echo "http_smoke: ok"
