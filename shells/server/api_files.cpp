// Workspace files over HTTP. File content travels as raw bytes (application/octet-stream)
// with the version as a strong ETag; everything else is JSON. The {path...} tail arrives
// percent-decoded once (by libwebsockets) and goes to the library as is: NormalizePath there
// rejects "..", absolute paths and bad bytes. Folders are made with POST .../dirs/{path...}.
// Create-only (If-Match: "0" or If-None-Match: *) is 409 when something exists; a stale
// If-Match is 412 with code "conflict".
#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

std::string Param(const Request& r, std::string_view name) {
  return std::string(r.Param(name).value_or(""));
}

// The expected version of a write: If-None-Match: * means create-only (0).
Result<std::optional<int64_t>> ExpectedVersion(const Request& r) {
  if (const auto none = r.Header("if-none-match"); none && *none == "*") {
    return std::optional<int64_t>(0);
  }
  return IfMatchVersion(r);
}

// A stale version is a failed precondition in HTTP terms; the code stays "conflict".
Response ConflictAs412(const Error& error, const Request& r) {
  return ErrorResponse(412, error, r.request_id);
}

// A route whose handler only reads: the token's standing (Authed) and the handler's reads
// run in one read transaction (SharedRead) instead of one each. Nothing here may write.
template <typename F>
Handler ReadOnlyAuthed(Services& services, F f) {
  return [&services, inner = Authed(services.accounts, std::move(f))](const Request& r) {
    const SharedRead scope(services.platform->storage());
    return inner(r);
  };
}

}  // namespace

void AddFileRoutes(Router& router, Services& services) {
  router.Add(
      Method::kGet, "/api/v1/workspaces/{id}/tree",
      ReadOnlyAuthed(services,
                     [&services](const Request& r, const std::string& user) -> Result<Response> {
                       auto page = PageFrom(r);
                       if (!page) return Fail(page.error());
                       auto tree = services.files->Tree(user, Param(r, "id"), *page);
                       if (!tree) return Fail(tree.error());
                       boost::json::array items;
                       for (const FileInfo& info : tree->items) items.push_back(FileInfoJson(info));
                       return JsonResponse(200, PageJson(std::move(items), tree->next_cursor));
                     }));
  router.Add(
      Method::kGet, "/api/v1/workspaces/{id}/files/{path...}",
      ReadOnlyAuthed(
          services, [&services](const Request& r, const std::string& user) -> Result<Response> {
            auto file = services.files->Read(user, Param(r, "id"), Param(r, "path"));
            if (!file) return Fail(file.error());
            Response out;
            out.content_type = "application/octet-stream";
            out.body = std::move(file->content);
            out.headers.emplace_back("ETag", "\"" + std::to_string(file->info.version) + "\"");
            return out;
          }));
  router.Add(Method::kPut, "/api/v1/workspaces/{id}/files/{path...}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto expected = ExpectedVersion(r);
                      if (!expected) return Fail(expected.error());
                      auto info = services.files->Write(user, Param(r, "id"), Param(r, "path"),
                                                        r.body, *expected);
                      if (!info && info.error().code() == Error::Code::kConflict) {
                        return ConflictAs412(info.error(), r);
                      }
                      if (!info) return Fail(info.error());
                      Response out = JsonResponse(200, FileInfoJson(*info));
                      out.headers.emplace_back("ETag", "\"" + std::to_string(info->version) + "\"");
                      return out;
                    }));
  router.Add(Method::kDelete, "/api/v1/workspaces/{id}/files/{path...}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto expected = IfMatchVersion(r);
                      if (!expected) return Fail(expected.error());
                      auto done =
                          services.files->Delete(user, Param(r, "id"), Param(r, "path"), *expected);
                      if (!done && done.error().code() == Error::Code::kConflict) {
                        return ConflictAs412(done.error(), r);
                      }
                      if (!done) return Fail(done.error());
                      return NoContent();
                    }));
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/files:move",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto expected = IfMatchVersion(r);
                      if (!expected) return Fail(expected.error());
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto from = StringField(*body, "from");
                      if (!from) return Fail(from.error());
                      auto to = StringField(*body, "to");
                      if (!to) return Fail(to.error());
                      auto info = services.files->Move(user, Param(r, "id"), *from, *to, *expected);
                      if (!info && info.error().code() == Error::Code::kConflict) {
                        return ConflictAs412(info.error(), r);
                      }
                      if (!info) return Fail(info.error());
                      return JsonResponse(200, FileInfoJson(*info));
                    }));
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/dirs/{path...}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto info = services.files->MakeDir(user, Param(r, "id"), Param(r, "path"));
                      if (!info) return Fail(info.error());
                      return JsonResponse(201, FileInfoJson(*info));
                    }));
}

}  // namespace codeyard::server
