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
# Not the [fault] cases: they also read the fake's events with the test's own client (what
# kubectl describe would show), which the audit cannot tell from the executor's calls; the
# executor's calls in them are the verbs the other cases make. They run in their own ctests.
CODEYARD_KUBE_AUDIT_APPEND=$audit "$tests_bin" "[fake]~[fault]"
test -s "$audit" || { echo "no API request was audited" >&2; exit 1; }
node "$here/../k8s/check_rbac.mjs" --strict "$audit"
