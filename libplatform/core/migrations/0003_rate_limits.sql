
CREATE TABLE rate_limits (
  id            TEXT PRIMARY KEY,
  hits          BIGINT NOT NULL,
  reset_at      BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
