#!/usr/bin/env bash
# The server image (k8s/images/server.Dockerfile) built with Debian's buildah and checked:
# its root has /opt/codeyard/bin/codeyard-server (the Dockerfile's path, the Deployment's
# command), every shared library the binary loads resolves inside the root (ldd under chroot),
# and the binary started in the root (chroot, as the image's uid 10001) answers
# GET /api/v1/health on a loopback port with SQLite under the root's /var/lib/codeyard.
#
# The base is the debootstrap root k8s/images/build.sh uses (localhost/codeyard-debian:
# bookworm, made once and reused). The Dockerfile's own last stage is built: its apt-get
# install of the runtime packages and its user, directories and COPYs. What it copies from
# is, instead of the compile stage, an image holding this build tree's codeyard-server and its
# runtime package list (SERVER_FROM), and a one-page UI (WEB_FROM): compiling the server
# inside the build takes about an hour on these 2 shared cores, and the UI stage needs the npm
# registry. Runs are chroot-isolated (buildah --isolation=chroot): crun and runc cannot create
# containers on these machines' cgroup v1/v2 hybrid.
# Usage: server_image.sh CODEYARD_SERVER_BINARY          (as root)
set -euo pipefail
binary=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=test-$$
work=$(mktemp -d /tmp/cy-server-image.XXXXXX)
server_out=localhost/codeyard-test-server-out:$tag
web_out=localhost/codeyard-test-web-out:$tag
image=localhost/codeyard-test-server:$tag
ctr=""
pid=""
root=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n $root ]]; then
    for m in proc dev; do mountpoint -q "$root/$m" && umount -l "$root/$m"; done
  fi
  if [[ -n $ctr ]]; then buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  # -f: also the containers buildah bud leaves for the stages that only name an image.
  for i in "$image" "$server_out" "$web_out"; do buildah rmi -f "$i" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

command -v buildah >/dev/null || { echo "server_image: buildah is not installed (scripts/bootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "server_image: debootstrap is not installed" >&2; exit 1; }
. "$repo/k8s/images/base_image.sh"
codeyard_base_image bookworm "$work"

# What the Dockerfile's build stage leaves in /out, from this build tree.
mkdir -p "$work/server/out/opt/codeyard/bin" "$work/web/out/web"
install -m 0755 "$binary" "$work/server/out/opt/codeyard/bin/codeyard-server"
sh "$repo/k8s/images/runtime-packages.sh" "$binary" >"$work/server/out/runtime-packages"
echo "server_image: runtime packages: $(tr '\n' ' ' <"$work/server/out/runtime-packages")"
echo '<!doctype html><title>Codeyard</title>' >"$work/web/out/web/index.html"
for part in server web; do
  c=$(buildah from scratch)
  buildah copy --quiet "$c" "$work/$part/out" /out >/dev/null
  out=$server_out
  [[ $part == web ]] && out=$web_out
  buildah commit --quiet "$c" "$out" >/dev/null
  buildah rm "$c" >/dev/null
done

mkdir -p "$work/context"
start=$(date +%s)
buildah bud --pull=never --isolation=chroot --layers=false --quiet \
  --build-arg BASE=localhost/codeyard-debian:bookworm \
  --build-arg SERVER_FROM="$server_out" --build-arg WEB_FROM="$web_out" \
  -f "$repo/k8s/images/server.Dockerfile" -t "$image" "$work/context" >"$work/bud.log" 2>&1 ||
  { tail -30 "$work/bud.log"; echo "server_image: buildah bud failed" >&2; exit 1; }
echo "server_image: built $image in $(($(date +%s) - start)) s"
user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$image")
[[ $user == 10001:10001 ]] || { echo "server_image: the image runs as '$user', not 10001:10001" >&2; exit 1; }

ctr=$(buildah from --pull=never "$image")
root=$(buildah mount "$ctr")
bin=/opt/codeyard/bin/codeyard-server
[[ -x $root$bin ]] || { echo "server_image: $bin is not in the image" >&2; exit 1; }
[[ -f $root/opt/codeyard/web/index.html ]] || { echo "server_image: the UI is not in the image" >&2; exit 1; }
libs=$(chroot "$root" ldd "$bin")
if grep -q "not found" <<<"$libs"; then
  grep "not found" <<<"$libs" >&2
  echo "server_image: libraries of $bin do not resolve in the image" >&2
  exit 1
fi
echo "server_image: $(grep -c '=>' <<<"$libs") shared libraries resolve in the image"

# Started as the image would start it: its user, its data directory, its environment, on a
# loopback port; the executor is the in-process fake (no pods are made; the health route
# answers from the process alone).
# What every container runtime gives a container: /proc (the server's SQLite reserve is
# linked in through /proc/self/fd) and /dev (null, urandom).
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
# The secret comes from the Deployment's Secret in a cluster (k8s/server/secret.yaml).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chroot --userspec=10001:10001 "$root" /usr/bin/env -i HOME=/var/lib/codeyard \
  CODEYARD_SECRET="$(openssl rand -hex 32)" \
  CODEYARD_SERVER_LISTEN=127.0.0.1:"$port" CODEYARD_DATA_DIR=/var/lib/codeyard \
  CODEYARD_EXECUTOR_URI=fake: "$bin" >"$work/server.log" 2>&1 &
pid=$!
deadline=$(($(date +%s) + 60))
until body=$(curl -fsS "http://127.0.0.1:$port/api/v1/health" 2>/dev/null); do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -20 "$work/server.log"; echo "server_image: the server in the image exited" >&2; exit 1
  fi
  if (($(date +%s) > deadline)); then
    tail -20 "$work/server.log"; echo "server_image: no answer on /api/v1/health within 60 s" >&2; exit 1
  fi
  sleep 0.2
done
echo "server_image: GET /api/v1/health -> $body"
[[ -f $root/var/lib/codeyard/codeyard.db ]] || { echo "server_image: no SQLite database in /var/lib/codeyard" >&2; exit 1; }
echo "server_image: ok"
