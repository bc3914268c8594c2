#!/bin/sh
# Prints the Debian packages that provide the shared libraries the given programs load, one per
# line: the runtime stage of each image installs exactly these, so it carries no compiler and no
# -dev package, and a new library linked into a program needs no Dockerfile change.
set -eu
for program in "$@"; do
  ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
done | sort -u | while read -r lib; do
  # Debian's merged /usr: dpkg knows a library by the path its package ships, either one.
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")"
done | cut -d: -f1 | sort -u
