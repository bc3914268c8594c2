-- Workspace images (issue 18, codeyard/images.hpp): the image the pods of a workspace, a job
-- and a problem's grading run on (PodSpec::image). '' is the backend's default: the host's
-- /usr on the local backend, the URI's image on Kubernetes.
ALTER TABLE workspaces ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN image TEXT NOT NULL DEFAULT ''
