#!/bin/sh
# Installs the built tree into a temporary prefix, then builds examples/embed_minimal.cpp out of
# tree twice, through find_package(Codeyard) and through pkg-config, and runs both.
# Usage: install_and_build.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
work=$(mktemp -d /tmp/codeyard-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "installing into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/libcodeyard.a" || test -f "$work/prefix/lib/x86_64-linux-gnu/libcodeyard.a"
test -f "$work/prefix/include/codeyard/codeyard.hpp"
test -x "$work/prefix/bin/codeyard-pod"

echo "find_package(Codeyard)"
cmake -S "$src/tests/examples/out_of_tree" -B "$work/app" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DEXAMPLE_SOURCE="$src/examples/embed_minimal.cpp" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/app" > "$work/build.log"
CODEYARD_POD_BINARY="$work/prefix/bin/codeyard-pod" "$work/app/embed_minimal" "$work/data1"

echo "pkg-config codeyard"
pc=$(dirname "$(find "$work/prefix" -name codeyard.pc | head -1)")
# shellcheck disable=SC2046
c++ -O1 -o "$work/embed_pc" "$src/examples/embed_minimal.cpp" \
  $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs codeyard)
CODEYARD_POD_BINARY="$work/prefix/bin/codeyard-pod" "$work/embed_pc" "$work/data2"
