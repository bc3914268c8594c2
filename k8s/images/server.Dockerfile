# image: codeyard/server
# The API server for Kubernetes (k8s/server/deployment.yaml). Build from the repository root:
#   docker build -f k8s/images/server.Dockerfile -t codeyard/server:0.1.0 .
# Stage 1 builds with the repository's own scripts on Debian bookworm (the toolchain the project
# is tested on); stage 2 is bookworm-slim with only the shared libraries codeyard-server loads,
# the binary, and the browser UI beside it (server.web_dir's default, ../web), run as uid 10001.
# Pin the base by digest in your registry if you rebuild often: a dated tag can be re-pushed.
# The base of both stages; k8s/images/build.sh passes a debootstrap root of the same release
# where no registry is reachable.
ARG BASE=debian:bookworm-20250929-slim
FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
# scripts/bootstrap installs the apt packages and the UI's npm packages (as root, no sudo).
# Only the server and the UI are built: scripts/build would build every test program too.
RUN ./scripts/bootstrap \
    && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && ninja -C build codeyard_server codeyard_web \
    && mkdir -p /out/opt/codeyard/bin \
    && install -m 0755 build/bin/codeyard-server /out/opt/codeyard/bin/codeyard-server \
    && strip /out/opt/codeyard/bin/codeyard-server \
    && cp -r build/web /out/opt/codeyard/web \
    && sh k8s/images/runtime-packages.sh build/bin/codeyard-server >/out/runtime-packages

FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
    && xargs -a /tmp/runtime-packages apt-get install -y -qq --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && groupadd --system --gid 10001 codeyard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/codeyard --no-create-home \
       --shell /usr/sbin/nologin codeyard \
    && mkdir -p /var/lib/codeyard && chown 10001:10001 /var/lib/codeyard
COPY --from=build /out/opt/codeyard /opt/codeyard
ENV CODEYARD_SERVER_LISTEN=0.0.0.0:8080 \
    CODEYARD_DATA_DIR=/var/lib/codeyard
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/opt/codeyard/bin/codeyard-server"]
