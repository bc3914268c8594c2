# A download at build time, unpinned and unchecked.
# expect: docker-add-url
# image: codeyard/bad
FROM debian:bookworm-20250929-slim
ADD https://example.com/tool.tar.gz /opt/
USER 1000
