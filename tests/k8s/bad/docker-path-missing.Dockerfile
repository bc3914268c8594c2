# The server image that installs the binary somewhere else than the Deployment runs it from.
# expect: docker-path-missing
# image: codeyard/server
FROM debian:bookworm-20250929-slim
COPY k8s/images/runtime-packages.sh /usr/local/bin/codeyard-server
USER 10001
