// GET /api/v1/workspaces/{id}/archive?path=DIR: the folder (or the whole workspace, path
// empty) as a zip made from stored content while it is sent (Archives::Write into a BodyPipe),
// so memory stays at one file plus the pipe however large the workspace. The plan (ownership,
// the folder) is made before the headers, so a refusal is a proper 400/404. Long work: the
// worker thread stays with the download until its last byte.
#include "api_archive.hpp"

#include "api.hpp"
#include "api_json.hpp"
#include "core/http_text.hpp"

namespace codeyard::server {

std::string AttachmentDisposition(std::string_view file_name) {
  std::string ascii;
  for (const char ch : file_name) {
    const auto c = static_cast<unsigned char>(ch);
    ascii.push_back(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? ch : '_');
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" +
         http::PercentEncode(file_name);
}

Response ArchiveResponse(std::shared_ptr<Archives> archives, ArchivePlan plan,
                         std::shared_ptr<Logger> logger) {
  Response out;
  out.content_type = "application/zip";
  out.headers.emplace_back("Content-Disposition", AttachmentDisposition(plan.file_name));
  out.stream = std::make_shared<StreamedBody>();
  out.stream->produce = [archives = std::move(archives), plan = std::move(plan),
                         logger = std::move(logger)](BodyPipe& pipe) {
    auto stats =
        archives->Write(plan, [&pipe](std::string_view bytes) { return pipe.Write(bytes); });
    if (!stats && stats.error().code() != Error::Code::kAborted) {
      logger->Warn("archive broken off",
                   {{"workspace_id", plan.workspace_id}, {"error", stats.error().message()}});
    }
    pipe.Finish(stats.has_value());
  };
  return out;
}

void AddArchiveRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/archive",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto plan = services.archives->Plan(user, r.Param("id").value_or(""),
                                                          r.Query("path").value_or(""));
                      if (!plan) return Fail(plan.error());
                      return ArchiveResponse(services.archives, std::move(*plan),
                                             services.platform->shared_logger());
                    }));
}

}  // namespace codeyard::server
