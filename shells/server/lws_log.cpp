#include "lws_log.hpp"

#include <libwebsockets.h>

#include <mutex>
#include <string_view>
#include <utility>

namespace codeyard::server {
namespace {

struct Route {
  std::mutex mu;
  std::shared_ptr<Logger> logger;
  int quiet = 0;
};

Route& TheRoute() {
  static Route route;  // lws's hook is process-wide; see the header
  return route;
}

void Emit(int level, const char* line) {
  std::string_view text(line == nullptr ? "" : line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  Route& route = TheRoute();
  std::shared_ptr<Logger> logger;
  LogLevel ours = (level & LLL_ERR) != 0 ? LogLevel::kError : LogLevel::kWarn;
  // lws logs a request whose headers overflow its buffer as an error; a client caused it, the
  // server is fine, so it is a warning here (docs/api.md, "Security").
  if (text.starts_with("Ran out of header data space")) ours = LogLevel::kWarn;
  {
    std::lock_guard lock(route.mu);
    logger = route.logger;
    if (route.quiet > 0) ours = LogLevel::kDebug;
  }
  if (logger) logger->Log(ours, "libwebsockets", {{"detail", text}});
}

}  // namespace

LwsLogRoute::LwsLogRoute(std::shared_ptr<Logger> logger) {
  Route& route = TheRoute();
  {
    std::lock_guard lock(route.mu);
    previous_ = std::exchange(route.logger, std::move(logger));
  }
  lws_set_log_level(LLL_ERR | LLL_WARN, &Emit);
}

LwsLogRoute::~LwsLogRoute() {
  Route& route = TheRoute();
  std::lock_guard lock(route.mu);
  route.logger = std::move(previous_);
}

LwsLogRoute::Quiet::Quiet() {
  Route& route = TheRoute();
  std::lock_guard lock(route.mu);
  ++route.quiet;
}

LwsLogRoute::Quiet::~Quiet() {
  Route& route = TheRoute();
  std::lock_guard lock(route.mu);
  --route.quiet;
}

}  // namespace codeyard::server
