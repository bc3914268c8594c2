# A COPY of a file the repository does not have (a stage's output is not checked).
# expect: docker-copy-missing
# image: codeyard/bad
FROM debian:bookworm-20250929-slim
COPY scripts/no-such-script.sh /usr/local/bin/
COPY --from=debian:bookworm-20250929-slim /etc/os-release /opt/
USER 1000
