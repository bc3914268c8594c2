#!/usr/bin/env bash
# `pip install ./bindings/python` into a fresh venv, offline (--no-index, --no-build-isolation,
# Debian's setuptools and pybind11), reusing the configured build dir; then the venv's Python,
# run outside the checkout, imports the installed package (not the build tree's) and runs the
# quickstart example in the sandbox, with the pod launcher the package carries.
# Usage: pip_install_test.sh SOURCE_DIR BUILD_DIR PYTHON
set -euo pipefail
src=$1 build=$2 python=$3
work=$(mktemp -d /tmp/codeyard-pip-XXXXXX)
trap 'rm -rf "$work"' EXIT
# A copy, so setuptools' build/ and egg-info stay out of the checkout.
cp -r "$src/bindings/python" "$work/pkg"
rm -rf "$work/pkg/build" "$work/pkg"/*.egg-info
"$python" -m venv --system-site-packages "$work/venv"
CODEYARD_SOURCE_DIR=$src CODEYARD_BUILD_DIR=$build \
  "$work/venv/bin/python" -m pip install -q --no-index --no-build-isolation "$work/pkg"
cd "$work"
unset PYTHONPATH CODEYARD_POD_BINARY
"$work/venv/bin/python" - "$work" <<'PY'
import sys, codeyard
where = codeyard.__file__
assert where.startswith(sys.argv[1] + "/venv/"), where
import os
assert os.environ["CODEYARD_POD_BINARY"].startswith(sys.argv[1] + "/venv/")
print("imported", where, codeyard.version())
PY
"$work/venv/bin/python" "$src/examples/python/quickstart.py" "$work/data"
