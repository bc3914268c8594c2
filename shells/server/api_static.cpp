// The browser UI: its built files (server.web_dir, default build/web) served at every path no
// API route claims. The UI is a single-page app with history routing, so a GET for a page path
// that is not a file (/login, /w/<id>) answers index.html; a missing asset (a path under
// /assets/ or whose last segment has an extension) is a 404, so that a stale script reference
// fails loudly instead of receiving HTML. /api/... never falls back: it is the JSON 404 of
// any unknown endpoint. Vite names the files under /assets/ by content hash, so they are cached
// for a year; everything else (index.html first) is revalidated with its ETag on every load.
// Files are read on each request (no cache in the server), so a rebuild shows at once.
#include "api.hpp"
#include "http_errors.hpp"
#include "static_files.hpp"

namespace codeyard::server {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

bool IsApiPath(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

// A path that names a file rather than a page of the app.
bool LooksLikeAsset(std::string_view relative) {
  if (relative.starts_with("assets/")) return true;
  const std::size_t slash = relative.rfind('/');
  const std::string_view last =
      slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

Response FileResponse(const Request& r, std::string_view name, StaticFile file) {
  Response out;
  out.headers.emplace_back("ETag", file.etag);
  out.headers.emplace_back("Cache-Control",
                           std::string(name.starts_with("assets/") ? kImmutable : kRevalidate));
  out.headers.emplace_back("Content-Security-Policy", std::string(kUiContentSecurityPolicy));
  if (const auto inm = r.Header("if-none-match"); inm && EtagMatches(*inm, file.etag)) {
    out.status = 304;
    out.content_type.clear();
    return out;
  }
  out.content_type = std::string(ContentTypeFor(name));
  out.body = std::move(file.content);
  return out;
}

Result<Response> ServeUi(const std::string& root, const Request& r) {
  if (IsApiPath(r.path)) {
    return Fail(Error::Code::kNotFound, "no such endpoint: " + r.path);
  }
  if (r.method != Method::kGet && r.method != Method::kHead) {
    Response out = ErrorResponse(
        405,
        Error(Error::Code::kInvalidArgument,
              "method " + std::string(MethodName(r.method)) + " is not allowed on " + r.path),
        r.request_id);
    out.headers.emplace_back("Allow", "GET, HEAD");
    return out;
  }
  const std::string relative = r.path.empty() ? std::string() : r.path.substr(1);
  std::string name = relative;
  if (name.empty() || name.ends_with('/')) name += "index.html";
  auto file = ReadStaticFile(root, name);
  if (file) return FileResponse(r, name, std::move(*file));
  if (file.error().code() != Error::Code::kNotFound || LooksLikeAsset(relative)) {
    return Fail(file.error());
  }
  auto index = ReadStaticFile(root, "index.html");
  if (!index) return Fail(index.error());
  return FileResponse(r, "index.html", std::move(*index));
}

}  // namespace

void AddStaticRoutes(Router& router, Services& services) {
  router.SetFallback(
      [root = ResolveWebDir(services.web_dir)](const Request& r) { return ServeUi(root, r); });
}

}  // namespace codeyard::server
