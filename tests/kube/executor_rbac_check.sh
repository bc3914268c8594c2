#!/bin/sh
# The Role in k8s/ grants exactly the API calls the k8s: executor makes: runs the executor's
# tests against codeyard-kube-fake with its audit collected, then tests/k8s/check_rbac.mjs
# --strict on it (which names each call not granted, and each grant no call used).
# Usage: executor_rbac_check.sh KUBE_EXECUTOR_TESTS
set -eu
tests_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
audit=$(mktemp /tmp/cy-kexec-audit-XXXXXX)
trap 'rm -f "$audit"' EXIT
# Every [fake] case, the [fault] ones too: the tests' own API clients (reading events, waiting
# on the API server) say User-Agent codeyard-tests, so --client keeps the executor's calls
# (codeyard/<version>) and the audit is exactly what the executor asked for.
CODEYARD_KUBE_AUDIT_APPEND=$audit "$tests_bin" "[fake]"
test -s "$audit" || { echo "no API request was audited" >&2; exit 1; }
node "$here/../k8s/check_rbac.mjs" --strict --client codeyard/ "$audit"
