-- The author shares a workspace's terminal read-only with the assigned reviewer of an open
-- review of it (issue 15). Explicit: it stays on until the owner turns it off, and grants
-- nothing while no review of the workspace is in_review (core/reviews/policy.cpp).
ALTER TABLE workspaces ADD COLUMN terminal_shared INTEGER NOT NULL DEFAULT 0;
