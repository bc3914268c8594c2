// The language-server WebSocket's side of libwebsockets: /api/v1/workspaces/{id}/lsp
// ?language=python|c|cpp, over the glue it shares with the terminal and events sockets
// (lws_ws_session). The first client message is the hello, {"token":"<access token>"} (within
// 10 s); a long-work thread verifies it and starts the language server in the workspace's
// running pod (codeyard/language_servers.hpp). Every later text message is one JSON-RPC
// message for the server (the client's didOpen, didChange, completion, ...), and every message
// the server sends comes back as one text message: LSP's Content-Length framing stays inside
// the pod. Messages sent before the server started are kept (at most kMaxEarly) and passed on.
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
#include "lws_ws_session.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

class LspSockets {
 public:
  LspSockets(LanguageServers& servers, Accounts& accounts, std::shared_ptr<Logger> logger);
  ~LspSockets();

  // Before serving: where starts run (they wait on a pod: long work), how to wake the
  // service thread.
  void Bind(WorkerPool* pool, std::function<void()> wake);

  // "/api/v1/workspaces/<id>/lsp"; the id into *workspace_id when not null.
  [[nodiscard]] static bool IsLspPath(std::string_view path, std::string* workspace_id);

  [[nodiscard]] uint64_t Open(lws* wsi);
  [[nodiscard]] int OnReceive(uint64_t id, const void* in, std::size_t len);
  [[nodiscard]] int OnWriteable(uint64_t id);
  [[nodiscard]] int OnTimer(uint64_t id);
  void OnClosed(uint64_t id);
  void OnWake(bool stopping);
  void OnUnmaskedFrame(int fd);

  [[nodiscard]] std::size_t open() const { return conns_.size(); }

  static constexpr std::size_t kMaxEarly = 256;
  static constexpr std::size_t kMaxQueued = std::size_t{64} << 20;

 private:
  enum class State { kHello, kStarting, kRunning };
  struct Conn : WsSession {
    State state = State::kHello;
    std::string workspace_id;
    std::string language;
    std::shared_ptr<LanguageServerSession> session;
    std::deque<std::string> early;  // client messages before the server started
    std::deque<std::string> out;    // server messages waiting for WRITEABLE
    std::size_t out_bytes = 0;
  };
  // From a worker or a session's driver thread to the service thread.
  struct Note {
    uint64_t id = 0;
    std::shared_ptr<LanguageServerSession> started;
    std::optional<std::string> message;
    std::optional<WsClose> close;
  };

  int OnMessage(uint64_t id, Conn& c, std::string message);
  void Drop(std::shared_ptr<LanguageServerSession> session);  // ends it off this thread

  LanguageServers& servers_;
  Accounts& accounts_;
  std::shared_ptr<Logger> logger_;
  WsGlue ws_{WsGlue::Frames::kText};
  WorkerPool* pool_ = nullptr;
  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;
  WsInbox<Note> notes_;
};

}  // namespace codeyard::server
