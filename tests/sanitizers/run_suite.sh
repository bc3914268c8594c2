#!/usr/bin/env bash
# One "asan:" or "tsan:" ctest entry (tests/sanitizers/CMakeLists.txt): runs a test executable
# of a sanitized tree, or a server pytest file against that tree's codeyard-server, with the
# options of scripts/lib/sanitizers.sh, and fails on any sanitizer report of any process it
# started (the reports' files), whatever the exit codes said.
#   run_suite.sh asan|tsan EXECUTABLE [ARGS...]      e.g. asan unit_tests
#   run_suite.sh asan|tsan pytest FILE [ARGS...]      a file of tests/server/
# The trees are built by the entry "sanitizers: build ..." (a ctest fixture these require).
set -uo pipefail
kind=$1 what=$2
shift 2
# shellcheck source=scripts/lib/sanitizers.sh
source "$(dirname "$0")/../../scripts/lib/sanitizers.sh"
tree=$(san_tree_dir "$kind")
binary=$tree/bin/$what
[[ $what == pytest ]] && binary=$tree/bin/codeyard-server
if [[ ! -x $binary ]]; then
  echo "$binary is not built (scripts/lib/sanitizers.sh: sanitizer_trees_build)"
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/codeyard-$kind.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
reports=$scratch/reports
mkdir "$reports"
sanitizer_env "$reports"
if [[ $what == pytest ]]; then
  # The suites' servers get no CODEYARD_* variable, so a server finds its pods' init beside
  # itself: a copy of the sanitized server sits beside the unsanitized $CODEYARD_POD_BINARY
  # (a sanitizer's runtime thread makes the init's unshare(CLONE_NEWUSER) fail).
  if [[ -n ${CODEYARD_POD_BINARY:-} ]]; then
    mkdir "$scratch/bin"
    cp "$binary" "$scratch/bin/codeyard-server"
    ln -s "$CODEYARD_POD_BINARY" "$scratch/bin/codeyard-pod"
    # and the browser UI's files where a server looks by default (<bin>/../web): the main
    # tree's build/web, beside its codeyard-pod's bin/ (the UI's fallback route serves them).
    ln -s "$(dirname "$CODEYARD_POD_BINARY")/../web" "$scratch/web"
    # Suites that drive the CLI find it beside the server (the main tree's, unsanitized).
    ln -s "$(dirname "$CODEYARD_POD_BINARY")/codeyard" "$scratch/bin/codeyard"
    binary=$scratch/bin/codeyard-server
  fi
  # CODEYARD_SANITIZER tells a suite which measures the sanitizer makes meaningless (a
  # server's RSS under ASan): test_terminal.py.
  CODEYARD_SANITIZER=$kind CODEYARD_SERVER_BIN=$binary \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
else
  "$binary" "$@"
fi
status=$?

shopt -s nullglob
found=("$reports"/*)
if ((${#found[@]} > 0)); then
  for report in "${found[@]}"; do
    echo "=== $kind report: ${report##*/}"
    cat "$report"
  done
  echo "$kind: ${#found[@]} process(es) reported (exit status $status)"
  exit 1
fi
exit "$status"
