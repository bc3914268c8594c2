# A COPY --from naming a stage the file never defines (a typo, or a stage renamed): a build
# would try to pull an image of that name. Image references and stage indexes are allowed.
# expect: docker-copy-from-unknown
# image: codeyard/bad
FROM debian:bookworm-20250929-slim AS build
FROM debian:bookworm-20250929-slim
COPY --from=build /etc/os-release /tmp/a
COPY --from=biuld /etc/os-release /tmp/b
COPY --from=0 /etc/os-release /tmp/c
COPY --from=docker.io/library/debian:bookworm-20250929-slim /etc/os-release /tmp/d
USER 1000
