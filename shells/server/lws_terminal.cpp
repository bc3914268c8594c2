#include "lws_terminal.hpp"

#include <libwebsockets.h>

namespace codeyard::server {

WsClose ToWs(terminal::Close close) { return {close.code, std::move(close.reason)}; }

WsNext ToWsNext(TerminalOut out) {
  if (auto* message = std::get_if<std::string>(&out)) return std::move(*message);
  if (auto* close = std::get_if<terminal::Close>(&out)) return ToWs(std::move(*close));
  return {};
}

TerminalSockets::TerminalSockets(Terminals& terminals, std::shared_ptr<Logger> logger)
    : SessionSockets("terminal", "terminal", "too much input before the terminal started",
                     terminals, std::move(logger)),
      terminals_(terminals) {}

std::variant<terminal::Hello, terminal::Close> TerminalSockets::ReadHello(
    const std::string& message) const {
  if (message.empty() || message.front() != terminal::kHelloStart) {
    return terminal::Close{terminal::kCloseUnauthenticated,
                           "the first message must be the hello {\"token\":...}"};
  }
  auto hello = terminal::ParseHello(message);
  if (!hello) return terminal::Close{terminal::kCloseUnauthenticated, hello.error().message()};
  return std::move(*hello);
}

std::optional<terminal::Close> TerminalSockets::Start(uint64_t id, const std::string& workspace_id,
                                                      const terminal::Hello& hello) {
  return terminals_.Attach(id, workspace_id, hello);
}

void TerminalSockets::Starting(SessionConn& c) {
  c.local.push_back(terminal::Message(terminal::kStatus, R"({"state":"starting"})"));
  lws_callback_on_writable(c.wsi);
}

}  // namespace codeyard::server
