#!/usr/bin/env bash
# The ctest fixture of the "asan:" and "tsan:" entries: configures and builds what they run in
# build-fuzz/ and build-tsan/ (scripts/lib/sanitizers.sh). Running inside ctest, the build
# overlaps the main suites, which leave about half the CPU idle waiting on pods and servers.
set -euo pipefail
# shellcheck source=scripts/lib/sanitizers.sh
source "$(dirname "$0")/../../scripts/lib/sanitizers.sh"
sanitizer_trees_build "$@"  # asan, tsan: the trees whose entries are on
