// The preview relay's WebSockets (codeyard/port_relay.hpp): an upgrade under
// /api/v1/previews/{ticket}/... (the ticket in the path) or /api/v1/workspaces/{id}/ports/
// {port}/... (a bearer token, else the preview cookie: api_ports.hpp) is accepted, a long-work
// thread checks the credential (the share policy too, in PortRelay::Connect) and has
// the relay make the same handshake with the program on its port, and from then on every
// message is passed on whole both ways, text as text and binary as binary. Messages the
// browser sends before the program's socket is open are kept (at most kMaxEarly).
//
// Close codes: 1001 server stopping, 1009 a message over 16 MiB, 1011 the program closed or
// broke its socket, 1013 busy, 1014 the program is not there or refused the handshake or
// proved it wrong (Sec-WebSocket-Accept; a bad gateway: the message says which), 4000 a bad
// port in the path, 4001 no or bad credentials, 4004 another user's workspace,
// 4008 the browser does not read (64 MiB queued).
//
// Service thread only, except the sockets' reader threads, which report through an inbox and
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
#include "codeyard/log.hpp"
#include "codeyard/port_relay.hpp"
#include "lws_ws_session.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

class PreviewSockets {
 public:
  // `accounts` checks bearer tokens on the ports path (nullptr: only tickets and cookies).
  PreviewSockets(PortRelay& relay, const Accounts* accounts, std::shared_ptr<Logger> logger);
  ~PreviewSockets();

  void Bind(WorkerPool* pool, std::function<void()> wake);

  // A path under /api/v1/previews/<ticket>/ or /api/v1/workspaces/<id>/ports/<port>/.
  [[nodiscard]] static bool IsPreviewPath(std::string_view path);

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
  static constexpr std::size_t kMaxMessage = std::size_t{16} << 20;

 private:
  struct Message {
    bool binary = false;
    std::string data;
  };
  struct Conn : WsSession {
    std::shared_ptr<RelayWebSocket> socket;
    bool opening = true;
    std::deque<Message> early;  // browser messages before the program's socket opened
    std::deque<Message> out;    // program messages waiting for WRITEABLE
    std::size_t out_bytes = 0;
  };
  struct Note {
    uint64_t id = 0;
    std::shared_ptr<RelayWebSocket> opened;
    std::optional<Message> message;
    std::optional<WsClose> close;
  };

  void Forward(Conn& c, Message message);
  void Drop(std::shared_ptr<RelayWebSocket> socket);  // ends it off this thread

  PortRelay& relay_;
  const Accounts* accounts_;
  std::shared_ptr<Logger> logger_;
  WsGlue text_{WsGlue::Frames::kText};
  WsGlue binary_{WsGlue::Frames::kBinary};
  WorkerPool* pool_ = nullptr;
  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;
  WsInbox<Note> notes_;
};

}  // namespace codeyard::server
