# The sanitizer runs of the test suites (issue 21, docs/reliability.md "Sanitizer builds"):
# the one place that sets ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and TSAN_OPTIONS, and that
# builds the two trees the "asan:" and "tsan:" ctest entries (tests/sanitizers/) run:
#   build-fuzz/  ASan+UBSan at -O0, the fuzz configuration (scripts/lib/fuzz_tree.sh), shared with
#                ./scripts/fuzz so the library is compiled once for both; the suites'
#                executables and codeyard-server are built into it too.
#   build-tsan/  ThreadSanitizer, clang 16 at -O0 (CODEYARD_TSAN_OPT; quicker to build, the
#                cases run about twice as long, 27 s instead of 16): the library and the
#                executables whose cases cover the threaded parts only.
# Source it from anywhere; paths below are absolute.
SAN_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/fuzz_tree.sh
source "$SAN_REPO/scripts/lib/fuzz_tree.sh"
TSAN_TREE=${CODEYARD_TSAN_TREE:-build-tsan}
TSAN_OPT=${CODEYARD_TSAN_OPT:--O0}

# What each tree builds for the suites (the ctest entries in tests/sanitizers/CMakeLists.txt).
SAN_ASAN_TARGETS=(unit_tests storage_tests storage_stress_helper service_tests
                  workspace_crash_helper server_unit_tests codeyard_server)
SAN_TSAN_TARGETS=(tsan_tests storage_stress_helper)

# The absolute directory of tree `asan` or `tsan`.
san_tree_dir() {
  local tree=$FUZZ_TREE
  [[ $1 == tsan ]] && tree=$TSAN_TREE
  [[ $tree == /* ]] || tree=$SAN_REPO/$tree
  printf '%s\n' "$tree"
}

# Configures build-tsan/ once (again only when it has no build.ninja).
tsan_tree_configure() {
  local tree
  tree=$(san_tree_dir tsan)
  [[ -f $tree/build.ninja ]] && return 0
  local launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=clang-16 CXX=clang++-16 cmake -S "$SAN_REPO" -B "$tree" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$TSAN_OPT -g1 -DNDEBUG" \
    -DCODEYARD_SANITIZE=thread -DCODEYARD_BUILD_PYTHON=OFF -DCODEYARD_WERROR=OFF \
    "${launcher[@]}" >/dev/null
}

# Builds what the "asan:" and "tsan:" ctest entries run: the trees named (asan, tsan), or both.
sanitizer_trees_build() {
  local kinds=("$@")
  ((${#kinds[@]} > 0)) || kinds=(asan tsan)
  local kind
  for kind in "${kinds[@]}"; do
    if [[ $kind == asan ]]; then
      (cd "$SAN_REPO" && fuzz_tree_configure)
      echo "sanitizers: building the ASan+UBSan suites into $FUZZ_TREE/"
      san_ninja "$(san_tree_dir asan)" "${SAN_ASAN_TARGETS[@]}"
    else
      tsan_tree_configure
      echo "sanitizers: building the TSan suites into $TSAN_TREE/"
      san_ninja "$(san_tree_dir tsan)" "${SAN_TSAN_TARGETS[@]}"
    fi
  done
}

san_ninja() {
  local tree=$1
  shift
  # ninja's status is the pipeline's (pipefail): see scripts/build.
  ninja -C "$tree" -j "$(nproc)" "$@" | { grep -Ev '^\[[0-9]+/[0-9]+\] (Building|Linking)' || true; }
}

# Exports the sanitizers' options. Every report goes to a file under $1 (log_path: one file a
# process, children included, and never into a stderr a test reads), so a run fails when $1 is
# not empty afterwards, whatever the process's exit code (tests/sanitizers/run_suite.sh).
# Reports stop the process (halt_on_error), except ThreadSanitizer's: it goes on, so one run
# shows every race. Suppressions, each with its reason, are in tests/sanitizers/*.supp.
sanitizer_env() {
  local reports=$1 supp=$SAN_REPO/tests/sanitizers symbolizer=""
  local candidate
  for candidate in llvm-symbolizer-16 /usr/lib/llvm-16/bin/llvm-symbolizer llvm-symbolizer \
                   llvm-symbolizer-14; do
    if symbolizer=$(command -v "$candidate"); then break; fi
    symbolizer=""
  done
  local common="print_stacktrace=1"
  [[ -n $symbolizer ]] && common+=":external_symbolizer_path=$symbolizer"
  export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:log_path=$reports/report"
  export UBSAN_OPTIONS="$common:halt_on_error=1:log_path=$reports/report"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export TSAN_OPTIONS="$common:halt_on_error=0:second_deadlock_stack=1:log_path=$reports/report:suppressions=$supp/tsan.supp:print_suppressions=0"
}
