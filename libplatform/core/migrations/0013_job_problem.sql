-- Jobs name their problem (issue 16): a grade job's problem id, so that a person's
-- submissions, all of them or one problem's, are listed in full pages by SQL instead of by
-- reading each job's payload. Empty for run jobs. No foreign key: a submission outlives its
-- problem, as progress does.
ALTER TABLE jobs ADD COLUMN problem_id TEXT;
-- GET /api/v1/submissions?problem=: the owner's submissions to one problem, newest first.
CREATE INDEX jobs_owner_problem ON jobs (owner_id, problem_id, created_at, id);
-- Existing grade jobs, from their payload, which EncodeGradeJob always starts with
-- {"problem":"<id>", (ids are [a-z0-9_-], never escaped): compared as bytes, which both
-- backends do the same way (substr and length on a blob or bytea). A job whose problem was
-- deleted before this migration keeps NULL, and is listed only without ?problem=.
UPDATE jobs SET problem_id = (
  SELECT p.id FROM problems p
  WHERE substr(jobs.payload, 1, length(p.id) + 14) = CAST('{"problem":"' || p.id || '",' AS {blob})
) WHERE kind = 'grade'
