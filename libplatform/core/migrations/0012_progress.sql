-- Progress (issue 16): per user and problem, what their graded submissions achieved. Written
-- by the "grade" job's completion hook in the same transaction as the job's final result, so
-- each graded submission counts once, however many workers tried it. No foreign keys: a
-- problem deleted and stored again keeps its solvers' history, and the row is keyed by ids
-- that are never reused.
CREATE TABLE progress (
  user_id            TEXT NOT NULL,
  problem_id         TEXT NOT NULL,
  attempts           BIGINT NOT NULL,
  best_score         DOUBLE PRECISION NOT NULL,
  max_score          DOUBLE PRECISION NOT NULL,
  solved             BIGINT NOT NULL DEFAULT 0,
  first_solved_at    BIGINT,
  last_submitted_at  BIGINT NOT NULL,
  PRIMARY KEY (user_id, problem_id)
);
