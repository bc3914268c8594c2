// The preview relay's WebSockets (codeyard/port_relay.hpp), relayed as the program answers
// them. An upgrade under /api/v1/previews/{ticket}/... (the ticket in the path) or
// /api/v1/workspaces/{id}/ports/{port}/... (a bearer token, else the preview cookie:
// api_ports.hpp) is never answered by lws: in HTTP_CONFIRM_UPGRADE the connection's socket is
// taken from lws (TakeOver), a long-work thread checks the credential (the share policy too,
// in PortRelay::Connect) and passes the browser's own handshake to the program, and the
// browser gets the program's own answer: its 101 (with its Sec-WebSocket-Protocol and
// -Extensions), or its refusal as it is, or the relay's JSON error (401, 404, 400, 502 when
// nothing listens or the program's 101 is wrong, 503 busy). After a 101 the bytes flow both
// ways as they come, never parsed as frames, each end's close passed on to the other.
//
// Taking the socket: lws 4.1.6 has no call that lets go of a connection. The descriptor is
// duplicated, and lws's number is pointed at a socket whose peer is already closed
// (dup2), so that lws's close (shutdown, wait for end of stream, close) ends that one. lws
// polls with poll(2) (no epoll registration keyed by the old file survives).
//
// Service thread only, except the relays' own threads, which report through an inbox and the
// wake function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/log.hpp"
#include "codeyard/port_relay.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

class PreviewSockets {
 public:
  // `accounts` checks bearer tokens on the ports path (nullptr: only tickets and cookies).
  PreviewSockets(PortRelay& relay, const Accounts* accounts, std::shared_ptr<Logger> logger);
  ~PreviewSockets();

  // `released` is told the peer address of each taken connection once it has ended (on the
  // service thread, from OnWake): the server's connection limits count it until then.
  void Bind(WorkerPool* pool, std::function<void()> wake,
            std::function<void(const std::string& address)> released);

  // A path under /api/v1/previews/<ticket>/ or /api/v1/workspaces/<id>/ports/<port>/.
  [[nodiscard]] static bool IsPreviewPath(std::string_view path);

  // In HTTP_CONFIRM_UPGRADE for a preview path: takes the connection from lws and returns -1
  // (lws then closes what it is left with). `address` is the peer's, counted until released.
  [[nodiscard]] int TakeOver(lws* wsi, std::string address);

  void OnWake(bool stopping);

  [[nodiscard]] std::size_t open() const { return relays_.size(); }

  struct Relay;  // one taken connection (lws_relay.cpp)

 private:
  void Drop(std::shared_ptr<Relay> relay);  // joins its threads off this thread

  PortRelay& relay_;
  const Accounts* accounts_;
  std::shared_ptr<Logger> logger_;
  WorkerPool* pool_ = nullptr;
  std::function<void()> wake_;
  std::function<void(const std::string&)> released_;
  std::unordered_map<uint64_t, std::shared_ptr<Relay>> relays_;
  uint64_t next_id_ = 1;
  std::shared_ptr<std::mutex> ended_mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<uint64_t>> ended_ = std::make_shared<std::vector<uint64_t>>();
};

}  // namespace codeyard::server
