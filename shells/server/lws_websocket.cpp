#include "lws_websocket.hpp"

#include <libwebsockets.h>

#include "http_errors.hpp"

namespace codeyard::server {

bool IsWorkspaceSocketPath(std::string_view path, std::string_view suffix,
                           std::string* workspace_id) {
  constexpr std::string_view kPrefix = "/api/v1/workspaces/";
  if (!path.starts_with(kPrefix)) return false;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == 0 || slash == std::string_view::npos || path.substr(slash + 1) != suffix) {
    return false;
  }
  if (workspace_id != nullptr) *workspace_id = std::string(path.substr(0, slash));
  return true;
}

int LwsWebSocket::ConfirmUpgrade(lws* wsi, Logger& logger, std::vector<unsigned char>& scratch) {
  char version[16] = {};
  const int n = lws_hdr_copy(wsi, version, sizeof(version), WSI_TOKEN_VERSION);
  if (n > 0 && std::string_view(version, static_cast<std::size_t>(n)) == "13") return 0;
  const std::string request_id = IncomingOrNewRequestId(wsi);
  Response r =
      ErrorResponse(426,
                    Error(Error::Code::kInvalidArgument,
                          n > 0 ? "unsupported Sec-WebSocket-Version; this server speaks version 13"
                                : "a WebSocket handshake needs Sec-WebSocket-Version: 13"),
                    request_id);
  r.headers.emplace_back("Sec-WebSocket-Version", "13");
  logger.Info("upgrade refused", {{"reason", "websocket version"},
                                  {"version", ValidUtf8(std::string_view(version))},
                                  {"request_id", request_id}});
  // Headers and body in one write, so that a client sees the whole answer at once.
  if (!WriteResponseHeaders(wsi, r, request_id, false, false, scratch, r.body)) return -1;
  return 1;  // answered: lws completes the transaction
}

int LwsWebSocket::SendClose(Logger& logger, std::string_view name, WsSession& s,
                            const WsClose& close, const std::optional<LogField>& subject) {
  const std::string reason = WsGlue::SendClose(s, close);
  const std::string msg = std::string(name) + " closing";
  if (subject) {
    logger.Info(msg, {*subject,
                      {"request_id", s.request_id},
                      {"code", static_cast<int>(close.code)},
                      {"reason", ValidUtf8(reason)}});
  } else {
    logger.Info(msg, {{"request_id", s.request_id},
                      {"code", static_cast<int>(close.code)},
                      {"reason", ValidUtf8(reason)}});
  }
  return -1;
}

void LwsWebSocket::LogDisconnected(Logger& logger, std::string_view name, const WsSession& s,
                                   const std::optional<LogField>& subject) {
  const std::string msg = std::string(name) + " disconnected";
  if (subject) {
    logger.Info(msg, {*subject, {"request_id", s.request_id}, {"duration_ms", s.age_ms()}});
  } else {
    logger.Info(msg, {{"request_id", s.request_id}, {"duration_ms", s.age_ms()}});
  }
}

void LwsWebSocket::AskWritable(lws* wsi) { lws_callback_on_writable(wsi); }

}  // namespace codeyard::server
