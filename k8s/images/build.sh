#!/usr/bin/env bash
# Builds the Kubernetes images with Debian's buildah where no container registry is reachable
# (these machines reach only Debian's mirror and npm): the base of both Dockerfiles is a
# `debootstrap --variant=minbase bookworm` root from this machine's apt source, imported once
# as localhost/codeyard-debian:bookworm and passed as the BASE build argument; the context is
# `git archive HEAD` (a clean tree: no build/, no node_modules). Where a registry is reachable,
# `docker build -f k8s/images/NAME.Dockerfile .` does the same from the pinned upstream base.
#   k8s/images/build.sh [server|workspace|all] [TAG]     (as root; TAG defaults to the version)
# Needs: apt-get install buildah debootstrap. Runs are chroot-isolated: crun and runc cannot
# create containers on a cgroup v1/v2 hybrid host such as these machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-all}
tag=${2:-$(sed -n 's/^project(codeyard VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)}
base=localhost/codeyard-debian:bookworm
work=$(mktemp -d /tmp/codeyard-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${CODEYARD_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
  echo "images: debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  ctr=$(buildah from scratch)
  buildah copy --quiet "$ctr" "$work/root/" / >/dev/null
  buildah commit --quiet "$ctr" "$base" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -rf "$work/root"
fi

mkdir -p "$work/context"
git archive HEAD | tar -x -C "$work/context"
for name in server workspace; do
  [[ $which == all || $which == "$name" ]] || continue
  echo "images: building codeyard/$name:$tag"
  buildah bud --pull=never --isolation=chroot --layers=false --build-arg "BASE=$base" \
    -f "$work/context/k8s/images/$name.Dockerfile" -t "codeyard/$name:$tag" "$work/context"
done
