// The archive download's answer, shared by GET /api/v1/workspaces/{id}/archive and the signed
// link GET /api/v1/downloads/{token} (api_downloads.cpp): a zip streamed through a BodyPipe by
// the handler's worker thread, with the Content-Disposition that names the file.
#pragma once

#include <memory>
#include <string_view>

#include "codeyard/archive.hpp"
#include "codeyard/log.hpp"
#include "router.hpp"

namespace codeyard::server {

// 200 application/zip, streamed; `plan` from Archives::Plan.
[[nodiscard]] Response ArchiveResponse(std::shared_ptr<Archives> archives, ArchivePlan plan,
                                       std::shared_ptr<Logger> logger);

// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded name>`
// (RFC 6266), so a browser saves the download under its own name, whatever its characters.
[[nodiscard]] std::string AttachmentDisposition(std::string_view file_name);

}  // namespace codeyard::server
