#include "lws_run_session.hpp"

namespace codeyard::server {

RunSockets::RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger)
    : SessionSockets("run", "run", "too much input before the program started", runs,
                     std::move(logger)),
      runs_(runs) {}

std::variant<run_session::Hello, terminal::Close> RunSockets::ReadHello(
    const std::string& message) const {
  auto hello = run_session::ParseHello(message);
  if (!hello) {
    return terminal::Close{
        message.starts_with('{') ? terminal::kCloseInvalidPayload : terminal::kCloseUnauthenticated,
        hello.error().message()};
  }
  return std::move(*hello);
}

std::optional<terminal::Close> RunSockets::Start(uint64_t id, const std::string& workspace_id,
                                                 const run_session::Hello& hello) {
  return runs_.Start(id, workspace_id, hello);
}

}  // namespace codeyard::server
