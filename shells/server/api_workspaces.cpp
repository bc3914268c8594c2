// Workspaces over HTTP. The library answers kNotFound for another user's workspace, so ids
// cannot be probed; PATCH turns a stale If-Match (kConflict) into 412. The list is paginated
// (?limit, ?cursor) in creation order.
#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"

namespace codeyard::server {
namespace {

std::string IdOf(const Request& r) { return std::string(r.Param("id").value_or("")); }

}  // namespace

void AddWorkspaceRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/workspaces",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto page = PageFrom(r);
                      if (!page) return Fail(page.error());
                      auto list = services.workspaces->List(user, *page);
                      if (!list) return Fail(list.error());
                      boost::json::array items;
                      for (const Workspace& w : list->items) items.push_back(WorkspaceJson(w));
                      return JsonResponse(200, PageJson(std::move(items), list->next_cursor));
                    }));
  // The images a workspace may name (codeyard/images.hpp), for the IDE and admins.
  router.Add(Method::kGet, "/api/v1/images",
             Authed(services.accounts,
                    [&services](const Request&, const std::string&) -> Result<Response> {
                      auto listed = services.workspaces->Images();
                      if (!listed) return Fail(listed.error());
                      boost::json::array items;
                      for (const auto& image : *listed) {
                        boost::json::array packages;
                        for (const auto& p : image.packages) packages.emplace_back(p);
                        boost::json::object versions;
                        for (const auto& [k, v] : image.versions) versions[k] = v;
                        items.push_back({{"name", image.name},
                                         {"packages", std::move(packages)},
                                         {"versions", std::move(versions)},
                                         {"size_bytes", image.size_bytes},
                                         {"created_at", image.created_unix_ms}});
                      }
                      return JsonResponse(200, boost::json::object{{"images", std::move(items)}});
                    }));
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/sync",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto status = services.workspaces->GetSyncStatus(user, IdOf(r));
                      if (!status) return Fail(status.error());
                      return JsonResponse(200, SyncStatusJson(*status));
                    }));
  router.Add(
      Method::kPost, "/api/v1/workspaces",
      Authed(services.accounts,
             [&services](const Request& r, const std::string& user) -> Result<Response> {
               auto body = JsonBody(r);
               if (!body) return Fail(body.error());
               auto name = StringField(*body, "name");
               if (!name) return Fail(name.error());
               std::string image;
               if (const auto* field = body->if_contains("image")) {
                 if (!field->is_string()) {
                   return Fail(Error::Code::kInvalidArgument, "field 'image' must be a string");
                 }
                 image = std::string(field->get_string());
               }
               // The organization it belongs to (org20); absent = the personal one.
               auto org = OptionalString(*body, "org_id");
               if (!org) return Fail(org.error());
               auto made = services.workspaces->Create(user, *name, image, org->value_or(""));
               if (!made) return Fail(made.error());
               return JsonResponse(201, WorkspaceJson(*made));
             }));
  router.Add(Method::kGet, "/api/v1/workspaces/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto w = services.workspaces->Get(user, IdOf(r));
                      if (!w) return Fail(w.error());
                      return JsonResponse(200, WorkspaceJson(*w));
                    }));
  router.Add(Method::kPatch, "/api/v1/workspaces/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto version = IfMatchVersion(r);
                      if (!version) return Fail(version.error());
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto name = StringField(*body, "name");
                      if (!name) return Fail(name.error());
                      auto w = services.workspaces->Rename(user, IdOf(r), *name, *version);
                      if (!w && w.error().code() == Error::Code::kConflict && *version) {
                        return Fail(Error::Code::kFailedPrecondition, w.error().message());
                      }
                      if (!w) return Fail(w.error());
                      return JsonResponse(200, WorkspaceJson(*w));
                    }));
  // The owner shares the terminal read-only with the assigned reviewer of an in_review
  // review (who may watch is the library's rule: Reviews::AuthorizeTerminalWatch).
  router.Add(Method::kPut, "/api/v1/workspaces/{id}/terminal/share",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      const auto* shared = body->if_contains("shared");
                      if (shared == nullptr || !shared->is_bool()) {
                        return Fail(Error::Code::kInvalidArgument,
                                    "field 'shared' is required and must be a boolean");
                      }
                      auto w =
                          services.workspaces->SetTerminalShared(user, IdOf(r), shared->as_bool());
                      if (!w) return Fail(w.error());
                      return JsonResponse(200, WorkspaceJson(*w));
                    }));
  router.Add(Method::kDelete, "/api/v1/workspaces/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      if (auto done = services.workspaces->Delete(user, IdOf(r)); !done)
                        return Fail(done.error());
                      return NoContent();
                    }));
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/start",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto w = services.workspaces->Open(user, IdOf(r));
                      if (!w) return Fail(w.error());
                      return JsonResponse(200, WorkspaceJson(*w));
                    }));
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/stop",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      if (auto done = services.workspaces->Stop(user, IdOf(r)); !done)
                        return Fail(done.error());
                      auto w = services.workspaces->Get(user, IdOf(r));
                      if (!w) return Fail(w.error());
                      return JsonResponse(200, WorkspaceJson(*w));
                    }));
}

}  // namespace codeyard::server
