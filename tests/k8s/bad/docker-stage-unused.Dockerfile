# A named stage no later FROM or COPY --from uses (a leftover, built for nothing), through a
# build argument's default as well: `tools` is used via ${TOOLS_FROM}, `old` by nothing.
# expect: docker-stage-unused
# image: codeyard/bad
ARG TOOLS_FROM=tools
FROM debian:bookworm-20250929-slim AS tools
FROM debian:bookworm-20250929-slim AS old
FROM ${TOOLS_FROM} AS picked
FROM debian:bookworm-20250929-slim
COPY --from=picked /etc/os-release /tmp/
USER 1000
