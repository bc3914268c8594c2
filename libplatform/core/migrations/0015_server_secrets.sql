-- Keys the servers share (issue 17): made by the first server that needs one, read by every
-- replica on the database, never in code or configuration. "downloads" signs the short-lived
-- download links (codeyard/downloads.hpp). `value` is hex.
CREATE TABLE server_secrets (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
