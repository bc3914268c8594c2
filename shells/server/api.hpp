// The REST API as a table of route groups, like the CLI's command table: each group is one
// function in its own api_*.cpp that registers its routes on the Router. Handlers run on
// worker threads, call the public library API and return a Response or an Error; no business
// rule lives here. Every route but health, ready, metrics, openapi.json and the auth ones
// needs a bearer token.
#pragma once

#include <array>

#include "router.hpp"
#include "services.hpp"

namespace codeyard::server {

// GET /api/v1/health: 200 {"status":"ok"} while the process serves requests (liveness).
// GET /api/v1/ready: 200 {"status":"ready"} when storage and the executor answer, else 503.
void AddHealthRoutes(Router& router, Services& services);

// /api/v1/auth/{register,login,refresh,logout}, GET and PATCH /api/v1/me (password, reviewer
// level).
void AddAuthRoutes(Router& router, Services& services);

// /api/v1/workspaces[/{id}[/start|/stop]].
void AddWorkspaceRoutes(Router& router, Services& services);

// /api/v1/workspaces/{id}/tree, /files/{path...}, /files:move, /dirs/{path...}.
void AddFileRoutes(Router& router, Services& services);

// POST /api/v1/workspaces/{id}/exec.
void AddExecRoutes(Router& router, Services& services);

// POST /api/v1/run: a one-shot run, queued as a job and waited for (Services::jobs).
void AddRunRoutes(Router& router, Services& services);

// The job queue: POST /api/v1/jobs, POST /api/v1/jobs/batch, GET /api/v1/jobs[/{id}],
// GET /api/v1/queue/stats (api_jobs.cpp).
void AddJobRoutes(Router& router, Services& services);

// GET /api/v1/languages: the language table, public (api_languages.cpp).
void AddLanguageRoutes(Router& router, Services& services);

// GET /api/v1/metrics (and /metrics): Services::metrics as Prometheus text, no auth.
// GET /api/v1/openapi.json: the OpenAPI document built into the binary (openapi.json).
void AddOpsRoutes(Router& router, Services& services);

// GET /api/v1/workspaces/{id}/terminal without a WebSocket upgrade: 426 (the WebSocket
// itself is served by lws_terminal before routing).
void AddTerminalRoutes(Router& router, Services& services);

// GET /api/v1/events without a WebSocket upgrade: 426 (the WebSocket itself is served by
// lws_events before routing).
void AddEventRoutes(Router& router, Services& services);

// Code review (api_reviews.cpp): POST/GET /api/v1/reviews, GET /api/v1/reviews/{id} and its
// transitions (/claim, /unclaim, /withdraw, /resubmit, /decision).
void AddReviewRoutes(Router& router, Services& services);

// A review's revisions (/revisions/{n}/tree, /revisions/{n}/files/{path...}), /diff,
// /comments[/{cid}] and /history (api_review_content.cpp).
void AddReviewContentRoutes(Router& router, Services& services);

// GET /api/v1/reviewers, GET /api/v1/notifications, POST /api/v1/notifications/read
// (api_review_people.cpp).
void AddReviewerRoutes(Router& router, Services& services);

// Problems (api_problems.cpp): GET /api/v1/problems[/{id}], admin DELETE /api/v1/problems/{id}.
void AddProblemRoutes(Router& router, Services& services);

// Submissions and progress (api_submissions.cpp): POST /api/v1/problems/{id}/submissions,
// GET /api/v1/submissions[/{id}], GET /api/v1/progress.
void AddSubmissionRoutes(Router& router, Services& services);

// The browser UI's files from services.web_dir at every path no route claims (the router's
// fallback): index.html for app pages, the JSON 404 under /api/ (api_static.cpp).
void AddStaticRoutes(Router& router, Services& services);

// Files in and out (issue 17): GET /api/v1/workspaces/{id}/archive?path=DIR, a streamed zip
// (api_archive.cpp).
void AddArchiveRoutes(Router& router, Services& services);

// Signed download links: POST /api/v1/workspaces/{id}/downloads, GET /api/v1/downloads/{token}
// (api_downloads.cpp).
void AddDownloadRoutes(Router& router, Services& services);

// GET /api/v1/workspaces/{id}/run without a WebSocket upgrade: 426 (the IDE's Run is a
// WebSocket served by lws_run_session before routing).
void AddRunSessionRoutes(Router& router, Services& services);

// GET and PUT /api/v1/me/settings: the IDE settings of the signed-in user (api_settings.cpp).
void AddSettingsRoutes(Router& router, Services& services);

// The preview relay (api_ports.cpp): POST /api/v1/workspaces/{id}/previews (a ticket: a
// capability path and a cookie), every method of kRelayMethods (HEAD through GET) under
// /api/v1/workspaces/{id}/ports/{port}/... and /api/v1/previews/{ticket}/..., redirects from
// either without its slash to it, and GET
// /api/v1/workspaces/{id}/lsp without an upgrade: 426 (lws_lsp serves the WebSocket).
void AddPortRoutes(Router& router, Services& services);
inline constexpr std::array<Method, 6> kRelayMethods = {
    Method::kGet, Method::kPost, Method::kPut, Method::kPatch, Method::kDelete, Method::kOptions};

// Search across a workspace's files (api_search.cpp): GET /api/v1/workspaces/{id}/search.
void AddSearchRoutes(Router& router, Services& services);

// Organizations (org20, api_orgs.cpp): GET/POST /api/v1/orgs, GET /api/v1/orgs/{id},
// /api/v1/orgs/{id}/members[/{user}], PUT /api/v1/orgs/{id}/quotas.
void AddOrgRoutes(Router& router, Services& services);
// Usage export (api_usage.cpp, usage20): GET /api/v1/orgs/{id}/usage, GET /api/v1/users/me/usage.
void AddUsageRoutes(Router& router, Services& services);
// admin20: administration (api_admin.cpp): /api/v1/admin/users[/{id}[/disable|/enable|/logout]],
// /admin/workspaces[/{id}/stop], /admin/jobs[/stats|/{id}/retry|/{id}/cancel], /admin/replicas,
// /admin/health, /admin/audit[/export]. Callers who are not admins get 404.
void AddAdminRoutes(Router& router, Services& services);

using AddRoutes = void (*)(Router&, Services&);
// A plain array, sized by its list, so adding a group touches one line.
inline constexpr AddRoutes kRouteGroups[] = {
    AddHealthRoutes,   AddAuthRoutes,     AddWorkspaceRoutes,  AddFileRoutes,
    AddExecRoutes,     AddRunRoutes,      AddJobRoutes,        AddOpsRoutes,
    AddTerminalRoutes, AddEventRoutes,    AddReviewRoutes,     AddReviewContentRoutes,
    AddReviewerRoutes, AddLanguageRoutes, AddProblemRoutes,    AddSubmissionRoutes,
    AddArchiveRoutes,  AddDownloadRoutes, AddRunSessionRoutes, AddSettingsRoutes,
    AddPortRoutes,     AddSearchRoutes,   AddStaticRoutes,
    AddOrgRoutes,    // organizations (org20)
    AddUsageRoutes,  // usage20
    AddAdminRoutes,  // admin20
};

}  // namespace codeyard::server
