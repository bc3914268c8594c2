// The libwebsockets glue of the server: one service thread owns the lws context and makes every
// lws call (creation, service, writes, destruction); worker pools run the request handlers,
// which may block: quick ones on the request workers, long ones (exec, runs, pod starts) on a
// separate bounded long-work pool so that they can never take every worker (RouteOptions).
// A request flows
//   service thread: LWS_CALLBACK_HTTP (+ HTTP_BODY ...) -> Request -> WorkerPool::TrySubmit
//   worker:         handler(Request) -> Response -> completion queue -> lws_cancel_service()
//   service thread: EVENT_WAIT_CANCELLED -> lws_callback_on_writable -> HTTP_WRITEABLE writes
//                   the headers, then one body chunk per callback -> access log record.
// Connections are known to workers only by a numeric id, so a response for a connection that
// closed meanwhile is dropped instead of touching a freed wsi. The server sets its own
// security headers (lws's "best practices" option is off: its CSP breaks xterm.js), answers
// CORS preflights, caps URLs, bodies (per route and in total) and connections (in total and
// per address), and cuts off slow clients (docs/api.md, "Security"; docs/security/server.md).
// Start, Stop and the destructor may be called from any thread but the service thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/log.hpp"
#include "router.hpp"

namespace codeyard {

class PortRelay;
class Accounts;
class Events;
class LanguageServers;
}  // namespace codeyard

namespace codeyard::server {

// One finished (or abandoned) HTTP transaction, for metrics. The views live only during the
// on_request_done call.
struct RequestDone {
  std::string_view method;  // "GET", ..., or "UNKNOWN"
  // Response::route: the matched pattern, "unmatched" (404/405 from the router), or "server"
  // for answers the server made before any route ran (411, 413, 501, 503, a handler's throw,
  // and 499 when the client left before the answer).
  std::string_view route;
  int status = 0;
  std::string_view limit;  // Response::limit: the limit that refused it, or empty
  double seconds = 0;      // from the request line to the last byte written (or the close)
  bool aborted = false;    // the connection closed before the response was complete
};

}  // namespace codeyard::server
namespace codeyard {
class Terminals;
class RunSessions;
}  // namespace codeyard
namespace codeyard::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";     // an IP literal, a host name, "0.0.0.0" or "::"
  int port = 8080;                    // 0 lets the kernel choose (see HttpServer::port)
  int64_t max_body_bytes = 16 << 20;  // no route takes more (RouteOptions::max_body_bytes)
  // ports.max_request_body_bytes: the largest body of a RouteOptions::streamed_body route
  // (a preview upload), which is passed on as it arrives instead of held.
  int64_t max_streamed_body_bytes = int64_t{256} << 20;
  // Bytes of request bodies buffered at once over all requests, reserved from Content-Length
  // before a body is read; a body that does not fit gets 503 with Retry-After.
  int64_t max_inflight_body_bytes = int64_t{256} << 20;
  // Quick handlers block on storage for milliseconds, so there are more workers than cores.
  int worker_threads = 16;
  std::size_t max_queued_requests = 256;  // beyond this, quick requests get 503
  // Threads of the long-work pool (Work::kLong routes and terminal attaches); a long request
  // finding them all busy gets 503 with Retry-After at once.
  int long_work_threads = 64;
  // Where a request's handler runs and its largest body, asked on the service thread before
  // the body is read. Unset: every route is quick and takes up to max_body_bytes.
  std::function<const RouteOptions&(Method, std::string_view path)> route_options;
  // Whether Work::kRead routes may run inline on the service thread: 0 = never, else the
  // number of storage reader connections. Only when storage reads are local and never wait on
  // a writer (SQLite on a file, with reader connections): a read then takes microseconds,
  // less than the two thread switches of a hand-off. A read runs inline only while fewer
  // tasks run in the pools than this, so that it finds a reader free. Never with PostgreSQL,
  // whose reads wait on the network.
  int inline_reads = 0;
  // Open connections (HTTP and terminals) in total and from one IP address; more are closed
  // as soon as they are accepted, logged and counted. max_connections is also held below the
  // process's descriptor limit (RLIMIT_NOFILE) minus a reserve for storage and pods.
  int max_connections = 10000;
  int max_connections_per_ip = 256;
  int handler_timeout_seconds = 60;                // a connection waiting longer is closed
  std::chrono::milliseconds drain_timeout{10000};  // Stop waits this long for open requests
  // Slow or silent clients (see docs/api.md, "Security"): a connection is closed when it sits
  // idle between requests, or takes to send its request line and headers, longer than
  // idle_timeout_seconds; when its body has not fully arrived request_timeout_seconds after
  // the headers; and when it takes nothing of a response for request_timeout_seconds.
  // A connection's request line and headers must also arrive within header_timeout_seconds
  // (when shorter): idle connections that never complete a request are dropped quickly.
  int idle_timeout_seconds = 30;
  int header_timeout_seconds = 10;
  int request_timeout_seconds = 60;
  std::vector<std::string> cors_origins;  // exact origins allowed to call cross-origin
  int64_t hsts_max_age_seconds = 0;       // Strict-Transport-Security on every answer; 0 = off
  std::shared_ptr<Logger> logger;
  // Runs on a worker thread for every well-formed request; returns the full response.
  std::function<Response(Request)> handler;
  // Serves the terminal WebSocket (/api/v1/workspaces/{id}/terminal) when set; must outlive
  // the server. Stop() closes its connections with 1001 before the drain.
  Terminals* terminals = nullptr;
  // Serves the events WebSocket (/api/v1/events) when both are set; they must outlive the
  // server. Tokens are verified again every events_reauth_interval; Stop() closes with 1001.
  Events* events = nullptr;
  Accounts* accounts = nullptr;
  std::chrono::seconds events_reauth_interval{5};
  // Serves the run WebSocket (/api/v1/workspaces/{id}/run, the IDE's Run) when set with
  // terminals; must outlive the server. Stop() closes its connections with 1001.
  RunSessions* run_sessions = nullptr;
  // Serves the language-server WebSocket (/api/v1/workspaces/{id}/lsp, lws_lsp.hpp) when set
  // with `accounts`; must outlive the server. Stop() closes its connections with 1001.
  LanguageServers* language_servers = nullptr;
  // Serves the preview relay's WebSockets (/api/v1/previews/{ticket}/..., lws_relay.hpp) when
  // set; must outlive the server. Stop() closes its connections with 1001.
  PortRelay* port_relay = nullptr;
  // Optional. Runs on the service thread once per request, where the access-log line is
  // written; must be quick and must not block (metrics counters).
  std::function<void(const RequestDone&)> on_request_done;
  // Optional. Runs on the service thread for every connection refused at accept, with the
  // configuration key of the limit ("server.max_connections_per_ip"); must be quick.
  std::function<void(std::string_view limit)> on_connection_refused;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop()

  // Binds and starts serving; returns once the socket accepts connections. Errors:
  // kUnavailable "cannot listen on HOST:PORT: address already in use" (or the OS's reason),
  // kInvalidArgument for a host that does not resolve, kInternal if lws cannot start.
  [[nodiscard]] Result<void> Start();

  // Stops accepting new requests (they get 503) and terminals, asks every terminal to close
  // (1001), waits up to drain_timeout for requests in flight and terminals to close, closes
  // every connection and joins the threads. Idempotent.
  void Stop();

  // False once the service loop has ended, on Stop or because lws failed.
  [[nodiscard]] bool serving() const noexcept;

  // The port actually bound (differs from options.port when that was 0).
  [[nodiscard]] int port() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard::server
