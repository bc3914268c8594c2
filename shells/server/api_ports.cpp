// The preview of what a workspace serves (codeyard/port_relay.hpp): HTTP requests under
// /api/v1/workspaces/{id}/ports/{port}/ are relayed to that port on the pod's own loopback,
// and POST /api/v1/workspaces/{id}/previews lets a browser tab or frame in with a cookie. The
// rules (owner only, ports, tickets, the exchange) are the library's; here HTTP is mapped onto
// them: who calls (a bearer token, else the preview cookie), the path and query re-encoded
// for the program, and the answer sandboxed, since it comes from this origin but was written
// by whatever runs in the workspace.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api.hpp"
#include "api_json.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr std::string_view kCookie = "codeyard_preview";

// A preview's page comes from this origin: as a sandbox without allow-same-origin it gets an
// opaque origin, so its scripts cannot read the IDE's stored tokens or call the API as the
// user; it may be framed by the IDE only.
constexpr std::string_view kPreviewPolicy =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; "
    "frame-ancestors 'self'";

// Headers the server sets on every answer itself: the program's copies are dropped.
constexpr std::array<std::string_view, 10> kServerHeaders = {"content-security-policy",
                                                             "x-frame-options",
                                                             "x-content-type-options",
                                                             "referrer-policy",
                                                             "permissions-policy",
                                                             "cross-origin-opener-policy",
                                                             "strict-transport-security",
                                                             "x-request-id",
                                                             "date",
                                                             "server"};

bool IsUnreserved(unsigned char c, bool in_path) {
  if (std::isalnum(c) != 0) return true;
  if (c == '-' || c == '.' || c == '_' || c == '~') return true;
  // In a path, sub-delimiters, ':' and '@' mean nothing special; '/' separates segments.
  return in_path &&
         std::string_view("/!$&'()*+,;=:@").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string Encode(std::string_view text, bool in_path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c, in_path)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The path and query the program sees: the part after the preview's prefix.
std::string Target(const Request& r) {
  std::string target = "/" + Encode(r.Param("path").value_or(""), true);
  for (std::size_t i = 0; i < r.query.size(); ++i) {
    target += i == 0 ? '?' : '&';
    target += Encode(r.query[i].first, false);
    if (!r.query[i].second.empty()) target += "=" + Encode(r.query[i].second, false);
  }
  return target;
}

// The preview cookie's values in a Cookie header ("a=1; codeyard_preview=...; b=2"): a browser
// sends every cookie whose path matches, the most specific first.
std::vector<std::string_view> PreviewCookies(std::string_view header) {
  std::vector<std::string_view> out;
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.starts_with(kCookie) && pair.size() > kCookie.size() && pair[kCookie.size()] == '=') {
      out.push_back(pair.substr(kCookie.size() + 1));
    }
  }
  return out;
}

// The caller: a bearer token when there is one (the IDE's fetches), else a preview cookie
// for exactly this workspace and port (a tab or frame).
Result<std::string> Caller(Services& services, const Request& r, std::string_view workspace_id,
                           uint16_t port) {
  if (r.Header("authorization")) {
    auto claims = Authenticate(*services.accounts, r);
    if (!claims) return Fail(claims.error());
    return claims->user_id;
  }
  std::optional<Error> refused;
  for (const std::string_view token : PreviewCookies(r.Header("cookie").value_or(""))) {
    auto user = services.relay->VerifyPreview(token, workspace_id, port);
    if (user) return std::move(*user);
    refused = user.error();
  }
  if (refused) return Fail(*refused);
  return Fail(Error::Code::kUnauthenticated,
              "preview: no access token and no preview ticket for this workspace and port; "
              "open the preview from the IDE");
}

Result<Response> Relay(Services& services, const Request& r) {
  const std::string_view workspace_id = r.Param("id").value_or("");
  auto port = PortRelay::ParsePort(r.Param("port").value_or(""));
  if (!port) return Fail(port.error());
  auto user = Caller(services, r, workspace_id, *port);
  if (!user) return Fail(user.error());
  RelayRequest request;
  request.method = std::string(MethodName(r.method));
  request.target = Target(r);
  request.headers = r.headers;
  request.body = r.body;
  auto answer = services.relay->Forward(*user, workspace_id, *port, request);
  if (!answer) {
    // The gateway is fine; what is behind it is not there or not well: 502, as a proxy says.
    if (answer.error().code() == Error::Code::kUnavailable) {
      Response bad = ErrorResponse(502, answer.error(), r.request_id);
      bad.headers.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
      return bad;  // shown in the IDE's preview frame, so it may be framed like the program
    }
    return Fail(answer.error());
  }
  Response out;
  out.status = answer->status;
  out.content_type = "application/octet-stream";
  out.body = std::move(answer->body);
  for (auto& [name, value] : answer->headers) {
    if (name == "content-type") {
      out.content_type = std::move(value);
    } else if (std::find(kServerHeaders.begin(), kServerHeaders.end(), name) ==
               kServerHeaders.end()) {
      out.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  out.headers.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
  return out;
}

// "…/ports/8000" -> "…/ports/8000/": relative links of the program's pages resolve under the
// prefix only with the slash.
Result<Response> AddSlash(const Request& r) {
  auto port = PortRelay::ParsePort(r.Param("port").value_or(""));
  if (!port) return Fail(port.error());
  Response out;
  out.status = 308;
  out.content_type = "text/plain";
  out.headers.emplace_back("Location", PortRelay::Prefix(r.Param("id").value_or(""), *port));
  return out;
}

}  // namespace

void AddPortRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/previews",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      const auto* port_value = body->if_contains("port");
                      if (port_value == nullptr || !port_value->is_int64()) {
                        return Fail(Error::Code::kInvalidArgument,
                                    "preview: the body is {\"port\": 1-65535}");
                      }
                      auto port = PortRelay::ParsePort(std::to_string(port_value->get_int64()));
                      if (!port) return Fail(port.error());
                      auto ticket =
                          services.relay->IssuePreview(user_id, r.Param("id").value_or(""), *port);
                      if (!ticket) return Fail(ticket.error());
                      boost::json::object json;
                      json["url"] = ticket->prefix;
                      json["port"] = *port;
                      json["expires_at"] = ticket->expires_unix_ms;
                      Response out = JsonResponse(200, json);
                      const auto ttl = services.relay->options().preview_ttl.count();
                      // HttpOnly: no page script reads it; scoped to this one preview's prefix.
                      // Known gap: the previewed page runs sandboxed (an opaque origin), so
                      // Chromium sends no cookie with the page's own requests (images, scripts);
                      // neither Lax nor None; Secure did. The document itself loads.
                      out.headers.emplace_back(
                          "Set-Cookie",
                          std::string(kCookie) + "=" + ticket->token + "; Path=" + ticket->prefix +
                              "; Max-Age=" + std::to_string(ttl) + "; HttpOnly; SameSite=Lax");
                      return out;
                    }));
  for (const Method method : kRelayMethods) {
    router.Add(method, "/api/v1/workspaces/{id}/ports/{port}/{path**}",
               [&services](const Request& r) { return Relay(services, r); });
  }
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/ports/{port}",
             [](const Request& r) { return AddSlash(r); });
  // The language servers' WebSocket is served by lws_lsp before routing; a plain GET gets 426.
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/lsp", [](const Request& r) -> Result<Response> {
    Response response =
        ErrorResponse(426,
                      Error(Error::Code::kFailedPrecondition,
                            "the language server is a WebSocket: connect with Upgrade: websocket "
                            "(docs/api.md, \"Preview and language servers\")"),
                      r.request_id);
    response.headers.emplace_back("Upgrade", "websocket");
    return response;
  });
}

}  // namespace codeyard::server
