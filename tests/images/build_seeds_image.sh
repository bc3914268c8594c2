#!/bin/sh
# The ctest fixture behind the [seeds] image tests: makes the "seeds" image with the real
# `codeyard image build` into IMAGES_DIR, once per build tree. A marker holding the package
# list decides reuse: the same list reuses the image, another rebuilds it.
# Usage: build_seeds_image.sh CODEYARD_BINARY IMAGES_DIR
set -eu
cli=$1
dir=$2
name=seeds
packages=python3,python3-numpy,python3-scipy,python3-pandas,python3-matplotlib,nodejs,gcc,g++,ca-certificates
marker=$dir/$name.packages
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$packages" ] && [ -f "$dir/$name/manifest.json" ]; then
  echo "images: reusing $dir/$name"
  exit 0
fi
rm -f "$marker"
if [ -d "$dir/$name" ]; then "$cli" image rm "$name" --set "images.dir=$dir"; fi
start=$(date +%s)
"$cli" image build "$name" --packages "$packages" --set "images.dir=$dir"
printf '%s\n' "$packages" >"$marker"
echo "images: built $name in $(($(date +%s) - start)) s"
