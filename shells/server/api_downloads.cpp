// Signed download links. POST /api/v1/workspaces/{id}/downloads {"path","kind"} (bearer
// token) answers {"url","expires_at"}; GET /api/v1/downloads/{token} needs no Authorization
// header, so a plain <a href download> works, and never puts the access token in a URL: the
// link's token grants that one file or folder for files.download_ttl_s (Downloads::Verify
// checks signature, expiry, and that the user and the login are still live; ownership is
// checked again when the content is read). Every refusal of a link is 401 with the reason.
#include "api.hpp"
#include "api_archive.hpp"
#include "api_json.hpp"

namespace codeyard::server {
namespace {

std::string_view BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void AddDownloadRoutes(Router& router, Services& services) {
  router.Add(
      Method::kPost, "/api/v1/workspaces/{id}/downloads",
      [&services](const Request& r) -> Result<Response> {
        auto claims = Authenticate(*services.accounts, r);
        if (!claims) return Fail(claims.error());
        auto body = JsonBody(r);
        if (!body) return Fail(body.error());
        auto path = OptionalString(*body, "path");
        if (!path) return Fail(path.error());
        auto kind_name = StringField(*body, "kind");
        if (!kind_name) return Fail(kind_name.error());
        if (*kind_name != "file" && *kind_name != "archive") {
          return Fail(Error::Code::kInvalidArgument,
                      "field 'kind' must be \"file\" or \"archive\"");
        }
        const DownloadKind kind =
            *kind_name == "archive" ? DownloadKind::kArchive : DownloadKind::kFile;
        auto grant = services.downloads->Sign(claims->user_id, claims->session_id,
                                              r.Param("id").value_or(""), path->value_or(""), kind);
        if (!grant) return Fail(grant.error());
        return JsonResponse(201, boost::json::object{{"url", "/api/v1/downloads/" + grant->token},
                                                     {"expires_at", grant->expires_at}});
      });
  router.Add(
      Method::kGet, "/api/v1/downloads/{token}", [&services](const Request& r) -> Result<Response> {
        auto ticket = services.downloads->Verify(r.Param("token").value_or(""));
        if (!ticket) return Fail(ticket.error());
        if (ticket->kind == DownloadKind::kArchive) {
          auto plan = services.archives->Plan(ticket->user_id, ticket->workspace_id, ticket->path);
          if (!plan) return Fail(plan.error());
          return ArchiveResponse(services.archives, std::move(*plan),
                                 services.platform->shared_logger());
        }
        auto file = services.files->Read(ticket->user_id, ticket->workspace_id, ticket->path);
        if (!file) return Fail(file.error());
        Response out;
        out.content_type = "application/octet-stream";
        out.body = std::move(file->content);
        out.headers.emplace_back("Content-Disposition",
                                 AttachmentDisposition(BaseName(ticket->path)));
        // The link is the credential: no shared cache may keep what it fetched.
        out.headers.emplace_back("Cache-Control", "private, no-store");
        return out;
      });
}

}  // namespace codeyard::server
