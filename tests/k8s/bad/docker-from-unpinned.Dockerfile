# A floating base: every build may get another Debian.
# expect: docker-from-unpinned
# image: codeyard/bad
FROM debian:bookworm
USER 1000
