# Sourced by k8s/images/build.sh and tests/k8s/server_image.sh: codeyard_base_image RELEASE WORK
# makes localhost/codeyard-debian:RELEASE, a `debootstrap --variant=minbase` root of this
# machine's apt source imported into buildah, once (an existing one is reused). WORK is a
# scratch directory for the root. Needs root, buildah and debootstrap.
codeyard_base_image() {
  local release=$1 work=$2 image=localhost/codeyard-debian:$1 mirror ctr
  if buildah inspect --type image "$image" >/dev/null 2>&1; then return 0; fi
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${CODEYARD_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
  echo "images: debootstrap $release from $mirror"
  debootstrap --variant=minbase "$release" "$work/root-$release" "$mirror" >"$work/debootstrap.log" ||
    { tail -20 "$work/debootstrap.log"; return 1; }
  ctr=$(buildah from scratch)
  buildah copy --quiet "$ctr" "$work/root-$release/" / >/dev/null
  buildah commit --quiet "$ctr" "$image" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -rf "$work/root-$release"
}
