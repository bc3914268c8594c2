// The server's request line and router (shells/server/request_target.hpp, router.hpp) over
// the real route table: every route of kRouteGroups registered as the server does (over
// Services that open nothing, as `codeyard-server --print-routes`), then copied into a router
// whose handlers check what the match gave them. The input is a request line ("GET /api/v1/...
// HTTP/1.1"): parsed as the server parses it, then routed. Beyond not crashing:
// - the route the handler-side match (Router::Handle) picks is the one the service thread's
//   match (Router::Options) picked before the body was read (each route's options carry its
//   index), so no request is read under another route's body limit or thread;
// - the parameters put back into the pattern give the path again, "{name}" and "{name...}"
//   segments are non-empty, and a "{name}" holds no '/'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api.hpp"
#include "fuzz_util.hpp"
#include "request_target.hpp"
#include "route_options.hpp"
#include "router.hpp"
#include "services.hpp"

namespace {

using namespace codeyard;
using namespace codeyard::server;

[[noreturn]] void Broken(const std::string& what) { fuzz::Broken("router_fuzz", what); }

// The path `pattern` gives with `params` in place of its "{...}" segments.
std::string Rebuild(std::string_view pattern, const Request& request) {
  std::string out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    const std::size_t slash = pattern.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? pattern.size() : slash;
    std::string_view segment = pattern.substr(start, end - start);
    out += '/';
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      std::string_view name = segment.substr(1, segment.size() - 2);
      const bool rest = name.ends_with("...");
      const bool raw = name.ends_with("**");
      if (rest) name.remove_suffix(3);
      if (raw) name.remove_suffix(2);
      const auto value = request.Param(name);
      if (!value) Broken("no parameter " + std::string(name) + " for " + std::string(pattern));
      if (!raw && value->empty()) Broken("an empty parameter in " + std::string(pattern));
      if (!rest && !raw && value->find('/') != std::string_view::npos) {
        Broken("a '/' in a one-segment parameter of " + std::string(pattern));
      }
      out += *value;
    } else {
      out += segment;
    }
    start = end + 1;
  }
  return out;
}

struct Table {
  Router router;
  std::vector<std::pair<Method, std::string>> routes;
};

Table& TheTable() {
  static Table* table = [] {
    server::Services none;
    Router real;
    for (const AddRoutes add : kRouteGroups) add(real, none);
    if (!ApplyRouteOptions(real)) Broken("the route options do not apply");
    auto* t = new Table;
    t->routes = real.Routes();
    for (std::size_t i = 0; i < t->routes.size(); ++i) {
      const auto& [method, pattern] = t->routes[i];
      RouteOptions options;
      options.max_body_bytes = static_cast<int64_t>(i) + 1;  // the route's index, for the check
      t->router.Add(
          method, pattern,
          [i, t](const Request& request) -> Result<Response> {
            const std::string& route = t->routes[i].second;
            const std::string rebuilt = Rebuild(route, request);
            if (rebuilt != request.path) {
              Broken("'" + request.path + "' matched " + route + " but gives back '" + rebuilt +
                     "'");
            }
            Response response;
            response.status = 200;
            response.body = std::to_string(i);
            return response;
          },
          options);
    }
    return t;
  }();
  return *table;
}

bool ToMethod(std::string_view name, Method& method) {
  static constexpr std::pair<std::string_view, Method> kNames[] = {
      {"GET", Method::kGet},        {"HEAD", Method::kHead},   {"POST", Method::kPost},
      {"PUT", Method::kPut},        {"PATCH", Method::kPatch}, {"DELETE", Method::kDelete},
      {"OPTIONS", Method::kOptions}};
  for (const auto& [n, m] : kNames) {
    if (n == name) {
      method = m;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Table& table = TheTable();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  (void)LoggedPath(line);
  (void)PercentDecode(line, true);
  auto target = ParseRequestLine(line);
  if (!target) return 0;
  (void)LoggedPath(target->path);
  Request request;
  if (!ToMethod(target->method, request.method)) return 0;
  request.path = target->path;
  request.query = target->query;
  if (request.path.empty() || request.path.front() != '/') return 0;
  const RouteOptions& options = table.router.Options(request.method, request.path);
  const Response response = table.router.Handle(request);
  if (response.status == 200 && !response.body.empty()) {
    const auto index = std::strtoll(response.body.c_str(), nullptr, 10);
    if (options.max_body_bytes != index + 1) {
      Broken("'" + request.path + "': Handle took route " + std::to_string(index) +
             ", Options route " + std::to_string(options.max_body_bytes - 1));
    }
  } else if (&options != &Router::UnroutedOptions() && response.route == "unmatched" &&
             response.status == 404) {
    Broken("'" + request.path + "': Options found a route, Handle none");
  }
  return 0;
}
