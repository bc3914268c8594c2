// The server's request and response types and the table that maps method + path to a handler.
// Nothing here knows about libwebsockets: http_server turns a wire request into a Request,
// calls Router::Handle on a worker thread, and writes the Response back. Paths are patterns
// of '/'-separated segments where "{name}" matches any one non-empty segment and lands in
// Request::params; a last segment "{name...}" matches the rest of the path (one or more
// non-empty segments, kept with their '/' separators, e.g. a file path), and "{name**}" matches
// the rest of the path as it is, empty segments and a trailing '/' included (a relayed path). An
// unknown path answers 404; a known path with another method answers 405 with an Allow header. Each
// route carries RouteOptions that the server reads on the service thread before it reads the body:
// where the handler runs (quick work, long work, or inline) and the largest body it takes. A Router
// is filled in before the server starts and is read-only afterwards, so Handle and Options may run
// on many threads at once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "body_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard::server {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions };

// "GET", "POST", ...
[[nodiscard]] std::string_view MethodName(Method method) noexcept;

using Fields = std::vector<std::pair<std::string, std::string>>;

class RequestBody;

struct Request {
  Method method = Method::kGet;
  std::string path;  // percent-decoded by libwebsockets, without the query
  Fields query;      // decoded name/value pairs, in order
  Fields headers;    // lower-case names; only the headers http_server captures
  Fields params;     // "{name}" segments of the matched route
  std::string body;  // at most server.max_body_bytes
  // Instead of `body`, on a RouteOptions::streamed_body route: the body as it arrives.
  std::shared_ptr<RequestBody> upload;
  std::string request_id;
  std::string client_address;  // the peer's IP address as lws sees it (per-address limits)

  // The first value of a header (name in lower case), query argument or path parameter.
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> Query(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> Param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. A Cache-Control or Content-Security-Policy here replaces the server's
  // API default; the security headers and X-Request-Id are always added by the server.
  Fields headers;
  // The pattern of the route that answered ("/api/v1/workspaces/{id}"), "unmatched" for the
  // router's own 404 and 405, empty for answers the server made itself. Set by Router::Handle
  // for metrics (a bounded label, unlike the raw path); never sent to the client.
  std::string route;
  // The configuration key of the limit that refused the request (Error::limit()), for the
  // codeyard_limit_refusals_total counter; empty otherwise. Never sent to the client.
  std::string limit;
  // A body made while it is sent (body_stream.hpp), instead of `body`: no Content-Length,
  // the connection closes after it. Only from routes on the worker pools (kQuick, kLong):
  // the producer runs on the handler's worker thread.
  std::shared_ptr<StreamedBody> stream;

  [[nodiscard]] static Response Json(int status, std::string body);
};

// Where a route's handler runs (docs/architecture.md, "Server threading").
enum class Work {
  // A request worker: storage and other work of a few milliseconds at most.
  kQuick,
  // The long-work pool: anything that waits on a pod (exec, runs, workspace start and stop,
  // sync). Its capacity is bounded separately; when it is full the request gets 503 at once,
  // so long work can never take the workers quick requests need.
  kLong,
  // The service thread itself, without a hand-off: only for handlers that never block and
  // take microseconds (liveness).
  kInline,
  // A read of stored state that never waits on a pod (a file's content, a page of the tree):
  // inline on the service thread when the server's storage reads are local and bounded
  // (HttpServerOptions::inline_reads: SQLite on a file, with reader connections), else a
  // request worker like kQuick. A hand-off costs two thread switches, more than such a read.
  kRead,
};

struct RouteOptions {
  Work work = Work::kQuick;
  // The largest body the route accepts, checked against Content-Length before any byte of
  // the body is read (413). Capped by server.max_body_bytes.
  int64_t max_body_bytes = kDefaultMaxBodyBytes;
  // The body is handed to the handler as it arrives (Request::upload, request_body.hpp),
  // never held whole: capped by ports.max_request_body_bytes instead of the above.
  bool streamed_body = false;

  // Enough for any JSON document of names, ids and settings.
  static constexpr int64_t kDefaultMaxBodyBytes = int64_t{64} << 10;
};

// Runs on a worker thread; may block. An Error becomes the JSON error envelope with the
// status http_errors maps its code to. Should not throw; the server answers a throw with 500
// and logs it.
using Handler = std::function<Result<Response>(const Request&)>;

class Router {
 public:
  // Registers `pattern` (starting with '/') for `method`. A HEAD request is served by the
  // GET handler of the same path, without the body.
  void Add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});

  // Replaces the options of the route registered for (method, pattern). kNotFound when there
  // is no such route (a table of options out of step with the routes).
  [[nodiscard]] Result<void> SetOptions(Method method, std::string_view pattern,
                                        RouteOptions options);

  // The options of the route that serves (method, path) (HEAD: the GET route), or
  // UnroutedOptions() when none does (its answer is a 404 or 405, or the fallback's).
  [[nodiscard]] const RouteOptions& Options(Method method, std::string_view path) const;
  [[nodiscard]] static const RouteOptions& UnroutedOptions();

  // Sets the handler for requests whose path matches no route at all (any method), e.g. the
  // browser UI's static files. Without one such requests get the JSON 404. Its answers get
  // Response::route "static", or "unmatched" when it answers 404.
  void SetFallback(Handler handler);

  // Finds the route, fills request.params, runs the handler and maps errors. Returns a
  // complete response (404, 405, or the handler's result); lets a handler's throw through.
  [[nodiscard]] Response Handle(Request request) const;

  // Every registered (method, pattern), in registration order (`codeyard-server --print-routes`).
  [[nodiscard]] std::vector<std::pair<Method, std::string>> Routes() const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };

  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace codeyard::server
