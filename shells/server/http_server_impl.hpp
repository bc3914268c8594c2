// The inside of HttpServer (http_server.hpp), shared by its two source files:
// http_server.cpp (lifecycle, the lws callbacks, reading requests, connection limits) and
// http_server_io.cpp (handing requests to the worker pools and writing the answers). Private
// to the server; the threading rules are the public header's: everything here runs on the
// service thread except what says otherwise (Wake, Complete, RunHandler).
#pragma once

#include "http_server.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <strings.h>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "body_budget.hpp"
#include "cors.hpp"
#include "http_errors.hpp"
#include "inline_read_guard.hpp"
#include "listen_address.hpp"
#include "lws_events.hpp"
#include "lws_http.hpp"
#include "lws_log.hpp"
#include "lws_lsp.hpp"
#include "lws_raw_tap.hpp"
#include "lws_relay.hpp"
#include "lws_run_session.hpp"
#include "lws_terminal.hpp"
#include "lws_websocket.hpp"
#include "request_target.hpp"
#include "security_headers.hpp"
#include "worker_pool.hpp"

namespace codeyard::server {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kBodyChunk = std::size_t{16} * 1024;  // bytes written per WRITEABLE callback
// A streamed body's write per WRITEABLE callback: all its pipe holds (BodyPipe's 256 KiB), in
// one lws_write. lws sends what the socket takes and keeps the rest, calling WRITEABLE again
// only once that is out, so a slow client still holds at most this much in lws. 16 KiB per
// callback had made an 8 MiB preview 512 loop turns and two copies of each byte.
constexpr std::size_t kStreamChunk = std::size_t{256} * 1024;
// How long to wait before retrying, told to a client refused for lack of capacity.
constexpr int64_t kRetryBusyS = 1;
constexpr int64_t kRetryLongWorkS = 2;

// What lws keeps per connection: only ids, so that nothing with a destructor lives in memory
// lws allocates and frees.
struct Pss {
  uint64_t conn_id;  // an HTTP transaction in Impl::conns_
  // Once upgraded, the WebSocket's kind (one of Impl::websockets_) and its id there.
  LwsWebSocket* ws;
  uint64_t ws_id;
  // A WebSocket's WRITEABLE returned -1 with a close reason set: lws has sent (or is
  // sending) the close frame and awaits the peer's. lws still calls WRITEABLE meanwhile; a
  // second -1 would make it drop the connection at once, and a peer whose own messages are
  // still arriving then gets a reset that loses the close and what came before it.
  bool ws_closing;
};

// A kind of WebSocket not yet on the base (lws_websocket), seen through its interface.
template <typename Sockets>
class LwsWebSocketAdapter final : public LwsWebSocket {
 public:
  LwsWebSocketAdapter(Sockets& sockets, bool (*serves)(std::string_view))
      : sockets_(sockets), serves_(serves) {}
  bool Serves(std::string_view path) const override { return serves_(path); }
  uint64_t Open(lws* wsi) override { return sockets_.Open(wsi); }
  int OnReceive(uint64_t id, const void* in, std::size_t len) override {
    return sockets_.OnReceive(id, in, len);
  }
  int OnWriteable(uint64_t id) override { return sockets_.OnWriteable(id); }
  int OnTimer(uint64_t id) override { return sockets_.OnTimer(id); }
  void OnClosed(uint64_t id) override { sockets_.OnClosed(id); }
  void OnUnmaskedFrame(int fd) override { sockets_.OnUnmaskedFrame(fd); }
  void OnWake(bool stopping) override { sockets_.OnWake(stopping); }
  std::size_t open() const override { return sockets_.open(); }

 private:
  Sockets& sockets_;
  bool (*const serves_)(std::string_view);
};

enum class Phase { kIdle, kReadingBody, kHandling, kWriting };

// One HTTP connection's current transaction. Service thread only.
struct Conn {
  uint64_t id = 0;
  lws* wsi = nullptr;
  Phase phase = Phase::kIdle;
  Request request;                 // moved to the worker when dispatched
  BodyBudget::Charge body_charge;  // the body's bytes, held until the request is freed
  Work work = Work::kQuick;
  std::string method;
  std::string path;
  std::string request_id;
  std::string cors_origin;  // the Origin, when the allow-list admits it: CORS headers go out
  SteadyClock::time_point started;
  SteadyClock::time_point body_deadline;  // the whole body must be in by then
  Response response;
  bool head_only = false;
  bool close_after = false;
  bool headers_sent = false;
  bool rx_paused = false;  // reading stopped while the request is handled (Dispatch)
  std::size_t body_offset = 0;
};

// Back to idle for the next transaction on the same connection.
inline void Reset(Conn& c, lws* wsi) {
  const uint64_t id = c.id;
  c = Conn();
  c.id = id;
  c.wsi = wsi;
}

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : opts_(std::move(options)),
        cors_(opts_.cors_origins),
        hsts_(StrictTransportSecurity(opts_.hsts_max_age_seconds)),
        body_budget_(opts_.max_inflight_body_bytes) {
    if (!opts_.logger) opts_.logger = NullLogger();
    protocols_[0].name = "http";
    protocols_[0].callback = &Impl::Callback;
    protocols_[0].per_session_data_size = sizeof(Pss);
    // The order the upgrade's path is matched in (the paths are disjoint).
    if (opts_.events != nullptr && opts_.accounts != nullptr) {
      events_ = std::make_unique<EventSockets>(*opts_.events, *opts_.accounts,
                                               opts_.events_reauth_interval, opts_.logger);
      websockets_.push_back(events_.get());
    }
    if (opts_.run_sessions != nullptr && opts_.terminals != nullptr) {
      runs_ = std::make_unique<RunSockets>(*opts_.run_sessions, opts_.logger);
      websockets_.push_back(runs_.get());
    }
    if (opts_.language_servers != nullptr && opts_.accounts != nullptr) {
      lsp_ = std::make_unique<LspSockets>(*opts_.language_servers, *opts_.accounts, opts_.logger);
      websockets_.push_back(lsp_.get());
    }
    if (opts_.port_relay != nullptr) {
      relay_ = std::make_unique<PreviewSockets>(*opts_.port_relay, opts_.accounts, opts_.logger);
      relay_ws_ = std::make_unique<LwsWebSocketAdapter<PreviewSockets>>(
          *relay_, &PreviewSockets::IsPreviewPath);
      websockets_.push_back(relay_ws_.get());
    }
    if (opts_.terminals != nullptr) {
      terminals_ = std::make_unique<TerminalSockets>(*opts_.terminals, opts_.logger);
      websockets_.push_back(terminals_.get());
    }
  }

  Result<void> Start();
  void Stop();
  [[nodiscard]] bool serving() const noexcept { return serving_.load(); }
  [[nodiscard]] int port() const noexcept { return port_.load(); }

 private:
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

  void ServiceThread(std::promise<Result<void>> started);
  [[nodiscard]] bool AllIdle() const;
  void Wake();

  Conn* Find(const Pss* pss);
  int OnHttp(lws* wsi, Pss* pss);
  int OnBody(const Pss* pss, const void* in, size_t len);
  int OnBodyComplete(const Pss* pss);
  int OnWriteable(const Pss* pss);
  void OnClosed(Pss* pss);
  int OnUpgrade(lws* wsi, const void* in);
  void OnEstablished(lws* wsi, Pss* pss);
  // The WebSocket kind that upgrades `path`, or nullptr.
  [[nodiscard]] LwsWebSocket* WebSocketFor(std::string_view path) const;
  int OnAccept(const lws_filter_network_conn_args& args);
  void OnAdopted(lws* wsi);
  void OnDestroyed(const lws* wsi);
  void RefuseConnection(const std::string& address, std::string_view limit);

  int Dispatch(Conn& c);
  Response RunHandler(Request request) const;
  void Complete(uint64_t conn_id, Response response);
  void DeliverResponses();
  void StreamReady(uint64_t conn_id);  // any thread: a streamed body has bytes (or ended)
  void Produce(const std::function<void(BodyPipe&)>& produce, BodyPipe& pipe);
  int WriteStreamed(Conn& c);
  int Respond(Conn& c, Response response, bool close_after);
  Response MakeError(const Conn& c, int status, Error::Code code, std::string message) const;
  int WriteHeaders(Conn& c, bool with_body);
  int Finish(Conn& c);
  void LogAccess(const Conn& c, int status, bool aborted) const;

  HttpServerOptions opts_;
  const CorsPolicy cors_;
  const std::string hsts_;  // the Strict-Transport-Security value, or empty
  lws_protocols protocols_[2] = {};
  ListenAddress address_;
  std::unique_ptr<WorkerPool> pool_;       // quick handlers
  std::unique_ptr<WorkerPool> long_pool_;  // Work::kLong handlers and terminal attaches
  BodyBudget body_budget_;
  InlineReadGuard read_guard_;                  // service thread only
  std::unique_ptr<TerminalSockets> terminals_;  // service thread only
  std::unique_ptr<EventSockets> events_;        // service thread only
  std::unique_ptr<RunSockets> runs_;            // service thread only
  std::unique_ptr<LspSockets> lsp_;             // service thread only
  std::unique_ptr<PreviewSockets> relay_;       // service thread only
  std::unique_ptr<LwsWebSocket> relay_ws_;      // relay_ seen as a base (until it is one)
  // Every kind above, in the order OnUpgrade matches paths.
  std::vector<LwsWebSocket*> websockets_;
  std::thread thread_;
  std::future<void> loop_done_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<SteadyClock::rep> drain_deadline_{0};
  std::atomic<int> port_{0};

  std::mutex ctx_mu_;  // guards ctx_ for Wake() from other threads
  lws_context* ctx_ = nullptr;

  std::mutex done_mu_;  // responses from workers waiting for the service thread
  std::vector<std::pair<uint64_t, Response>> done_;
  std::vector<uint64_t> streams_ready_;  // connections whose streamed body has bytes

  // Service thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  // Connections that have completed a transaction and stay open (keep-alive): only their
  // requests can come out of lws's pipelining buffer (see OnHttp).
  std::unordered_set<const lws*> reused_;
  uint64_t next_conn_id_ = 1;
  std::vector<unsigned char> scratch_;
  std::vector<unsigned char> stream_out_;  // LWS_PRE + kStreamChunk: a streamed body's write
  // Open connections by peer address, for the connection limits. An accepted socket's address
  // waits in accepted_ (by descriptor) until lws has made its wsi.
  int max_connections_ = 0;  // opts_.max_connections, held below the descriptor limit
  int open_connections_ = 0;
  std::unordered_map<std::string, int> per_address_;
  std::unordered_map<int, std::string> accepted_;
  std::unordered_map<const lws*, std::string> address_of_;
  SteadyClock::time_point last_refusal_log_{};
  uint64_t refusals_unlogged_ = 0;
};

}  // namespace codeyard::server
