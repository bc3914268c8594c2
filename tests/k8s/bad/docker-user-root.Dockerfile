# The final stage runs as root: the build stage's USER does not carry over.
# expect: docker-user-root
# image: codeyard/bad
FROM debian:bookworm-20250929-slim AS build
USER 1000
FROM debian:bookworm-20250929-slim
COPY --from=build /etc/os-release /tmp/
USER root
