#!/usr/bin/env bash
# Builds the Kubernetes images with Debian's buildah where no container registry is reachable
# (these machines reach only Debian's mirror and npm): the base of both Dockerfiles is a
# `debootstrap --variant=minbase` root from this machine's apt source (bookworm, and trixie for
# the server's web stage), imported once as localhost/codeyard-debian:RELEASE and passed as the
# BASE and WEB_BASE build arguments; the context is `git archive HEAD` (a clean tree: no build/,
# no node_modules). Where a registry is reachable,
# `docker build -f k8s/images/NAME.Dockerfile .` does the same from the pinned upstream base.
#   k8s/images/build.sh [server|workspace|all] [TAG]     (as root; TAG defaults to the version)
# CODEYARD_BUILD_CA_FILE=FILE: a CA certificate npm must trust in the build (a TLS-intercepting
# proxy's), mounted into the build steps as NODE_EXTRA_CA_CERTS; apt uses the mirror as is.
# CODEYARD_NODE_IMAGE=REF: the workspace image's Node.js 20 stage (its NODE_IMAGE build
# argument; default the pinned node:20 bookworm image, which needs a registry or a local copy).
# Needs: apt-get install buildah debootstrap. Runs are chroot-isolated: crun and runc cannot
# create containers on a cgroup v1/v2 hybrid host such as these machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-all}
tag=${2:-$(sed -n 's/^project(codeyard VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)}
work=$(mktemp -d /tmp/codeyard-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# localhost/codeyard-debian:RELEASE from a minbase debootstrap, once.
. k8s/images/base_image.sh
base_image() { codeyard_base_image "$1" "$work"; }
base_image bookworm
# The server's web stage: the UI's toolchain needs Node 20.19+, Debian's from trixie on.
if [[ $which != workspace ]]; then base_image trixie; fi

mkdir -p "$work/context"
git archive HEAD | tar -x -C "$work/context"
ca_args=()
if [[ -n ${CODEYARD_NODE_IMAGE:-} ]]; then
  ca_args+=(--build-arg "NODE_IMAGE=$CODEYARD_NODE_IMAGE")
fi
if [[ -n ${CODEYARD_BUILD_CA_FILE:-} ]]; then
  ca_args+=(--volume "$CODEYARD_BUILD_CA_FILE:/run/codeyard-build-ca.crt:ro"
           --build-arg NODE_EXTRA_CA_CERTS=/run/codeyard-build-ca.crt)
fi
for name in server workspace; do
  [[ $which == all || $which == "$name" ]] || continue
  echo "images: building codeyard/$name:$tag"
  buildah bud --pull=never --isolation=chroot --layers=false "${ca_args[@]}" \
    --build-arg BASE=localhost/codeyard-debian:bookworm \
    --build-arg WEB_BASE=localhost/codeyard-debian:trixie \
    -f "$work/context/k8s/images/$name.Dockerfile" -t "codeyard/$name:$tag" "$work/context"
done
