#include "lws_run_session.hpp"

#include <libwebsockets.h>

#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;

}  // namespace

RunSockets::RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger)
    : LwsWebSocketOf({"run",
                      WsGlue::Frames::kBinary,
                      terminal::kMaxClientMessage,
                      {terminal::kCloseTooBig, "a message is at most 1 MiB"}},
                     std::move(logger)),
      runs_(runs) {}

bool RunSockets::IsRunPath(std::string_view path, std::string* workspace_id) {
  constexpr std::string_view kPrefix = "/api/v1/workspaces/";
  constexpr std::string_view kSuffix = "/run";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return false;
  if (path.size() < kPrefix.size() + kSuffix.size() + 1) return false;
  const std::string_view id =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (id.find('/') != std::string_view::npos) return false;
  if (workspace_id != nullptr) *workspace_id = std::string(id);
  return true;
}

void RunSockets::Opened(uint64_t /*id*/, RunConn& c, const RequestLine& line) {
  (void)IsRunPath(line.path, &c.workspace_id);
  logger().Info("run connected",
                {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
}

void RunSockets::OnMessage(uint64_t id, RunConn& c, std::string message) {
  switch (c.state) {
    case RunState::kHello: {
      auto hello = run_session::ParseHello(message);
      if (!hello) {
        CloseWith(c, {message.starts_with('{') ? terminal::kCloseInvalidPayload
                                               : terminal::kCloseUnauthenticated,
                      hello.error().message()});
        return;
      }
      WsGlue::HelloDone(c);
      c.state = RunState::kStarting;
      const bool queued = ws().Submit<Started>(
          done_, [this, id, workspace = c.workspace_id, hello = std::move(*hello)]() -> Started {
            return {id, runs_.Start(id, workspace, hello)};
          });
      if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
      return;
    }
    case RunState::kStarting:
      c.early_bytes += message.size();
      if (c.early_bytes > kMaxEarlyBytes) {
        CloseWith(c, {terminal::kClosePolicy, "too much input before the program started"});
        return;
      }
      c.early.push_back(std::move(message));
      return;
    case RunState::kStarted:
      if (auto close = runs_.Receive(id, message)) CloseWith(c, std::move(*close));
      return;
  }
}

void RunSockets::OnWake(bool /*stopping*/) {
  for (Started& s : done_.Take()) {
    RunConn* c = Find(s.id);
    if (c == nullptr) {
      runs_.Detach(s.id);  // closed while starting
      continue;
    }
    if (s.close) {
      runs_.Detach(s.id);
      CloseWith(*c, std::move(*s.close));
      continue;
    }
    c->state = RunState::kStarted;
    std::vector<std::string> early;
    early.swap(c->early);
    c->early_bytes = 0;
    for (std::string& m : early) {
      if (c->close) break;
      if (auto close = runs_.Receive(s.id, m)) CloseWith(*c, std::move(*close));
    }
    lws_callback_on_writable(c->wsi);
  }
  for (const uint64_t id : runs_.TakeReady()) Writable(id);
}

void RunSockets::CloseWith(RunConn& c, terminal::Close close) {
  WsGlue::CloseWith(c, ToWs(std::move(close)));
}

WsNext RunSockets::After(uint64_t id, RunConn& c, bool* more) {
  if (c.state != RunState::kStarted) return {};
  return ToWsNext(runs_.Next(id, more));
}

void RunSockets::Closed(uint64_t id, RunConn& c) {
  if (c.state == RunState::kStarted) runs_.Detach(id);
}

std::optional<LogField> RunSockets::Subject(const RunConn& c) const {
  return LogField("workspace_id", ValidUtf8(c.workspace_id));
}

}  // namespace codeyard::server
