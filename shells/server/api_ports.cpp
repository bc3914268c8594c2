// The preview of what a workspace serves (codeyard/port_relay.hpp): HTTP requests under
// /api/v1/workspaces/{id}/ports/{port}/ are relayed to that port on the pod's own loopback,
// and POST /api/v1/workspaces/{id}/previews gives a browser tab or frame a ticket: a capability
// path /api/v1/previews/{ticket}/ (and a cookie for the ports path). The page runs sandboxed
// (an opaque origin), so the browser sends no cookie with its images and scripts; under the
// capability path their relative URLs carry the ticket instead. The rules (owner only, ports,
// tickets, the exchange) are the library's; here HTTP is mapped onto them: who calls (a bearer
// token, else the preview cookie, or the ticket in the path), the path and query re-encoded
// for the program, and the answer sandboxed, since it comes from this origin but was written
// by whatever runs in the workspace.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_ports.hpp"

#include "api.hpp"
#include "api_json.hpp"
#include "core/http_text.hpp"
#include "http_errors.hpp"
#include "request_body.hpp"

namespace codeyard::server {
namespace {

constexpr std::string_view kCookie = "codeyard_preview";

// An answer up to this size (by its Content-Length) is held and sent with its length, keeping
// the connection for the page's next request; a larger one, or one of unknown length, is
// streamed (body_stream.hpp), which closes the connection after it.
constexpr uint64_t kWholeBody = uint64_t{256} << 10;

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

// The path and query the program sees: the part after the preview's prefix.
std::string Target(const Request& r) {
  return http::EncodeTarget("/" + std::string(r.Param("path").value_or("")), r.query);
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

// One exchange for `user` with the program at `port`; `public_prefix` is where the browser
// sees it (redirects stay there).
Result<Response> RelayFor(Services& services, const Request& r, const std::string& user,
                          std::string_view workspace_id, uint16_t port,
                          std::string_view public_prefix) {
  RelayRequest request;
  request.method = std::string(MethodName(r.method));
  request.target = Target(r);
  request.headers = r.headers;
  request.body = r.body;
  if (r.upload) {
    request.body_length = r.upload->length();
    request.read_body = [upload = r.upload,
                         timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                             services.relay->options().timeout)] { return upload->Read(timeout); };
  }
  auto answer = services.relay->Open(user, workspace_id, port, request, public_prefix);
  if (!answer) {
    // The gateway is fine; what is behind it is not there or not well: 502, as a proxy says.
    if (answer.error().code() == Error::Code::kUnavailable) {
      Response bad = ErrorResponse(502, answer.error(), r.request_id);
      bad.headers.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
      return bad;  // shown in the IDE's preview frame, so it may be framed like the program
    }
    return Fail(answer.error());
  }
  RelayReply& reply = **answer;
  Response out;
  out.status = reply.status;
  out.content_type = "application/octet-stream";
  for (auto& [name, value] : reply.headers) {
    if (name == "content-type") {
      out.content_type = std::move(value);
    } else if (!IsServerHeader(name)) {
      out.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  if (reply.has_body && reply.length && *reply.length <= kWholeBody) {
    // A page or a script: held, so it keeps its Content-Length and the connection.
    auto pumped = reply.Pump([&out](std::string_view bytes) {
      out.body.append(bytes);
      return true;
    });
    if (!pumped) {
      Response bad = ErrorResponse(502, pumped.error(), r.request_id);
      bad.headers.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
      return bad;
    }
  } else if (reply.has_body) {
    // Larger or of unknown length: passed on as it comes, the pipe bounding what is held.
    // A known length still goes out, so a client can tell a body that was broken off.
    if (reply.length) out.headers.emplace_back("Content-Length", std::to_string(*reply.length));
    out.stream = std::make_shared<StreamedBody>();
    out.stream->produce = [reply = std::shared_ptr<RelayReply>(std::move(*answer)),
                           logger = services.platform->shared_logger(),
                           request_id = r.request_id](BodyPipe& pipe) {
      auto pumped = reply->Pump([&pipe](std::string_view bytes) { return pipe.Write(bytes); });
      if (!pumped && pumped.error().code() != Error::Code::kAborted) {
        logger->Warn("preview body broken off",
                     {{"request_id", request_id}, {"error", pumped.error().message()}});
      }
      pipe.Finish(pumped.has_value());
    };
  }
  out.headers.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
  return out;
}

Result<Response> Relay(Services& services, const Request& r) {
  const std::string_view workspace_id = r.Param("id").value_or("");
  auto port = PortRelay::ParsePort(r.Param("port").value_or(""));
  if (!port) return Fail(port.error());
  auto user = PreviewCaller(*services.accounts, *services.relay, r, workspace_id, *port);
  if (!user) return Fail(user.error());
  return RelayFor(services, r, *user, workspace_id, *port, {});
}

// /api/v1/previews/{ticket}/...: the ticket is the credential (a bearer header is not needed
// and not looked at; the frame has none).
Result<Response> RelayByTicket(Services& services, const Request& r) {
  const std::string_view ticket = r.Param("ticket").value_or("");
  auto grant = services.relay->OpenPreview(ticket);
  if (!grant) return Fail(grant.error());
  return RelayFor(services, r, grant->user_id, grant->workspace_id, grant->port,
                  PortRelay::CapabilityPrefix(ticket));
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

bool IsServerHeader(std::string_view lower_name) {
  return std::find(kServerHeaders.begin(), kServerHeaders.end(), lower_name) !=
         kServerHeaders.end();
}

Result<std::string> PreviewCaller(const Accounts& accounts, const PortRelay& relay,
                                  const Request& r, std::string_view workspace_id, uint16_t port) {
  if (r.Header("authorization")) {
    auto claims = Authenticate(accounts, r);
    if (!claims) return Fail(claims.error());
    return claims->user_id;
  }
  std::optional<Error> refused;
  for (const std::string_view token : PreviewCookies(r.Header("cookie").value_or(""))) {
    auto user = relay.VerifyPreview(token, workspace_id, port);
    if (user) return std::move(*user);
    refused = user.error();
  }
  if (refused) return Fail(*refused);
  return Fail(Error::Code::kUnauthenticated,
              "preview: no access token and no preview ticket for this workspace and port; "
              "open the preview from the IDE");
}

void AddPortRoutes(Router& router, Services& services) {
  router.Add(
      Method::kPost, "/api/v1/workspaces/{id}/previews",
      [&services](const Request& r) -> Result<Response> {
        // The ticket is bound to this login (sid): logout ends it.
        auto claims = Authenticate(*services.accounts, r);
        if (!claims) return Fail(claims.error());
        auto body = JsonBody(r);
        if (!body) return Fail(body.error());
        const auto* port_value = body->if_contains("port");
        if (port_value == nullptr || !port_value->is_int64()) {
          return Fail(Error::Code::kInvalidArgument, "preview: the body is {\"port\": 1-65535}");
        }
        auto port = PortRelay::ParsePort(std::to_string(port_value->get_int64()));
        if (!port) return Fail(port.error());
        auto ticket = services.relay->IssuePreview(claims->user_id, claims->session_id,
                                                   r.Param("id").value_or(""), *port);
        if (!ticket) return Fail(ticket.error());
        boost::json::object json;
        json["url"] = ticket->url;
        json["port"] = *port;
        json["expires_at"] = ticket->expires_unix_ms;
        Response out = JsonResponse(200, json);
        const auto ttl = services.relay->options().preview_ttl.count();
        // For the ports path (a tab opened on it by hand). HttpOnly: no page
        // script reads it. A sandboxed frame's own requests go without it, so
        // the IDE opens `url`, the capability path, instead.
        out.headers.emplace_back(
            "Set-Cookie", std::string(kCookie) + "=" + ticket->token + "; Path=" + ticket->prefix +
                              "; Max-Age=" + std::to_string(ttl) + "; HttpOnly; SameSite=Lax");
        return out;
      });
  for (const Method method : kRelayMethods) {
    router.Add(method, "/api/v1/workspaces/{id}/ports/{port}/{path**}",
               [&services](const Request& r) { return Relay(services, r); });
  }
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/ports/{port}",
             [](const Request& r) { return AddSlash(r); });
  for (const Method method : kRelayMethods) {
    router.Add(method, "/api/v1/previews/{ticket}/{path**}",
               [&services](const Request& r) { return RelayByTicket(services, r); });
  }
  router.Add(Method::kGet, "/api/v1/previews/{ticket}", [](const Request& r) -> Result<Response> {
    Response out;
    out.status = 308;
    out.content_type = "text/plain";
    out.headers.emplace_back("Location",
                             PortRelay::CapabilityPrefix(r.Param("ticket").value_or("")));
    return out;
  });
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
