// Administration over HTTP (codeyard/admin.hpp, docs/api.md#administration): /api/v1/admin/
// users, workspaces, jobs, replicas, health and the audit log. Every rule (who is an admin:
// anyone else gets 404; the self-lockout checks; what a retry or cancel may do) is the
// library's; the handlers move fields in and out.
#include <charconv>
#include <string>

#include "api.hpp"
#include "api_jobs_json.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "api_reviews_json.hpp"
#include "codeyard/admin.hpp"

namespace codeyard::server {
namespace {

// The largest export: past it the answer says so (Codeyard-Export-Truncated) and the caller
// narrows the filter.
constexpr int64_t kMaxExportRows = 100000;

boost::json::object AdminUserJson(const User& user) {
  boost::json::object out = UserJson(user);
  out["display_name"] = user.display_name;
  out["disabled"] = user.disabled;
  out["created_at"] = user.created_at;
  return out;
}

boost::json::object AdminWorkspaceJson(const AdminWorkspace& item) {
  boost::json::object out = WorkspaceJson(item.workspace);
  out["owner_id"] = item.workspace.owner_id;
  out["owner_username"] = item.owner_username;
  out["last_active_at"] = item.workspace.last_active_at;
  if (item.pod) {
    out["pod"] = {{"pod_id", item.pod->pod_id},
                  {"replica", item.pod->replica},
                  {"state", item.pod->state},
                  {"executor", item.pod->executor},
                  {"lease_until", item.pod->lease_until}};
  } else {
    out["pod"] = nullptr;
  }
  return out;
}

boost::json::object AuditJson(const AuditEntry& e) {
  boost::json::object out{{"id", e.id},
                          {"ts", e.ts},
                          {"actor_id", e.actor_id ? boost::json::value(*e.actor_id) : nullptr},
                          {"action", e.action},
                          {"target", e.target},
                          {"source", e.source},
                          {"request_id", e.request_id}};
  boost::system::error_code ec;
  boost::json::value detail = boost::json::parse(e.detail, ec);
  out["detail"] = ec ? boost::json::value(e.detail) : std::move(detail);
  return out;
}

Result<std::optional<int64_t>> QueryMillis(const Request& r, std::string_view name) {
  const auto text = r.Query(name);
  if (!text || text->empty()) return std::optional<int64_t>{};
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
    return Fail(Error::Code::kInvalidArgument,
                "query '" + std::string(name) + "' must be milliseconds since the epoch");
  }
  return std::optional<int64_t>{value};
}

std::optional<std::string> QueryText(const Request& r, std::string_view name) {
  const auto text = r.Query(name);
  if (!text || text->empty()) return std::nullopt;
  return std::string(*text);
}

Result<AuditFilter> AuditFilterOf(const Request& r) {
  AuditFilter f;
  f.actor = QueryText(r, "actor");
  f.action = QueryText(r, "action");
  f.target = QueryText(r, "target");
  auto from = QueryMillis(r, "from");
  if (!from) return Fail(from.error());
  auto to = QueryMillis(r, "to");
  if (!to) return Fail(to.error());
  f.from = *from;
  f.to = *to;
  return f;
}

Result<PageRequest> AuditPageOf(const Request& r) {
  PageRequest page;
  if (const auto limit = r.Query("limit")) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 ||
        n > Admin::kMaxAuditPage) {
      return Fail(Error::Code::kInvalidArgument,
                  "limit must be an integer from 1 to " + std::to_string(Admin::kMaxAuditPage));
    }
    page.limit = n;
  }
  if (const auto cursor = r.Query("cursor")) page.cursor = std::string(*cursor);
  return page;
}

Response UserResponse(const User& user) { return JsonResponse(200, AdminUserJson(user)); }

}  // namespace

void AddAdminRoutes(Router& router, Services& services) {
  const auto& accounts = services.accounts;
  router.Add(
      Method::kGet, "/api/v1/admin/users",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto page = PageFrom(r);
        if (!page) return Fail(page.error());
        UserQuery query{QueryText(r, "search").value_or(""), *page};
        auto users = services.admin->ListUsers(me, query);
        if (!users) return Fail(users.error());
        boost::json::array items;
        for (const User& u : users->items) items.push_back(AdminUserJson(u));
        return JsonResponse(200, PageJson(std::move(items), users->next_cursor));
      }));
  for (const auto& [verb, disabled] : {std::pair{"disable", true}, std::pair{"enable", false}}) {
    router.Add(
        Method::kPost, std::string("/api/v1/admin/users/{id}/") + verb,
        Authed(accounts,
               [&services, disabled](const Request& r, const std::string& me) -> Result<Response> {
                 auto user = services.admin->SetDisabled(me, *r.Param("id"), disabled);
                 if (!user) return Fail(user.error());
                 return UserResponse(*user);
               }));
  }
  router.Add(
      Method::kPost, "/api/v1/admin/users/{id}/logout",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto revoked = services.admin->ForceLogout(me, *r.Param("id"));
        if (!revoked) return Fail(revoked.error());
        return JsonResponse(200, boost::json::object{{"revoked", *revoked}});
      }));
  // {"role"} and/or {"reviewer_level"}, each an audited change of its own.
  router.Add(
      Method::kPatch, "/api/v1/admin/users/{id}",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        if (auto admin = services.admin->RequireAdmin(me); !admin) {
          return Fail(admin.error());  // before the body: a non-admin learns nothing
        }
        auto body = JsonBody(r);
        if (!body) return Fail(body.error());
        auto role_text = OptionalString(*body, "role");
        if (!role_text) return Fail(role_text.error());
        auto level = OptionalInt(*body, "reviewer_level", 0, kMaxReviewerLevel);
        if (!level) return Fail(level.error());
        if (!*role_text && !*level) {
          return Fail(Error::Code::kInvalidArgument, "give field 'role' or field 'reviewer_level'");
        }
        const std::string id(*r.Param("id"));
        std::optional<User> user;
        if (*role_text) {
          auto role = ParseRole(**role_text);
          if (!role) {
            return Fail(Error::Code::kInvalidArgument,
                        "field 'role' must be \"user\" or \"admin\"");
          }
          auto set = services.admin->SetRole(me, id, *role);
          if (!set) return Fail(set.error());
          user = std::move(*set);
        }
        if (*level) {
          auto set = services.admin->SetReviewerLevel(me, id, static_cast<int>(**level));
          if (!set) return Fail(set.error());
          user = std::move(*set);
        }
        return UserResponse(*user);
      }));
  router.Add(
      Method::kGet, "/api/v1/admin/workspaces",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto page = PageFrom(r);
        if (!page) return Fail(page.error());
        WorkspaceQuery query;
        query.page = *page;
        query.owner_id = QueryText(r, "user");
        if (auto state = QueryText(r, "state")) {
          auto parsed = ParseWorkspaceState(*state);
          if (!parsed) {
            return Fail(Error::Code::kInvalidArgument,
                        "query 'state' must be stopped, starting, running or stopping");
          }
          query.state = *parsed;
        }
        auto listed = services.admin->ListWorkspaces(me, query);
        if (!listed) return Fail(listed.error());
        boost::json::array items;
        for (const AdminWorkspace& w : listed->items) items.push_back(AdminWorkspaceJson(w));
        return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
      }));
  router.Add(
      Method::kPost, "/api/v1/admin/workspaces/{id}/stop",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        if (auto stopped = services.admin->StopWorkspace(me, *r.Param("id")); !stopped) {
          return Fail(stopped.error());
        }
        return NoContent();
      }));
  router.Add(
      Method::kGet, "/api/v1/admin/jobs/stats",
      Authed(accounts, [&services](const Request&, const std::string& me) -> Result<Response> {
        auto stats = services.admin->JobStats(me);
        if (!stats) return Fail(stats.error());
        return JsonResponse(200, boost::json::object{
                                     {"depth", stats->queue.depth},
                                     {"running", stats->queue.running},
                                     {"stuck", stats->stuck},
                                     {"throughput_per_minute", stats->queue.done_last_minute},
                                     {"wait_p50_ms", stats->queue.wait_p50_ms},
                                     {"wait_p95_ms", stats->queue.wait_p95_ms},
                                     {"window_s", stats->queue.window_s},
                                 });
      }));
  router.Add(
      Method::kGet, "/api/v1/admin/jobs",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto page = PageFrom(r);
        if (!page) return Fail(page.error());
        auto filter = ParseJobFilter(QueryText(r, "state").value_or("queued"));
        if (!filter) return Fail(filter.error());
        auto listed = services.admin->ListJobs(me, *filter, *page);
        if (!listed) return Fail(listed.error());
        boost::json::array items;
        for (const Job& job : listed->items) {
          boost::json::object j = JobJson(job);
          j["owner_id"] = job.owner_id;
          j["attempt"] = job.attempt;
          j["worker"] = job.worker;
          items.push_back(std::move(j));
        }
        return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
      }));
  for (const auto& [verb, retry] : {std::pair{"retry", true}, std::pair{"cancel", false}}) {
    router.Add(
        Method::kPost, std::string("/api/v1/admin/jobs/{id}/") + verb,
        Authed(accounts,
               [&services, retry](const Request& r, const std::string& me) -> Result<Response> {
                 auto job = retry ? services.admin->RetryJob(me, *r.Param("id"))
                                  : services.admin->CancelJob(me, *r.Param("id"));
                 if (!job) return Fail(job.error());
                 return JsonResponse(200, JobJson(*job));
               }));
  }
  router.Add(
      Method::kGet, "/api/v1/admin/replicas",
      Authed(accounts, [&services](const Request&, const std::string& me) -> Result<Response> {
        auto replicas = services.admin->Replicas(me);
        if (!replicas) return Fail(replicas.error());
        boost::json::array items;
        for (const ReplicaInfo& rep : *replicas) {
          items.push_back({{"id", rep.id},
                           {"version", rep.version},
                           {"started_at", rep.started_at},
                           {"heartbeat_at", rep.heartbeat_at},
                           {"pods_held", rep.pods_held},
                           {"jobs_held", rep.jobs_held}});
        }
        return JsonResponse(200, boost::json::object{{"items", std::move(items)}});
      }));
  router.Add(
      Method::kGet, "/api/v1/admin/health",
      Authed(accounts, [&services](const Request&, const std::string& me) -> Result<Response> {
        auto health = services.admin->Health(me);
        if (!health) return Fail(health.error());
        const auto part = [](const HealthPart& p) {
          return boost::json::object{{"ok", p.ok},
                                     {"backend", p.backend},
                                     {"message", p.message},
                                     {"latency_us", p.latency_us}};
        };
        return JsonResponse(200, boost::json::object{{"storage", part(health->storage)},
                                                     {"executor", part(health->executor)}});
      }));
  router.Add(
      Method::kGet, "/api/v1/admin/audit",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto filter = AuditFilterOf(r);
        if (!filter) return Fail(filter.error());
        auto page = AuditPageOf(r);
        if (!page) return Fail(page.error());
        auto listed = services.admin->Audit(me, *filter, *page);
        if (!listed) return Fail(listed.error());
        boost::json::array items;
        for (const AuditEntry& e : listed->items) items.push_back(AuditJson(e));
        return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
      }));
  // Every record the filter matches, newest first, as CSV (format=csv) or a JSON array.
  router.Add(
      Method::kGet, "/api/v1/admin/audit/export",
      Authed(accounts, [&services](const Request& r, const std::string& me) -> Result<Response> {
        auto filter = AuditFilterOf(r);
        if (!filter) return Fail(filter.error());
        const std::string format = QueryText(r, "format").value_or("json");
        if (format != "json" && format != "csv") {
          return Fail(Error::Code::kInvalidArgument, "query 'format' must be json or csv");
        }
        std::vector<AuditEntry> all;
        PageRequest page{Admin::kMaxAuditPage, ""};
        bool truncated = false;
        for (;;) {
          auto listed = services.admin->Audit(me, *filter, page);
          if (!listed) return Fail(listed.error());
          for (AuditEntry& e : listed->items) all.push_back(std::move(e));
          if (!listed->next_cursor) break;
          if (static_cast<int64_t>(all.size()) >= kMaxExportRows) {
            truncated = true;
            break;
          }
          page.cursor = *listed->next_cursor;
        }
        Response out;
        if (format == "csv") {
          out.content_type = "text/csv; charset=utf-8";
          out.body = AuditCsv(all);
        } else {
          boost::json::array items;
          for (const AuditEntry& e : all) items.push_back(AuditJson(e));
          out.body = boost::json::serialize(items);
        }
        out.headers.emplace_back("Content-Disposition",
                                 "attachment; filename=\"audit." + format + "\"");
        if (truncated) out.headers.emplace_back("Codeyard-Export-Truncated", "true");
        return out;
      }));
}

}  // namespace codeyard::server
