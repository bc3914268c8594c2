# image: codeyard/server
# The API server for Kubernetes (k8s/server/deployment.yaml). Build from the repository root:
#   docker build -f k8s/images/server.Dockerfile -t codeyard/server:0.1.0 .
# Stage "web" builds the browser UI: its toolchain (Vite 7) needs Node 20.19+, which Debian has
# from trixie on (bookworm's is 18), so that stage alone is trixie. Stage "build" builds the
# server with the repository's own scripts on bookworm (the toolchain the project is tested on).
# The last stage is bookworm-slim with only the shared libraries codeyard-server loads, the
# binary, and the UI beside it (server.web_dir's default, ../web), run as uid 10001.
# Pin the bases by digest in your registry if you rebuild often: a dated tag can be re-pushed.
# k8s/images/build.sh passes debootstrap roots of the same releases where no registry is
# reachable.
ARG BASE=debian:bookworm-20250929-slim
ARG WEB_BASE=debian:trixie-20250929-slim
# The stages the last one takes the server and the UI from: built here by default. The ctest
# "k8s: the server image builds, resolves its libraries and answers health"
# (tests/k8s/server_image.sh) names images holding the build tree's server instead
# (/out/opt/codeyard, /out/runtime-packages) and a UI (/out/web), so the last stage is built
# and checked without compiling the server inside the build (an hour on the test machines).
ARG SERVER_FROM=build
ARG WEB_FROM=web

FROM ${WEB_BASE} AS web
ENV DEBIAN_FRONTEND=noninteractive
ARG NODE_EXTRA_CA_CERTS
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/shells/web
COPY shells/web /src/shells/web
RUN npm ci --no-audit --no-fund --loglevel=error \
    && CODEYARD_WEB_OUT_DIR=/out/web npm run --silent build

FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# Behind a TLS-intercepting proxy, npm needs its CA: build.sh passes one mounted for the build.
ARG NODE_EXTRA_CA_CERTS
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates git nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
# scripts/bootstrap installs the apt packages and the UI's npm packages (as root, no sudo); it
# expects npm, which Debian ships apart from nodejs. Only the server is built here (the UI is
# the web stage's): scripts/build would build every test program too.
RUN ./scripts/bootstrap \
    && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCODEYARD_BUILD_PYTHON=OFF \
    && ninja -C build codeyard_server \
    && mkdir -p /out/opt/codeyard/bin \
    && install -m 0755 build/bin/codeyard-server /out/opt/codeyard/bin/codeyard-server \
    && strip /out/opt/codeyard/bin/codeyard-server \
    && sh k8s/images/runtime-packages.sh build/bin/codeyard-server >/out/runtime-packages

FROM ${SERVER_FROM} AS server
FROM ${WEB_FROM} AS ui

FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=server /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
    && xargs -a /tmp/runtime-packages apt-get install -y -qq --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && groupadd --system --gid 10001 codeyard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/codeyard --no-create-home \
       --shell /usr/sbin/nologin codeyard \
    && mkdir -p /var/lib/codeyard && chown 10001:10001 /var/lib/codeyard
COPY --from=server /out/opt/codeyard /opt/codeyard
COPY --from=ui /out/web /opt/codeyard/web
ENV CODEYARD_SERVER_LISTEN=0.0.0.0:8080 \
    CODEYARD_DATA_DIR=/var/lib/codeyard
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/opt/codeyard/bin/codeyard-server"]
