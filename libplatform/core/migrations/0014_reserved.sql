-- Placeholder for the ide17 branch's migration 0014 (issue 17, user settings), so this branch's
-- 0015 builds (the embedder refuses a gap). Drop this file when merging: ide17's 0014 replaces it.
UPDATE schema_migrations SET name = name WHERE 1 = 0;
