-- Problems (issue 16). The row holds what lists filter on (title, level, age group, public)
-- and the rest of the model as JSON in `spec` (statement, starter code, limits, checker and
-- interactor programs, groups); tests and statement assets name content blobs, so equal test
-- data (a sample repeated, one input shared by two problems) is stored once. `ordinal` keeps
-- the grading order. No foreign key to users: problems are the platform's, not a person's.
CREATE TABLE problems (
  id          TEXT PRIMARY KEY,
  title       TEXT NOT NULL,
  level       BIGINT CHECK (level BETWEEN 0 AND 4),
  age_group   TEXT NOT NULL DEFAULT '',
  is_public   BIGINT NOT NULL DEFAULT 1,
  spec        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  version     BIGINT NOT NULL DEFAULT 1
);
-- The list filtered by level, in id order (keyset pages).
CREATE INDEX problems_level ON problems (level, id);

CREATE TABLE problem_topics (
  problem_id  TEXT NOT NULL REFERENCES problems (id),
  topic       TEXT NOT NULL,
  PRIMARY KEY (problem_id, topic)
);
-- The list filtered by tag, in id order.
CREATE INDEX problem_topics_topic ON problem_topics (topic, problem_id);

CREATE TABLE problem_tests (
  problem_id     TEXT NOT NULL REFERENCES problems (id),
  ordinal        BIGINT NOT NULL,
  name           TEXT NOT NULL,
  group_name     TEXT NOT NULL DEFAULT '',
  points         DOUBLE PRECISION NOT NULL,
  is_public      BIGINT NOT NULL,
  input_sha256   TEXT NOT NULL REFERENCES blobs (sha256),
  output_sha256  TEXT NOT NULL REFERENCES blobs (sha256),
  PRIMARY KEY (problem_id, ordinal)
);
CREATE INDEX problem_tests_input ON problem_tests (input_sha256);
CREATE INDEX problem_tests_output ON problem_tests (output_sha256);

CREATE TABLE problem_assets (
  problem_id   TEXT NOT NULL REFERENCES problems (id),
  ordinal      BIGINT NOT NULL,
  path         TEXT NOT NULL,
  blob_sha256  TEXT NOT NULL REFERENCES blobs (sha256),
  PRIMARY KEY (problem_id, ordinal)
);
CREATE INDEX problem_assets_blob ON problem_assets (blob_sha256);
