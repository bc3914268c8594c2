# image: codeyard/workspace
# The root file system of every workspace and job pod (the k8s: executor's `image=`): what the
# seeds promise a program finds (Python 3 with numpy, pandas, scipy and matplotlib; Node.js;
# gcc/g++), and the pod's own init, codeyard-pod, at /usr/local/bin/codeyard-pod (the executor
# URI's default pod_binary; the backend starts `codeyard-pod container` as the container's
# command and reaches it through `codeyard-pod agent` over the exec API). Build from the
# repository root:
#   docker build -f k8s/images/workspace.Dockerfile -t codeyard/workspace:0.1.0 .
# Node.js is 20 (the seeds' promise), copied from the upstream node image built on the same
# Debian release (its /usr/local: node, npm, npx); Debian bookworm's apt has only Node 18,
# which the local backend's debootstrap images (`codeyard image build`) keep.
# The base of the build and final stages; k8s/images/build.sh passes a debootstrap root of the
# same release where no registry is reachable.
ARG BASE=debian:bookworm-20250929-slim
# Where Node.js 20 comes from: any image of the same Debian release with it under /usr/local.
ARG NODE_IMAGE=node:20.19.5-bookworm-slim
FROM ${NODE_IMAGE} AS node

FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# Behind a TLS-intercepting proxy, npm needs its CA: build.sh passes one mounted for the build.
ARG NODE_EXTRA_CA_CERTS
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates git nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
# scripts/bootstrap expects npm, which Debian ships apart from nodejs.
RUN ./scripts/bootstrap \
    && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCODEYARD_BUILD_PYTHON=OFF \
    && ninja -C build codeyard-pod \
    && mkdir -p /out \
    && install -m 0755 build/bin/codeyard-pod /out/codeyard-pod \
    && strip /out/codeyard-pod \
    && sh k8s/images/runtime-packages.sh build/bin/codeyard-pod >/out/runtime-packages

FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
    && xargs -a /tmp/runtime-packages apt-get install -y -qq --no-install-recommends \
       bash coreutils procps ca-certificates less \
       python3 python3-numpy python3-pandas python3-scipy python3-matplotlib \
       gcc g++ libc6-dev make \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && groupadd --gid 1000 codeyard \
    && useradd --uid 1000 --gid 1000 --home-dir /home/codeyard --no-create-home --shell /bin/bash \
       codeyard \
    && mkdir -p /workspace /home/codeyard && chown 1000:1000 /workspace /home/codeyard
COPY --from=build /out/codeyard-pod /usr/local/bin/codeyard-pod
# Node.js 20 and npm as the node image lays them out; npm and npx are links into its modules.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version | grep -q '^v20\.'
# The k8s: backend mounts the workspace's files at /workspace (from storage, as on the local
# backend) and its home volume, the PVC, at /home/codeyard with HOME pointing there, so what a
# user installs under HOME (pip --user, npm caches) survives a stop. Both are volumes: the
# root file system stays read-only.
ENV HOME=/home/codeyard
WORKDIR /workspace
USER 1000:1000
CMD ["/usr/local/bin/codeyard-pod", "container"]
