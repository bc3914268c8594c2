// The language-server WebSocket's side of libwebsockets: /api/v1/workspaces/{id}/lsp
// ?language=python|c|cpp, on the sockets' base (lws_websocket). The first client message is the
// hello, {"token":"<access token>"} (within 10 s); a long-work thread verifies it and starts the
// language server in the workspace's running pod (codeyard/language_servers.hpp). Every later text
// message is one JSON-RPC message for the server (the client's didOpen, didChange, completion,
// ...), and every message the server sends comes back as one text message: LSP's Content-Length
// framing stays inside the pod. Messages sent before the server started are kept (at most
// kMaxEarly) and passed on.
//
// Close codes (docs/api.md, "Language servers"): 1001 server stopping, 1008 an unknown
// language, 1009 a message over 16 MiB, 1011 the language server ended or broke, 1013 busy,
// 4001 no/bad token, 4004 no such workspace (or another user's) or no such program in the pod,
// 4008 the client does not read what the server sends, 4009 the workspace is not running.
//
// Service thread only, except the sessions' driver threads, which report through an inbox and
// the wake function, never touching a connection.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codeyard/accounts.hpp"
#include "codeyard/language_servers.hpp"
#include "codeyard/log.hpp"
#include "lws_websocket.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

enum class LspState { kHello, kStarting, kRunning };
struct LspConn : WsSession {
  LspState state = LspState::kHello;
  std::string workspace_id;
  std::string language;
  std::shared_ptr<LanguageServerSession> session;
  std::deque<std::string> early;  // client messages before the server started
  std::deque<std::string> out;    // server messages waiting for WRITEABLE
  std::size_t out_bytes = 0;
};

class LspSockets final : public LwsWebSocketOf<LspConn> {
 public:
  LspSockets(LanguageServers& servers, Accounts& accounts, std::shared_ptr<Logger> logger);
  ~LspSockets() override;

  // "/api/v1/workspaces/<id>/lsp"; the id into *workspace_id when not null.
  [[nodiscard]] static bool IsLspPath(std::string_view path, std::string* workspace_id);
  [[nodiscard]] bool Serves(std::string_view path) const override {
    return IsLspPath(path, nullptr);
  }

  void OnWake(bool stopping) override;

  static constexpr std::size_t kMaxEarly = 256;
  static constexpr std::size_t kMaxQueued = std::size_t{64} << 20;

 private:
  // From a worker or a session's driver thread to the service thread.
  struct Note {
    uint64_t id = 0;
    std::shared_ptr<LanguageServerSession> started;
    std::optional<std::string> message;
    std::optional<WsClose> close;
  };

  void Opened(uint64_t id, LspConn& c, const RequestLine& line) override;
  void OnMessage(uint64_t id, LspConn& c, std::string message) override;
  std::optional<std::string> Before(LspConn& c) override;
  void Closed(uint64_t id, LspConn& c) override;

  void Drop(std::shared_ptr<LanguageServerSession> session);  // ends it off this thread

  LanguageServers& servers_;
  Accounts& accounts_;
  WsInbox<Note> notes_;
};

}  // namespace codeyard::server
