# `latest` is no pin, nor is no tag at all.
# expect: docker-from-unpinned
# image: codeyard/bad
FROM debian:latest AS one
FROM debian
COPY --from=one /etc/os-release /tmp/
USER 1000
