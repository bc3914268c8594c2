-- Organizations (issue 20, codeyard/orgs.hpp, docs/organizations.md). Every user has a
-- personal organization whose id is the user's id (personal_of names the user; its slug is
-- "~" followed by the username, which no created organization's slug can be), so that what a
-- user owns defaults to it without a lookup. Quota limits are per organization (max_*) and per
-- member of it (member_max_*); NULL = unlimited. max_cpu_seconds_per_day is read by usage
-- metering. No foreign key from personal_of: the user id is never reused.
CREATE TABLE orgs (
  id                               TEXT PRIMARY KEY,
  name                             TEXT NOT NULL,
  slug                             TEXT NOT NULL UNIQUE,
  personal_of                      TEXT UNIQUE,
  created_at                       BIGINT NOT NULL,
  updated_at                       BIGINT NOT NULL,
  version                          BIGINT NOT NULL DEFAULT 1,
  max_running_workspaces           BIGINT,
  max_stored_bytes                 BIGINT,
  max_jobs_per_day                 BIGINT,
  max_cpu_seconds_per_day          BIGINT,
  max_open_claims                  BIGINT,
  member_max_running_workspaces    BIGINT,
  member_max_stored_bytes          BIGINT,
  member_max_jobs_per_day          BIGINT,
  member_max_cpu_seconds_per_day   BIGINT,
  member_max_open_claims           BIGINT
);

CREATE TABLE org_members (
  org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
-- A user's organizations.
CREATE INDEX org_members_user ON org_members (user_id, org_id);

-- Every existing user gets a personal organization, of which they are the owner.
INSERT INTO orgs (id, name, slug, personal_of, created_at, updated_at)
  SELECT id, username, '~' || username, id, created_at, created_at FROM users;
INSERT INTO org_members (org_id, user_id, role, created_at)
  SELECT id, id, 'owner', created_at FROM users;

-- What belongs to an organization. Existing rows go to their owner's personal organization.
ALTER TABLE workspaces ADD COLUMN org_id TEXT REFERENCES orgs (id);
UPDATE workspaces SET org_id = owner_id;
CREATE INDEX workspaces_org ON workspaces (org_id, owner_id);

ALTER TABLE jobs ADD COLUMN org_id TEXT REFERENCES orgs (id);
UPDATE jobs SET org_id = owner_id;
CREATE INDEX jobs_org ON jobs (org_id, created_at);

-- No foreign key, as for the review's author: a review outlives the rows it names.
ALTER TABLE review_requests ADD COLUMN org_id TEXT;
UPDATE review_requests SET org_id = author_id;
CREATE INDEX review_requests_org ON review_requests (org_id, status, reviewer_id);

-- Problems have no owner: NULL is the platform's problem set (visible to everyone, as
-- before). An organization's problem with visibility 'org' is visible to its members only.
ALTER TABLE problems ADD COLUMN org_id TEXT;
ALTER TABLE problems ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
  CHECK (visibility IN ('public', 'org'));
CREATE INDEX problems_org ON problems (org_id, id)
