-- Per-user settings of the browser IDE (issue 17, codeyard/settings.hpp): one row per user who
-- saved any; a user without a row has the defaults. No foreign key, as for progress: the row
-- is keyed by a user id that is never reused.
CREATE TABLE user_settings (
  user_id     TEXT PRIMARY KEY,
  theme       TEXT NOT NULL,
  font_size   BIGINT NOT NULL,
  autosave    BIGINT NOT NULL,
  tab_size    BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
