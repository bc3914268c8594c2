# The clang tree build-fuzz/ (issue 21), shared by ./scripts/fuzz (libFuzzer targets, fuzz/)
# and the ASan+UBSan runs of the test suites: Debian's clang 16, AddressSanitizer +
# UndefinedBehaviorSanitizer on every target, fuzzer-no-link so libFuzzer sees the library's
# coverage, the fuzz targets on, no Python module, warnings not fatal (clang's set differs from
# g++'s, which is the one -Werror is kept for). One configuration for both users, so neither
# rebuilds the other's objects: change it here only.
#   source scripts/lib/fuzz_tree.sh; fuzz_tree_configure; ninja -C "$FUZZ_TREE" <targets>
# FUZZ_TREE is build-fuzz unless CODEYARD_FUZZ_TREE says otherwise (relative to the repo root).
#
# -O0 by default (CODEYARD_FUZZ_OPT): under ASan, clang's -O1 pipeline is most of a file's
# compile time (a library file: 11.4 CPU-seconds at -O1, 3.8 at -O0), and ./scripts/test
# compiles this tree from nothing in CI; the short runs there are bounded by time, not by
# executions. For a long run (fuzzing speed: OSS-Fuzz builds at -O1), use a tree of its own:
#   CODEYARD_FUZZ_TREE=build-fuzz-o1 CODEYARD_FUZZ_OPT=-O1 ./scripts/fuzz --runs 10000000 paths
FUZZ_OPT=${CODEYARD_FUZZ_OPT:--O0}
FUZZ_TREE=${CODEYARD_FUZZ_TREE:-build-fuzz}

# Configures $FUZZ_TREE once (again only when it has no build.ninja). Run from the repo root.
fuzz_tree_configure() {
  if [[ -f $FUZZ_TREE/build.ninja ]]; then
    return 0
  fi
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  CC=clang-16 CXX=clang++-16 cmake -S . -B "$FUZZ_TREE" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$FUZZ_OPT -g1 -DNDEBUG" \
    -DCODEYARD_SANITIZE=address,undefined,fuzzer-no-link -DCODEYARD_FUZZ=ON \
    -DCODEYARD_BUILD_PYTHON=OFF -DCODEYARD_WERROR=OFF "${launcher[@]}" >/dev/null
}
