# A base from a build argument whose default floats (or that has no default at all).
# expect: docker-from-unpinned
# image: codeyard/bad
ARG BASE=debian:bookworm
ARG OTHER
FROM ${BASE} AS one
FROM $OTHER
COPY --from=one /etc/os-release /tmp/
USER 1000
