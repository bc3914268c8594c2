#!/bin/sh
# The Role in k8s/ grants exactly the API calls the k8s: executor makes: tests/k8s/check_rbac.mjs
# --strict on the audit of the executor's cases (which names each call not granted, and each
# grant no call used). The audit is collected by the cases' own ctest entries ("kube: ...",
# each appending its fake's audit to AUDIT; tests/CMakeLists.txt, fixture kube_audit), which
# ctest runs first, so the cases run once. The tests' own API clients (reading events, waiting
# on the API server) say User-Agent codeyard-tests, so --client keeps the executor's calls
# (codeyard/<version>) and the audit is exactly what the executor asked for.
# Usage: executor_rbac_check.sh AUDIT
set -eu
audit=$1
here=$(cd "$(dirname "$0")" && pwd)
test -s "$audit" || { echo "no API request was audited in $audit" >&2; exit 1; }
node "$here/../k8s/check_rbac.mjs" --strict --client codeyard/ "$audit"
