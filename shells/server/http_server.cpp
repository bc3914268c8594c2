#include "http_server.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>

#include "http_server_impl.hpp"

namespace codeyard::server {
namespace {

// lws keeps the request line and headers of a connection in one buffer of this size while it
// parses them; a request that does not fit is dropped by lws without an answer (it cannot
// answer: its parser fails before any callback). docs/api.md, "Security".
constexpr unsigned short kMaxHeaderBytes = 16384;
// Path plus query, percent-decoded; longer ones get 414 (when they fit kMaxHeaderBytes).
constexpr std::size_t kMaxUrlBytes = 8192;
// Grown as body bytes arrive rather than reserved at once for the announced length, so that
// connections announcing bodies they never send hold no memory.
constexpr std::size_t kMaxBodyReserve = std::size_t{256} * 1024;
// Descriptors kept free of client connections for the database, pods, logs and the listener
// itself (server.max_connections is held below RLIMIT_NOFILE minus this).
constexpr int kFdReserve = 256;
// A refused connection is logged at most this often (with the count since the last line).
constexpr std::chrono::seconds kRefusalLogInterval{1};
// Thread names (/proc/PID/task/TID/comm), which tests/server/test_inline_reads.py reads.
constexpr const char* kServiceThreadName = "cy-http";
constexpr const char* kQuickThreadName = "cy-quick";
constexpr const char* kLongThreadName = "cy-long";

// The peer's address as text ("127.0.0.1", "::1"), the key of the per-address limit.
std::string PeerAddress(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    (void)inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text,
                    sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {  // one client, one key, whatever the socket
      (void)inet_ntop(AF_INET, &in6.sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      (void)inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    }
  }
  return text;
}

// The Content-Length as lws reads it (atoll, so that "12abc" is 12 here too), 0 without one.
int64_t LwsContentLength(lws* wsi) {
  const int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (n <= 0 || n > 64) return n > 64 ? 1 : 0;
  std::string value(static_cast<std::size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), n + 1, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0) return 1;
  return std::strtoll(value.c_str(), nullptr, 10);
}

}  // namespace

// ---- lifecycle --------------------------------------------------------------------------

Result<void> HttpServer::Impl::Start() {
  if (thread_.joinable()) return Fail(Error::Code::kFailedPrecondition, "server already started");
  auto address = ResolveListenHost(opts_.host);
  if (!address) {
    return Fail(
        address.error().WithContext("cannot listen on " + HostPort(opts_.host, opts_.port)));
  }
  address_ = *address;
  max_connections_ = opts_.max_connections;
  if (rlimit fds{}; ::getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY) {
    const auto room = static_cast<int64_t>(fds.rlim_cur) - kFdReserve;
    if (room < max_connections_) {
      max_connections_ = static_cast<int>(std::max<int64_t>(room, 16));
      opts_.logger->Warn("server.max_connections lowered to fit the descriptor limit",
                         {{"max_connections", max_connections_},
                          {"rlimit_nofile", static_cast<int64_t>(fds.rlim_cur)},
                          {"reserve", kFdReserve}});
    }
  }
  pool_ = std::make_unique<WorkerPool>(opts_.worker_threads, opts_.max_queued_requests,
                                       kQuickThreadName);
  long_pool_ = std::make_unique<WorkerPool>(opts_.long_work_threads, 0, kLongThreadName);
  if (terminals_) {
    // Attaching may start the workspace's pod: long work.
    terminals_->Bind(long_pool_.get(), [this] { Wake(); });
    opts_.terminals->SetWake([this] { Wake(); });
  }
  if (events_) events_->Bind(pool_.get(), [this] { Wake(); });  // token checks are quick
  if (runs_) {
    // Starting may start the workspace's pod and compile: long work.
    runs_->Bind(long_pool_.get(), [this] { Wake(); });
    opts_.run_sessions->SetWake([this] { Wake(); });
  }
  if (lsp_) lsp_->Bind(long_pool_.get(), [this] { Wake(); });      // starts wait on a pod
  if (relay_) relay_->Bind(long_pool_.get(), [this] { Wake(); });  // handshakes wait on a pod
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
    long_pool_->Shutdown();
  }
  return result;
}

void HttpServer::Impl::ServiceThread(std::promise<Result<void>> started) {
  (void)pthread_setname_np(pthread_self(), kServiceThreadName);
  LwsLogRoute route(opts_.logger);
  RawTap tap;  // what clients send, as sent (lws_raw_tap.hpp)
  tap.SetOnUnmaskedFrame([this](int fd) {
    for (LwsWebSocket* ws : websockets_) ws->OnUnmaskedFrame(fd);
  });

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
  // A connection holds a header table from its first byte until its headers are complete:
  // new connections that never send a whole request are dropped after the header timeout.
  vinfo.timeout_secs_ah_idle =
      static_cast<unsigned>(std::min(opts_.header_timeout_seconds, opts_.idle_timeout_seconds));
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
    const int serviced = lws_service(ctx, 0);
    read_guard_.NewTurn();
    // The access lines of this turn's answers, in one write (LogAccess defers them).
    opts_.logger->Flush();
    if (serviced < 0) {
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
  opts_.logger->Flush();
}

void HttpServer::Impl::Stop() {
  if (!thread_.joinable()) {
    if (pool_) pool_->Shutdown();
    if (long_pool_) long_pool_->Shutdown();
    return;
  }
  drain_deadline_.store((SteadyClock::now() + opts_.drain_timeout).time_since_epoch().count());
  stop_requested_.store(true);
  if (opts_.terminals != nullptr) {
    opts_.terminals->CloseAll({terminal::kCloseGoingAway, "the server is shutting down"});
  }
  if (runs_)
    opts_.run_sessions->CloseAll({terminal::kCloseGoingAway, "the server is shutting down"});
  // Each wake lets the loop re-check whether the drain is over.
  do {
    Wake();
  } while (loop_done_.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready);
  thread_.join();
  pool_->Shutdown();
  long_pool_->Shutdown();
  if (opts_.terminals != nullptr) opts_.terminals->SetWake(nullptr);
  if (runs_) opts_.run_sessions->SetWake(nullptr);
}

bool HttpServer::Impl::AllIdle() const {
  for (const auto& [id, c] : conns_) {
    if (c->phase != Phase::kIdle) return false;
  }
  return std::ranges::all_of(websockets_, [](const LwsWebSocket* ws) { return ws->open() == 0; });
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
      self->OnDestroyed(wsi);
      break;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:  // `user` is the accept's arguments here
      return user == nullptr
                 ? 0
                 : self->OnAccept(*static_cast<const lws_filter_network_conn_args*>(user));
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
      if (RawTap* tap = RawTap::OfThisThread()) tap->Watch(lws_get_socket_fd(wsi));
      self->OnAdopted(wsi);
      break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      self->DeliverResponses();
      for (LwsWebSocket* ws : self->websockets_) ws->OnWake(self->stop_requested_.load());
      break;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return self->OnUpgrade(wsi, in);
    // The WebSockets (only upgraded on a path one of websockets_ serves): pss->ws is set.
    case LWS_CALLBACK_ESTABLISHED:
      self->OnEstablished(wsi, pss);
      break;
    case LWS_CALLBACK_RECEIVE:
      return pss != nullptr && pss->ws != nullptr ? pss->ws->OnReceive(pss->ws_id, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (pss == nullptr || pss->ws == nullptr) return 0;
      if (pss->ws_closing) return 0;  // lws finishes the close handshake (http_server_impl.hpp)
      const int closing = pss->ws->OnWriteable(pss->ws_id);
      pss->ws_closing = closing != 0;
      return closing;
    }
    case LWS_CALLBACK_TIMER:
      return pss != nullptr && pss->ws != nullptr ? pss->ws->OnTimer(pss->ws_id) : 0;
    case LWS_CALLBACK_CLOSED:
      if (pss != nullptr && pss->ws != nullptr) {
        pss->ws->OnClosed(pss->ws_id);
        pss->ws = nullptr;
        pss->ws_id = 0;
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
  c.method = method ? std::string(MethodName(*method)) : "UNKNOWN";
  // lws 4.1.6 cannot read the body of a request pipelined behind another one (see
  // MayHaveBufferedInput): after this callback returns 0 it would feed the header bytes to
  // HTTP_BODY and spin. Any answer means returning 0, so such a request is closed unanswered.
  if (reused_.contains(wsi) && LwsContentLength(wsi) > 0 && MayHaveBufferedInput(wsi)) {
    opts_.logger->Warn(
        "pipelined request with a body refused; connection closed",
        {{"method", c.method}, {"path", LoggedPath(c.path)}, {"request_id", c.request_id}});
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
  // The accounts' per-address limits; no proxy header is trusted. The address was read at
  // accept (lws rebinds the protocol for each request, HTTP_DROP_PROTOCOL, which frees Conn).
  if (const auto known = address_of_.find(wsi); known != address_of_.end()) {
    r.client_address = known->second;
  } else {
    char peer[64] = {};
    r.client_address = lws_get_peer_simple(wsi, peer, sizeof(peer)) != nullptr ? peer : "";
  }

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
  // The route decides where the handler runs and how large a body it takes, before any byte
  // of the body is read (login needs a few KiB; a file upload up to server.max_body_bytes).
  const RouteOptions& route =
      opts_.route_options ? opts_.route_options(r.method, c.path) : Router::UnroutedOptions();
  c.work = route.work;
  const int64_t body_cap = opts_.route_options
                               ? std::min(route.max_body_bytes, opts_.max_body_bytes)
                               : opts_.max_body_bytes;
  if (length > body_cap) {
    Response refused = ErrorResponse(
        413,
        Error(Error::Code::kResourceExhausted,
              "request body of " + std::to_string(length) + " bytes exceeds the limit of " +
                  std::to_string(body_cap) + " bytes for " + c.method + " on this path"),
        c.request_id);
    refused.limit = "server.max_body_bytes";
    return Respond(c, std::move(refused), true);
  }
  // CORS: a preflight is answered here; an allowed origin's actual request is marked for
  // the CORS headers on its answer.
  if (const auto origin = r.Header("origin")) {
    if (r.method == Method::kOptions)
      return Respond(c, cors_.Preflight(*origin, c.request_id), length > 0);
    if (cors_.Allows(*origin)) c.cors_origin = std::string(*origin);
  }
  if (length > 0) {
    // Every buffered body is charged to one server-wide budget before it is read, so that
    // many parallel uploads cannot take the memory: past it, 503 and the body is not read.
    std::optional<BodyBudget::Charge> charge = body_budget_.TryTake(length);
    if (!charge) {
      return Respond(c,
                     ErrorResponse(503,
                                   Error(Error::Code::kUnavailable,
                                         "the server is receiving too many request bodies at "
                                         "once; retry later")
                                       .WithLimit("server.max_inflight_body_bytes", kRetryBusyS),
                                   c.request_id),
                     true);
    }
    c.body_charge = std::move(*charge);
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
  // lws stops at Content-Length, which was checked against the route's cap and charged to
  // the budget; this only guards against lws delivering more.
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

// Only the WebSocket paths upgrade (one of websockets_ serves them), and not while stopping.
// Without this, lws would upgrade any WebSocket request to protocols[0], which is this HTTP
// protocol.
int HttpServer::Impl::OnUpgrade(lws* wsi, const void* in) {
  BeginRequest(wsi);
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);
  const bool websocket =
      in != nullptr && strcasecmp(static_cast<const char*>(in), "websocket") == 0;
  if (websocket && !stop_requested_.load() && WebSocketFor(path) != nullptr) {
    return LwsWebSocket::ConfirmUpgrade(wsi, *opts_.logger, scratch_);
  }
  opts_.logger->Info("upgrade refused",
                     {{"path", ValidUtf8(LoggedPath(path))},
                      {"protocol", in != nullptr ? static_cast<const char*>(in) : ""},
                      {"request_id", IncomingOrNewRequestId(wsi)}});
  return -1;  // hang up
}

LwsWebSocket* HttpServer::Impl::WebSocketFor(std::string_view path) const {
  for (LwsWebSocket* ws : websockets_) {
    if (ws->Serves(path)) return ws;
  }
  return nullptr;
}

void HttpServer::Impl::OnEstablished(lws* wsi, Pss* pss) {
  if (pss == nullptr) return;
  if (pss->conn_id != 0) {  // the upgrade came on a keep-alive connection: its HTTP is over
    conns_.erase(pss->conn_id);
    pss->conn_id = 0;
  }
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);
  pss->ws = WebSocketFor(path);
  if (pss->ws != nullptr) pss->ws_id = pss->ws->Open(wsi);
}

// ---- connection limits (service thread) -------------------------------------------------

int HttpServer::Impl::OnAccept(const lws_filter_network_conn_args& args) {
  std::string address = PeerAddress(args.cli_addr);
  // A descriptor left here by an adoption that failed is closed by now: forget it.
  if (const auto stale = accepted_.find(args.accept_fd); stale != accepted_.end()) {
    if (--per_address_[stale->second] <= 0) per_address_.erase(stale->second);
    --open_connections_;
    accepted_.erase(stale);
  }
  if (open_connections_ >= max_connections_) {
    RefuseConnection(address, "server.max_connections");
    return -1;  // lws closes the socket
  }
  int& from_here = per_address_[address];
  if (from_here >= std::min(opts_.max_connections_per_ip, max_connections_)) {
    if (from_here == 0) per_address_.erase(address);
    RefuseConnection(address, "server.max_connections_per_ip");
    return -1;
  }
  ++from_here;
  ++open_connections_;
  accepted_.emplace(args.accept_fd, std::move(address));
  return 0;
}

void HttpServer::Impl::OnAdopted(lws* wsi) {
  const auto it = accepted_.find(lws_get_socket_fd(wsi));
  if (it == accepted_.end()) return;
  address_of_.emplace(wsi, std::move(it->second));
  accepted_.erase(it);
}

void HttpServer::Impl::OnDestroyed(const lws* wsi) {
  const auto it = address_of_.find(wsi);
  if (it == address_of_.end()) return;
  if (const auto n = per_address_.find(it->second); n != per_address_.end() && --n->second <= 0) {
    per_address_.erase(n);
  }
  --open_connections_;
  address_of_.erase(it);
}

void HttpServer::Impl::RefuseConnection(const std::string& address, std::string_view limit) {
  if (opts_.on_connection_refused) opts_.on_connection_refused(limit);
  ++refusals_unlogged_;
  // A flood of refusals makes one line a second, not one per connection.
  const SteadyClock::time_point now = SteadyClock::now();
  if (now - last_refusal_log_ < kRefusalLogInterval) return;
  last_refusal_log_ = now;
  opts_.logger->Warn("connection refused", {{"limit", std::string(limit)},
                                            {"address", address},
                                            {"open_connections", open_connections_},
                                            {"refused_since_last_line", refusals_unlogged_}});
  refusals_unlogged_ = 0;
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
