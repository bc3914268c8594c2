#include "http_server.hpp"

#include <libwebsockets.h>

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

#include "cors.hpp"
#include "http_errors.hpp"
#include "listen_address.hpp"
#include "lws_http.hpp"
#include "lws_log.hpp"
#include "lws_raw_tap.hpp"
#include "lws_terminal.hpp"
#include "security_headers.hpp"
#include "terminal_hub.hpp"
#include "worker_pool.hpp"

namespace codeyard::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kBodyChunk = std::size_t{16} * 1024;  // bytes written per WRITEABLE callback
// lws keeps the request line and headers of a connection in one buffer of this size while it
// parses them; a request that does not fit is dropped by lws without an answer (it cannot
// answer: its parser fails before any callback). docs/api.md, "Security".
constexpr unsigned short kMaxHeaderBytes = 16384;
// Path plus query, percent-decoded; longer ones get 414 (when they fit kMaxHeaderBytes).
constexpr std::size_t kMaxUrlBytes = 8192;
// Grown as body bytes arrive rather than reserved at once for the announced length, so that
// connections announcing bodies they never send hold no memory.
constexpr std::size_t kMaxBodyReserve = std::size_t{256} * 1024;

// What lws keeps per connection: only an id into Impl::conns_, so that nothing with a
// destructor lives in memory lws allocates and frees.
struct Pss {
  uint64_t conn_id;  // an HTTP transaction in Impl::conns_
  uint64_t term_id;  // a terminal WebSocket in Impl::terminals_
};

enum class Phase { kIdle, kReadingBody, kHandling, kWriting };

// One HTTP connection's current transaction. Service thread only.
struct Conn {
  uint64_t id = 0;
  lws* wsi = nullptr;
  Phase phase = Phase::kIdle;
  Request request;  // moved to the worker when dispatched
  std::string method;
  std::string path;
  std::string log_path;  // path made valid UTF-8 for the JSON log
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

// The Content-Length as lws reads it (atoll, so that "12abc" is 12 here too), 0 without one.
int64_t LwsContentLength(lws* wsi) {
  const int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (n <= 0 || n > 64) return n > 64 ? 1 : 0;
  std::string value(static_cast<std::size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), n + 1, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0) return 1;
  return std::strtoll(value.c_str(), nullptr, 10);
}

// Back to idle for the next transaction on the same connection.
void Reset(Conn& c, lws* wsi) {
  const uint64_t id = c.id;
  c = Conn();
  c.id = id;
  c.wsi = wsi;
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : opts_(std::move(options)),
        cors_(opts_.cors_origins),
        hsts_(StrictTransportSecurity(opts_.hsts_max_age_seconds)) {
    if (!opts_.logger) opts_.logger = NullLogger();
    protocols_[0].name = "http";
    protocols_[0].callback = &Impl::Callback;
    protocols_[0].per_session_data_size = sizeof(Pss);
    if (opts_.terminals != nullptr) {
      terminals_ = std::make_unique<TerminalSockets>(*opts_.terminals, opts_.logger);
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
  int OnUpgrade(lws* wsi, const void* in) const;
  void OnEstablished(lws* wsi, Pss* pss);

  int Dispatch(Conn& c);
  Response RunHandler(Request request) const;
  void Complete(uint64_t conn_id, Response response);
  void DeliverResponses();
  int Respond(Conn& c, Response response, bool close_after);
  Response MakeError(const Conn& c, int status, Error::Code code, std::string message) const;
  int WriteHeaders(Conn& c);
  int Finish(Conn& c);
  void LogAccess(const Conn& c, int status, bool aborted) const;

  HttpServerOptions opts_;
  const CorsPolicy cors_;
  const std::string hsts_;  // the Strict-Transport-Security value, or empty
  lws_protocols protocols_[2] = {};
  ListenAddress address_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<TerminalSockets> terminals_;  // service thread only
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

  // Service thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  // Connections that have completed a transaction and stay open (keep-alive): only their
  // requests can come out of lws's pipelining buffer (see OnHttp).
  std::unordered_set<const lws*> reused_;
  uint64_t next_conn_id_ = 1;
  std::vector<unsigned char> scratch_;
};

// ---- lifecycle --------------------------------------------------------------------------

Result<void> HttpServer::Impl::Start() {
  if (thread_.joinable()) return Fail(Error::Code::kFailedPrecondition, "server already started");
  auto address = ResolveListenHost(opts_.host);
  if (!address) {
    return Fail(
        address.error().WithContext("cannot listen on " + HostPort(opts_.host, opts_.port)));
  }
  address_ = *address;
  pool_ = std::make_unique<WorkerPool>(opts_.worker_threads, opts_.max_queued_requests);
  if (terminals_) {
    terminals_->Bind(pool_.get(), [this] { Wake(); });
    opts_.terminals->SetWake([this] { Wake(); });
  }
  std::promise<Result<void>> started;
  std::future<Result<void>> started_future = started.get_future();
  std::promise<void> done;
  loop_done_ = done.get_future();
  thread_ = std::thread([this, s = std::move(started), d = std::move(done)]() mutable {
    ServiceThread(std::move(s));
    d.set_value();
  });
  Result<void> result = started_future.get();
  if (!result) {
    thread_.join();
    pool_->Shutdown();
  }
  return result;
}

void HttpServer::Impl::ServiceThread(std::promise<Result<void>> started) {
  LwsLogRoute route(opts_.logger);
  RawTap tap;  // what clients send, as sent (lws_raw_tap.hpp)
  if (terminals_) tap.SetOnUnmaskedFrame([this](int fd) { terminals_->OnUnmaskedFrame(fd); });

  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  if (!address_.ipv6) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.user = this;
  info.max_http_header_data = kMaxHeaderBytes;
  info.timeout_secs = static_cast<unsigned>(opts_.request_timeout_seconds);
  lws_context* ctx = lws_create_context(&info);
  if (ctx == nullptr) {
    started.set_value(Fail(Error::Code::kInternal, "cannot start libwebsockets (see its log)"));
    return;
  }

  lws_context_creation_info vinfo{};
  vinfo.vhost_name = "codeyard";
  vinfo.port = opts_.port;
  vinfo.iface = address_.numeric.empty() ? nullptr : address_.numeric.c_str();
  vinfo.protocols = protocols_;
  // Idle keep-alive connections, and ones slow to send their headers (slowloris), are closed
  // by lws's own timers. lws re-arms timeout_secs after each body chunk (a stalled body);
  // the whole body's deadline is OnBody's, the response's is Respond's.
  vinfo.keepalive_timeout = opts_.idle_timeout_seconds;
  vinfo.timeout_secs_ah_idle = static_cast<unsigned>(opts_.idle_timeout_seconds);
  vinfo.timeout_secs = static_cast<unsigned>(opts_.request_timeout_seconds);
  // Never LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE (see header).
  vinfo.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  if (!address_.ipv6) vinfo.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_vhost* vhost = nullptr;
  {
    // A failed bind is reported below with its reason; lws's own lines go to debug.
    const LwsLogRoute::Quiet quiet;
    vhost = lws_create_vhost(ctx, &vinfo);
  }
  if (vhost == nullptr) {
    const std::string reason = DescribeBindFailure(address_, opts_.port);
    lws_context_destroy(ctx);
    started.set_value(Fail(Error::Code::kUnavailable,
                           "cannot listen on " + HostPort(opts_.host, opts_.port) + ": " + reason));
    return;
  }
  port_.store(lws_get_vhost_listen_port(vhost));
  {
    std::lock_guard lock(ctx_mu_);
    ctx_ = ctx;
  }
  serving_.store(true);
  started.set_value({});

  for (;;) {
    if (lws_service(ctx, 0) < 0) {
      opts_.logger->Error("libwebsockets service loop failed");
      break;
    }
    if (stop_requested_.load() &&
        (AllIdle() || SteadyClock::now().time_since_epoch().count() >= drain_deadline_.load())) {
      break;
    }
  }
  serving_.store(false);
  {
    std::lock_guard lock(ctx_mu_);
    ctx_ = nullptr;
  }
  lws_context_destroy(ctx);  // closes every connection; their CLOSED_HTTP callbacks run here
  conns_.clear();
}

void HttpServer::Impl::Stop() {
  if (!thread_.joinable()) {
    if (pool_) pool_->Shutdown();
    return;
  }
  drain_deadline_.store((SteadyClock::now() + opts_.drain_timeout).time_since_epoch().count());
  stop_requested_.store(true);
  if (opts_.terminals != nullptr) {
    opts_.terminals->CloseAll({terminal::kCloseGoingAway, "the server is shutting down"});
  }
  // Each wake lets the loop re-check whether the drain is over.
  do {
    Wake();
  } while (loop_done_.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready);
  thread_.join();
  pool_->Shutdown();
  if (opts_.terminals != nullptr) opts_.terminals->SetWake(nullptr);
}

bool HttpServer::Impl::AllIdle() const {
  for (const auto& [id, c] : conns_) {
    if (c->phase != Phase::kIdle) return false;
  }
  return !terminals_ || terminals_->open() == 0;
}

void HttpServer::Impl::Wake() {
  std::lock_guard lock(ctx_mu_);
  if (ctx_ != nullptr) lws_cancel_service(ctx_);
}

// ---- lws callbacks (service thread) -----------------------------------------------------

int HttpServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
  auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return self->OnHttp(wsi, pss);
    case LWS_CALLBACK_HTTP_BODY:
      return self->OnBody(pss, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return self->OnBodyComplete(pss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return self->OnWriteable(pss);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      self->OnClosed(pss);
      if (reason == LWS_CALLBACK_CLOSED_HTTP) self->reused_.erase(wsi);
      break;
    case LWS_CALLBACK_WSI_DESTROY:
      self->reused_.erase(wsi);
      if (RawTap* tap = RawTap::OfThisThread()) tap->Forget(lws_get_socket_fd(wsi));
      break;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
      if (RawTap* tap = RawTap::OfThisThread()) tap->Watch(lws_get_socket_fd(wsi));
      break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      self->DeliverResponses();
      if (self->terminals_) self->terminals_->OnWake();
      break;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return self->OnUpgrade(wsi, in);
    // The terminal WebSocket (only upgraded when terminals_ exists).
    case LWS_CALLBACK_ESTABLISHED:
      self->OnEstablished(wsi, pss);
      break;
    case LWS_CALLBACK_RECEIVE:
      return pss != nullptr && pss->term_id != 0
                 ? self->terminals_->OnReceive(pss->term_id, in, len)
                 : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return pss != nullptr && pss->term_id != 0 ? self->terminals_->OnWriteable(pss->term_id) : 0;
    case LWS_CALLBACK_TIMER:
      return pss != nullptr && pss->term_id != 0 ? self->terminals_->OnTimer(pss->term_id) : 0;
    case LWS_CALLBACK_CLOSED:
      if (pss != nullptr && pss->term_id != 0) {
        self->terminals_->OnClosed(pss->term_id);
        pss->term_id = 0;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

Conn* HttpServer::Impl::Find(const Pss* pss) {
  if (pss == nullptr || pss->conn_id == 0) return nullptr;
  const auto it = conns_.find(pss->conn_id);
  return it == conns_.end() ? nullptr : it->second.get();
}

int HttpServer::Impl::OnHttp(lws* wsi, Pss* pss) {
  if (pss == nullptr) return -1;
  Conn* found = Find(pss);
  if (found == nullptr) {
    auto fresh = std::make_unique<Conn>();
    fresh->id = next_conn_id_++;
    found = fresh.get();
    pss->conn_id = fresh->id;
    conns_.emplace(fresh->id, std::move(fresh));
  }
  Conn& c = *found;
  if (c.phase != Phase::kIdle) return -1;  // h1 never overlaps transactions; refuse if it did
  Reset(c, wsi);
  c.started = SteadyClock::now();
  c.request_id = IncomingOrNewRequestId(wsi);

  BeginRequest(wsi);
  RequestLine line = ReadRequestLine(wsi);
  const std::optional<Method> method = line.method;
  c.path = std::move(line.path);
  c.log_path = ValidUtf8(c.path);
  c.method = method ? std::string(MethodName(*method)) : "UNKNOWN";
  // lws 4.1.6 cannot read the body of a request pipelined behind another one (see
  // MayHaveBufferedInput): after this callback returns 0 it would feed the header bytes to
  // HTTP_BODY and spin. Any answer means returning 0, so such a request is closed unanswered.
  if (reused_.contains(wsi) && LwsContentLength(wsi) > 0 && MayHaveBufferedInput(wsi)) {
    opts_.logger->Warn("pipelined request with a body refused; connection closed",
                       {{"method", c.method}, {"path", c.log_path}, {"request_id", c.request_id}});
    return -1;
  }
  if (!method) {
    return Respond(c, MakeError(c, 501, Error::Code::kUnimplemented, "unsupported HTTP method"),
                   true);
  }
  c.head_only = *method == Method::kHead;
  if (!line.error.empty()) {  // lws's reading of the rest of this request is unreliable: close
    return Respond(c, MakeError(c, 400, Error::Code::kInvalidArgument, line.error), true);
  }
  if (const auto url_bytes =
          c.path.size() +
          static_cast<std::size_t>(std::max(0, lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS)));
      url_bytes > kMaxUrlBytes) {
    return Respond(
        c,
        MakeError(c, 414, Error::Code::kInvalidArgument,
                  "URL of " + std::to_string(url_bytes) + " bytes exceeds the limit of " +
                      std::to_string(kMaxUrlBytes) + " bytes"),
        true);
  }
  if (stop_requested_.load()) {
    return Respond(c, MakeError(c, 503, Error::Code::kUnavailable, "the server is shutting down"),
                   true);
  }

  Request& r = c.request;
  r.method = *method;
  r.path = c.path;
  r.request_id = c.request_id;
  r.query = std::move(line.query);
  r.headers = CaptureHeaders(wsi);
  char peer[64] = {};  // the accounts' per-address limits; no proxy header is trusted
  r.client_address = lws_get_peer_simple(wsi, peer, sizeof(peer)) != nullptr ? peer : "";

  // Bodies: only with a Content-Length (no chunked uploads), and never over the cap. A body
  // that is refused is not read, so the connection closes after the answer.
  if (HasTransferEncoding(wsi)) {
    return Respond(c,
                   MakeError(c, 411, Error::Code::kInvalidArgument,
                             "a request body needs a Content-Length header"),
                   true);
  }
  int64_t length = 0;
  if (const auto cl = r.Header("content-length")) {
    const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (ec != std::errc() || end != cl->data() + cl->size() || length < 0) {
      return Respond(c, MakeError(c, 400, Error::Code::kInvalidArgument, "invalid Content-Length"),
                     true);
    }
  }
  if (length > opts_.max_body_bytes) {
    return Respond(
        c,
        MakeError(c, 413, Error::Code::kResourceExhausted,
                  "request body of " + std::to_string(length) + " bytes exceeds the limit of " +
                      std::to_string(opts_.max_body_bytes) + " bytes"),
        true);
  }
  // CORS: a preflight is answered here; an allowed origin's actual request is marked for
  // the CORS headers on its answer.
  if (const auto origin = r.Header("origin")) {
    if (r.method == Method::kOptions)
      return Respond(c, cors_.Preflight(*origin, c.request_id), length > 0);
    if (cors_.Allows(*origin)) c.cors_origin = std::string(*origin);
  }
  if (length > 0) {
    c.phase = Phase::kReadingBody;
    r.body.reserve(std::min(static_cast<std::size_t>(length), kMaxBodyReserve));
    // The whole body must arrive within request_timeout: lws closes a connection that sends
    // nothing meanwhile, and OnBody answers 408 to one that trickles past the deadline.
    c.body_deadline = SteadyClock::now() + std::chrono::seconds(opts_.request_timeout_seconds);
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
    return 0;  // lws delivers HTTP_BODY ... HTTP_BODY_COMPLETION
  }
  return Dispatch(c);
}

int HttpServer::Impl::OnBody(const Pss* pss, const void* in, size_t len) {
  Conn* c = Find(pss);
  if (c == nullptr || c->phase != Phase::kReadingBody) return 0;
  if (SteadyClock::now() >= c->body_deadline) {
    return Respond(*c,
                   MakeError(*c, 408, Error::Code::kDeadlineExceeded,
                             "request body not received within " +
                                 std::to_string(opts_.request_timeout_seconds) + " s"),
                   true);
  }
  if (static_cast<int64_t>(c->request.body.size() + len) > opts_.max_body_bytes) {
    return Respond(*c,
                   MakeError(*c, 413, Error::Code::kResourceExhausted,
                             "request body exceeds the limit of " +
                                 std::to_string(opts_.max_body_bytes) + " bytes"),
                   true);
  }
  c->request.body.append(static_cast<const char*>(in), len);
  return 0;
}

int HttpServer::Impl::OnBodyComplete(const Pss* pss) {
  Conn* c = Find(pss);
  if (c == nullptr || c->phase != Phase::kReadingBody) return 0;
  return Dispatch(*c);
}

void HttpServer::Impl::OnClosed(Pss* pss) {
  Conn* c = Find(pss);
  if (c == nullptr) return;
  if (c->phase != Phase::kIdle) {
    LogAccess(*c, c->phase == Phase::kWriting ? c->response.status : 499, true);
  }
  conns_.erase(c->id);
  pss->conn_id = 0;
}

// Only the terminal path upgrades, to a WebSocket, and not while stopping. Without this,
// lws would upgrade any WebSocket request to protocols[0], which is this HTTP protocol.
int HttpServer::Impl::OnUpgrade(lws* wsi, const void* in) const {
  BeginRequest(wsi);
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);
  const bool websocket =
      in != nullptr && strcasecmp(static_cast<const char*>(in), "websocket") == 0;
  if (terminals_ && websocket && !stop_requested_.load() &&
      TerminalSockets::IsTerminalPath(path, nullptr)) {
    return terminals_->ConfirmUpgrade(wsi);
  }
  opts_.logger->Info("upgrade refused",
                     {{"path", ValidUtf8(path)},
                      {"protocol", in != nullptr ? static_cast<const char*>(in) : ""},
                      {"request_id", IncomingOrNewRequestId(wsi)}});
  return -1;  // hang up
}

void HttpServer::Impl::OnEstablished(lws* wsi, Pss* pss) {
  if (pss == nullptr || !terminals_) return;
  if (pss->conn_id != 0) {  // the upgrade came on a keep-alive connection: its HTTP is over
    conns_.erase(pss->conn_id);
    pss->conn_id = 0;
  }
  pss->term_id = terminals_->Open(wsi);
}

// ---- handing requests to workers and back -----------------------------------------------

int HttpServer::Impl::Dispatch(Conn& c) {
  c.phase = Phase::kHandling;
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.handler_timeout_seconds);
  // Read nothing more until the answer is ready: with input pipelined behind a request with
  // a body, lws would otherwise spin on it meanwhile. lws sends no WRITEABLE to a
  // flow-controlled connection, so Respond turns reading back on.
  (void)lws_rx_flow_control(c.wsi, 0);
  c.rx_paused = true;
  const uint64_t id = c.id;
  const bool queued = pool_->TrySubmit([this, id, request = std::move(c.request)]() mutable {
    Complete(id, RunHandler(std::move(request)));
  });
  if (!queued) {
    return Respond(
        c, MakeError(c, 503, Error::Code::kUnavailable, "the server is busy; retry later"), false);
  }
  return 0;
}

Response HttpServer::Impl::RunHandler(Request request) const {
  const std::string request_id = request.request_id;
  try {
    return opts_.handler(std::move(request));
  } catch (const std::exception& e) {
    opts_.logger->Error("request handler threw",
                        {{"request_id", request_id}, {"exception", e.what()}});
  } catch (...) {
    opts_.logger->Error("request handler threw", {{"request_id", request_id}});
  }
  return ErrorResponse(codeyard::Error(Error::Code::kInternal, "internal error"), request_id);
}

void HttpServer::Impl::Complete(uint64_t conn_id, Response response) {
  {
    std::lock_guard lock(done_mu_);
    done_.emplace_back(conn_id, std::move(response));
  }
  Wake();
}

void HttpServer::Impl::DeliverResponses() {
  std::vector<std::pair<uint64_t, Response>> ready;
  {
    std::lock_guard lock(done_mu_);
    ready.swap(done_);
  }
  for (auto& [id, response] : ready) {
    const auto it = conns_.find(id);
    if (it == conns_.end() || it->second->phase != Phase::kHandling) continue;  // closed
    (void)Respond(*it->second, std::move(response), false);
  }
}

Response HttpServer::Impl::MakeError(const Conn& c, int status, Error::Code code,
                                     std::string message) const {
  return ErrorResponse(status, codeyard::Error(code, std::move(message)), c.request_id);
}

// ---- writing (one lws_write per WRITEABLE callback) -------------------------------------

int HttpServer::Impl::Respond(Conn& c, Response response, bool close_after) {
  c.response = std::move(response);
  c.close_after = close_after;
  c.phase = Phase::kWriting;
  c.headers_sent = false;
  c.body_offset = 0;
  if (c.rx_paused) {  // see Dispatch
    (void)lws_rx_flow_control(c.wsi, 1);
    c.rx_paused = false;
  }
  // Re-armed after each chunk: a client that takes nothing for this long is cut off.
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
  lws_callback_on_writable(c.wsi);
  return 0;
}

int HttpServer::Impl::OnWriteable(const Pss* pss) {
  Conn* c = Find(pss);
  if (c == nullptr || c->phase != Phase::kWriting) return 0;
  if (!c->headers_sent) {
    if (WriteHeaders(*c) != 0) return -1;
    c->headers_sent = true;
    if (c->head_only || c->response.body.empty()) return Finish(*c);
    lws_callback_on_writable(c->wsi);
    return 0;
  }
  const std::string& body = c->response.body;
  const std::size_t n = std::min(kBodyChunk, body.size() - c->body_offset);
  const bool last = c->body_offset + n == body.size();
  scratch_.resize(LWS_PRE + n);
  std::memcpy(scratch_.data() + LWS_PRE, body.data() + c->body_offset, n);
  if (lws_write(c->wsi, scratch_.data() + LWS_PRE, n,
                last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0) {
    return -1;
  }
  c->body_offset += n;
  if (last) return Finish(*c);
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
  lws_callback_on_writable(c->wsi);
  return 0;
}

int HttpServer::Impl::WriteHeaders(Conn& c) {
  if (!c.cors_origin.empty()) CorsPolicy::AddResponseHeaders(c.cors_origin, c.response.headers);
  if (!hsts_.empty()) c.response.headers.emplace_back("Strict-Transport-Security", hsts_);
  if (!WriteResponseHeaders(c.wsi, c.response, c.request_id, c.head_only, c.close_after,
                            scratch_)) {
    opts_.logger->Error("cannot write response headers", {{"request_id", c.request_id}});
    return -1;
  }
  return 0;
}

int HttpServer::Impl::Finish(Conn& c) {
  LogAccess(c, c.response.status, false);
  lws* wsi = c.wsi;
  const bool close = c.close_after;
  Reset(c, wsi);  // idle; frees the request and response
  if (close) return -1;
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  reused_.insert(wsi);
  // May start the next pipelined request at once (re-entering OnHttp): touch nothing after.
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

void HttpServer::Impl::LogAccess(const Conn& c, int status, bool aborted) const {
  const double ms =
      std::chrono::duration<double, std::milli>(SteadyClock::now() - c.started).count();
  if (opts_.on_request_done) {
    const bool answered = c.phase == Phase::kWriting && !c.response.route.empty();
    opts_.on_request_done(RequestDone{c.method, answered ? c.response.route : "server", status,
                                      c.phase == Phase::kWriting ? c.response.limit : "",
                                      ms / 1000.0, aborted});
  }
  const double rounded = std::round(ms * 1000.0) / 1000.0;
  if (aborted) {
    opts_.logger->Info("request aborted", {{"method", c.method},
                                           {"path", c.log_path},
                                           {"status", status},
                                           {"duration_ms", rounded},
                                           {"request_id", c.request_id}});
    return;
  }
  opts_.logger->Info("request", {{"method", c.method},
                                 {"path", c.log_path},
                                 {"status", status},
                                 {"duration_ms", rounded},
                                 {"request_id", c.request_id}});
}

// ---- public face ------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpServer::~HttpServer() { impl_->Stop(); }
Result<void> HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
bool HttpServer::serving() const noexcept { return impl_->serving(); }
int HttpServer::port() const noexcept { return impl_->port(); }

}  // namespace codeyard::server
