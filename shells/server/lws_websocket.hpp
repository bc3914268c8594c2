// One base for the server's WebSocket sockets (the run, terminal, language-server and events
// sockets; the preview relay keeps its own glue, seen through an adapter in
// http_server_impl.hpp while lws still serves it): what every kind did alike lives here, so that
// each kind keeps only what its messages mean, what it queues and what it logs. The base owns the
// connections (id -> Conn), the opening (request line read before the RawTap turns to frames,
// WsGlue::Open), whole messages assembled under the kind's cap, one message written per
// WRITEABLE callback (the kind's queue that goes before a close, then the deferred close with
// its log line, then what the kind's source has), the hello timeout (4001 while no hello
// came), the close of a connection whose client sent an unmasked frame, and the disconnect's
// log line.
//
// Two layers: LwsWebSocket, the interface http_server dispatches the lws callbacks to (a Pss
// holds a pointer to one and the connection's id: no chain of ids per kind), and
// LwsWebSocketOf<Conn>, a class template over the kind's connection type with virtual hooks.
// The template keeps each kind's Conn by value in the map without downcasts; the hooks are
// virtual rather than CRTP because the dispatch is virtual anyway (one indirect call per lws
// callback, nothing next to a write) and a kind reads as a plain subclass.
//
// Service thread only (every member and hook), except what the kinds' worker jobs do through
// WsGlue::Submit / WsInbox and the wake function (lws_ws_session.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "codeyard/log.hpp"
#include "lws_http.hpp"
#include "lws_ws_session.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

// Close codes more than one kind sends (docs/api.md lists each kind's).
inline constexpr uint16_t kWsCloseGoingAway = 1001;        // the server is stopping
inline constexpr uint16_t kWsClosePolicy = 1008;           // a request the kind refuses
inline constexpr uint16_t kWsCloseTooBig = 1009;           // a message over the cap
inline constexpr uint16_t kWsCloseInternal = 1011;         // what the socket relays broke
inline constexpr uint16_t kWsCloseTryAgain = 1013;         // busy
inline constexpr uint16_t kWsCloseUnauthenticated = 4001;  // no hello, or a bad token
inline constexpr uint16_t kWsCloseNotFound = 4004;         // no such workspace (or another's)
inline constexpr uint16_t kWsCloseFellBehind = 4008;       // the client does not read

// True for "/api/v1/workspaces/<id>/<suffix>" (suffix "terminal", "run", "lsp") with an id
// that has no "/"; the id into *workspace_id when not null.
[[nodiscard]] bool IsWorkspaceSocketPath(std::string_view path, std::string_view suffix,
                                         std::string* workspace_id);

// What a kind writes once no close is pending: a message (in the kind's frame type), a
// close, or nothing yet.
using WsNext = std::variant<std::monostate, std::string, WsClose>;

// The interface http_server dispatches a WebSocket's lws callbacks to. Each returns what the
// lws callback should (-1 closes).
class LwsWebSocket {
 public:
  virtual ~LwsWebSocket() = default;

  // True for a path this kind upgrades (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, ESTABLISHED).
  [[nodiscard]] virtual bool Serves(std::string_view path) const = 0;
  // LWS_CALLBACK_ESTABLISHED (headers are still readable): registers the connection and
  // returns its id, which the caller keeps in the connection's user data.
  [[nodiscard]] virtual uint64_t Open(lws* wsi) = 0;
  [[nodiscard]] virtual int OnReceive(uint64_t id, const void* in, std::size_t len) = 0;
  [[nodiscard]] virtual int OnWriteable(uint64_t id) = 0;
  [[nodiscard]] virtual int OnTimer(uint64_t id) = 0;
  virtual void OnClosed(uint64_t id) = 0;
  // The RawTap saw an unmasked frame from the client on `fd` (RFC 6455 §5.1: a server must
  // close such a connection; lws 4.1.6 accepts them): it is closed with 1002.
  virtual void OnUnmaskedFrame(int fd) = 0;
  // LWS_CALLBACK_EVENT_WAIT_CANCELLED: what workers finished, connections with output;
  // `stopping` while the server drains.
  virtual void OnWake(bool stopping) = 0;
  [[nodiscard]] virtual std::size_t open() const = 0;

  // LWS_CALLBACK_HTTP_CONFIRM_UPGRADE of a WebSocket path: 0 to upgrade; 1 after answering a
  // handshake in another protocol version than 13 with 426 and `Sec-WebSocket-Version: 13`
  // (RFC 6455 §4.4; lws 4.1.6 would upgrade any version as if it were 13), -1 when that
  // answer cannot be written. `scratch` is the reply buffer.
  [[nodiscard]] static int ConfirmUpgrade(lws* wsi, Logger& logger,
                                          std::vector<unsigned char>& scratch);

 protected:
  // Sends `close` (WsGlue::SendClose) and logs "<name> closing" with `subject` first when
  // set; returns -1, which the WRITEABLE callback returns.
  static int SendClose(Logger& logger, std::string_view name, WsSession& s, const WsClose& close,
                       const std::optional<LogField>& subject);
  static void LogDisconnected(Logger& logger, std::string_view name, const WsSession& s,
                              const std::optional<LogField>& subject);
  // lws_callback_on_writable, kept out of this header's includes.
  static void AskWritable(lws* wsi);
};

// The plumbing of one kind over its connection type `ConnT` (a WsSession with the kind's own
// state). A kind implements Serves, Opened and OnMessage, and overrides the other hooks it
// needs.
template <typename ConnT>
class LwsWebSocketOf : public LwsWebSocket {
  static_assert(std::is_base_of_v<WsSession, ConnT>);

 public:
  // What the base needs of a kind: its name in log lines ("terminal" -> "terminal closing"),
  // its frame type, the cap of a client message and the close a larger one gets.
  struct Options {
    std::string name;
    WsGlue::Frames frames = WsGlue::Frames::kText;
    std::size_t max_message = 0;
    WsClose too_big;
  };

  LwsWebSocketOf(Options options, std::shared_ptr<Logger> logger)
      : options_(std::move(options)),
        logger_(logger ? std::move(logger) : NullLogger()),
        ws_(options_.frames) {}

  // Before serving: where the kind's jobs run, and how another thread wakes the service
  // thread.
  void Bind(WorkerPool* pool, std::function<void()> wake) {
    pool_ = pool;
    ws_.Bind(pool, std::move(wake));
  }

  uint64_t Open(lws* wsi) final {
    const uint64_t id = next_id_++;
    ConnT& c = conns_[id];
    const RequestLine line = ReadRequestLine(wsi);  // before the RawTap turns to frames
    WsGlue::Open(c, wsi);
    Opened(id, c, line);
    return id;
  }

  int OnReceive(uint64_t id, const void* in, std::size_t len) final {
    ConnT* c = Find(id);
    if (c == nullptr) return -1;
    if (c->close || !Reads(*c)) return 0;  // closing: what comes now is ignored (unmasked too)
    auto message = WsGlue::Assemble(*c, in, len, options_.max_message, options_.too_big);
    if (message) OnMessage(id, *c, std::move(*message));
    return 0;
  }

  int OnWriteable(uint64_t id) final {
    ConnT* c = Find(id);
    if (c == nullptr) return -1;
    if (std::optional<std::string> first = Before(*c)) {
      if (ws_.Write(*c, *first) != 0) return -1;
      AskWritable(c->wsi);
      return 0;
    }
    if (c->close) return SendClose(*logger_, options_.name, *c, *c->close, Subject(*c));
    bool more = false;
    WsNext next = After(id, *c, &more);
    if (auto* message = std::get_if<std::string>(&next)) {
      if (ws_.Write(*c, *message) != 0) return -1;
    } else if (auto* close = std::get_if<WsClose>(&next)) {
      return SendClose(*logger_, options_.name, *c, *close, Subject(*c));
    }
    if (more) AskWritable(c->wsi);
    return 0;
  }

  int OnTimer(uint64_t id) final {
    ConnT* c = Find(id);
    if (c == nullptr) return 0;
    if (!c->hello_done) {
      WsGlue::CloseWith(*c, {kWsCloseUnauthenticated, "no hello within 10 s"});
    } else {
      Timer(id, *c);
    }
    return 0;
  }

  void OnClosed(uint64_t id) final {
    const auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Closed(id, it->second);
    LogDisconnected(*logger_, options_.name, it->second, Subject(it->second));
    conns_.erase(it);
  }

  void OnUnmaskedFrame(int fd) final { WsGlue::CloseUnmasked(conns_, fd); }

  [[nodiscard]] std::size_t open() const final { return conns_.size(); }

 protected:
  // ---- hooks ----
  // After the opening: reads what the kind needs of the request line, logs "<name> connected".
  virtual void Opened(uint64_t id, ConnT& c, const RequestLine& line) = 0;
  // One whole client message (never while a close is pending).
  virtual void OnMessage(uint64_t id, ConnT& c, std::string message) = 0;
  // False once the kind reads no more messages (they are not even assembled).
  [[nodiscard]] virtual bool Reads(const ConnT& /*c*/) const { return true; }
  // The next of the kind's own messages that go out before a pending close (popped).
  virtual std::optional<std::string> Before(ConnT& /*c*/) { return std::nullopt; }
  // Once no close is pending: what to write next; *more asks for another WRITEABLE.
  virtual WsNext After(uint64_t /*id*/, ConnT& /*c*/, bool* /*more*/) { return {}; }
  // The timer fired after the hello (a kind that re-arms it).
  virtual void Timer(uint64_t /*id*/, ConnT& /*c*/) {}
  // The connection is gone: what the kind holds for it is released (before it is erased).
  virtual void Closed(uint64_t /*id*/, ConnT& /*c*/) {}
  // A field that leads the kind's closing and disconnected lines (the workspace), if any.
  [[nodiscard]] virtual std::optional<LogField> Subject(const ConnT& /*c*/) const {
    return std::nullopt;
  }

  // ---- for the kinds ----
  [[nodiscard]] ConnT* Find(uint64_t id) {
    const auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : &it->second;
  }
  // Asks for a WRITEABLE on connection `id` if it is still open.
  void Writable(uint64_t id) {
    if (ConnT* c = Find(id)) AskWritable(c->wsi);
  }
  // Closes every connection with `close` (the first close set wins).
  void CloseAll(const WsClose& close) {
    for (auto& [id, c] : conns_) WsGlue::CloseWith(c, close);
  }
  [[nodiscard]] std::unordered_map<uint64_t, ConnT>& conns() { return conns_; }
  [[nodiscard]] const Options& options() const { return options_; }
  [[nodiscard]] Logger& logger() const { return *logger_; }
  [[nodiscard]] WsGlue& ws() { return ws_; }
  [[nodiscard]] WorkerPool* pool() const { return pool_; }

 private:
  const Options options_;
  std::shared_ptr<Logger> logger_;
  WsGlue ws_;
  WorkerPool* pool_ = nullptr;
  std::unordered_map<uint64_t, ConnT> conns_;
  uint64_t next_id_ = 1;
};

}  // namespace codeyard::server
