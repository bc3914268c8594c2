# No `# image:` line: the lint cannot tell which manifests' paths to check.
# expect: docker-image-name
FROM debian:bookworm-20250929-slim
USER 1000
