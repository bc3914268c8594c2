#include "router.hpp"

#include "codeyard/audit.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr const char* kUnmatchedRoute = "unmatched";
constexpr const char* kFallbackRoute = "static";  // the fallback answered (UI files)

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "{name...}": the rest of the path, one or more non-empty segments joined by '/'.
bool IsRest(std::string_view segment) {
  return IsParam(segment) && segment.size() > 5 && segment.substr(segment.size() - 4) == "...}";
}

// "{name**}": the rest of the path after the '/' before it, whatever it is: empty, with empty
// segments or a trailing '/' (a relayed path, api_ports.cpp, whose slashes the program reads).
bool IsRaw(std::string_view segment) {
  return IsParam(segment) && segment.size() > 5 && segment.substr(segment.size() - 3) == "**}";
}

// The same match as Matches without building anything: the service thread asks it for every
// request before reading its body.
bool MatchesPath(const std::vector<std::string>& pattern, std::string_view path) {
  const bool rest = !pattern.empty() && IsRest(pattern.back());
  const bool raw = !pattern.empty() && IsRaw(pattern.back());
  std::size_t start = 1;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (start > path.size()) return false;
    if (raw && i + 1 == pattern.size()) return true;
    if (rest && i + 1 == pattern.size()) {
      // One or more non-empty segments remain.
      if (start == path.size()) return false;
      for (std::size_t k = start; k <= path.size(); ++k) {
        const bool boundary = k == path.size() || path[k] == '/';
        if (boundary && (k == start || path[k - 1] == '/')) return false;
      }
      return true;
    }
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(start, end - start);
    if (IsParam(pattern[i]) ? segment.empty() : segment != pattern[i]) return false;
    start = end + 1;
  }
  return start == path.size() + 1;
}

// True if `path` fits the route's segments; collects "{name}" values into `params`.
bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
             Fields* params) {
  const bool rest = !pattern.empty() && IsRest(pattern.back());
  const bool raw = !pattern.empty() && IsRaw(pattern.back());
  if (rest || raw ? path.size() < pattern.size() : pattern.size() != path.size()) return false;
  Fields found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (raw && i + 1 == pattern.size()) {
      std::string tail;
      for (std::size_t k = i; k < path.size(); ++k) {
        if (k > i) tail += '/';
        tail.append(path[k]);
      }
      found.emplace_back(pattern[i].substr(1, pattern[i].size() - 4), std::move(tail));
      break;
    }
    if (rest && i + 1 == pattern.size()) {
      std::string tail;
      for (std::size_t k = i; k < path.size(); ++k) {
        if (path[k].empty()) return false;
        if (k > i) tail += '/';
        tail.append(path[k]);
      }
      found.emplace_back(pattern[i].substr(1, pattern[i].size() - 5), std::move(tail));
    } else if (IsParam(pattern[i])) {
      if (path[i].empty()) return false;
      found.emplace_back(pattern[i].substr(1, pattern[i].size() - 2), std::string(path[i]));
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

std::optional<std::string_view> Find(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view MethodName(Method method) noexcept {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
  }
  return "GET";
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  return Find(headers, name);
}
std::optional<std::string_view> Request::Query(std::string_view name) const {
  return Find(query, name);
}
std::optional<std::string_view> Request::Param(std::string_view name) const {
  return Find(params, name);
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void Router::Add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  std::vector<std::string> segments;
  for (const std::string_view s : Split(pattern)) segments.emplace_back(s);
  routes_.push_back(
      Route{method, std::string(pattern), std::move(segments), std::move(handler), options});
}

Result<void> Router::SetOptions(Method method, std::string_view pattern, RouteOptions options) {
  for (Route& route : routes_) {
    if (route.method == method && route.pattern == pattern) {
      route.options = options;
      return {};
    }
  }
  return Fail(Error::Code::kNotFound, "no route " + std::string(MethodName(method)) + " " +
                                          std::string(pattern) + " to set options on");
}

const RouteOptions& Router::UnroutedOptions() {
  static const RouteOptions kUnrouted{};
  return kUnrouted;
}

const RouteOptions& Router::Options(Method method, std::string_view path) const {
  const Method wanted = method == Method::kHead ? Method::kGet : method;
  if (path.empty() || path.front() != '/') return UnroutedOptions();
  for (const Route& route : routes_) {
    if (route.method == wanted && MatchesPath(route.segments, path)) return route.options;
  }
  return UnroutedOptions();
}

std::vector<std::pair<Method, std::string>> Router::Routes() const {
  std::vector<std::pair<Method, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

void Router::SetFallback(Handler handler) { fallback_ = std::move(handler); }

Response Router::Handle(Request request) const {
  const std::vector<std::string_view> path = Split(request.path);
  const Method wanted = request.method == Method::kHead ? Method::kGet : request.method;
  const Route* match = nullptr;
  std::string allow;
  for (const Route& route : routes_) {
    if (!Matches(route.segments, path, nullptr)) continue;
    if (route.method == wanted && match == nullptr) match = &route;
    const std::string_view name = MethodName(route.method);
    if (allow.find(name) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow += name;
    }
  }
  if (match == nullptr && allow.empty() && fallback_) {
    Result<Response> result = fallback_(request);
    Response r = result ? std::move(*result) : ErrorResponse(result.error(), request.request_id);
    r.route = r.status == 404 ? kUnmatchedRoute : kFallbackRoute;
    return r;
  }
  if (match == nullptr && allow.empty()) {
    Response r = ErrorResponse(Error(Error::Code::kNotFound, "no such endpoint: " + request.path),
                               request.request_id);
    r.route = kUnmatchedRoute;
    return r;
  }
  if (match == nullptr) {
    Response r = ErrorResponse(
        405,
        Error(Error::Code::kInvalidArgument, "method " + std::string(MethodName(request.method)) +
                                                 " is not allowed on " + request.path),
        request.request_id);
    r.headers.emplace_back("Allow", allow);
    r.route = kUnmatchedRoute;
    return r;
  }
  (void)Matches(match->segments, path, &request.params);
  // admin20: audit records appended while the handler runs carry its request id and address.
  const AuditScope audit_scope({request.request_id, request.client_address});
  Result<Response> result = match->handler(request);
  Response out = result ? std::move(*result) : ErrorResponse(result.error(), request.request_id);
  out.route = match->pattern;
  return out;
}

}  // namespace codeyard::server
