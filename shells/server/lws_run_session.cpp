#include "lws_run_session.hpp"

#include <libwebsockets.h>

#include <variant>

#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxEarlyBytes = std::size_t{1} << 20;

WsClose ToWs(terminal::Close close) { return {close.code, std::move(close.reason)}; }

}  // namespace

RunSockets::RunSockets(RunSessions& runs, std::shared_ptr<Logger> logger)
    : runs_(runs), logger_(logger ? std::move(logger) : NullLogger()) {}

void RunSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  ws_.Bind(pool, std::move(wake));
}

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

void RunSockets::OnUnmaskedFrame(int fd) { WsGlue::CloseUnmasked(conns_, fd); }

uint64_t RunSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  std::string path;
  (void)RequestMethodAndPath(wsi, &path);
  (void)IsRunPath(path, &c.workspace_id);
  WsGlue::Open(c, wsi);
  logger_->Info("run connected",
                {{"workspace_id", ValidUtf8(c.workspace_id)}, {"request_id", c.request_id}});
  return id;
}

int RunSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return 0;
  auto message = WsGlue::Assemble(c, in, len, terminal::kMaxClientMessage,
                                  {terminal::kCloseTooBig, "a message is at most 1 MiB"});
  if (!message) return 0;
  return OnMessage(id, c, std::move(*message));
}

int RunSockets::OnMessage(uint64_t id, Conn& c, std::string message) {
  switch (c.state) {
    case State::kHello: {
      auto hello = run_session::ParseHello(message);
      if (!hello) {
        CloseWith(c, {message.starts_with('{') ? terminal::kCloseInvalidPayload
                                               : terminal::kCloseUnauthenticated,
                      hello.error().message()});
        return 0;
      }
      WsGlue::HelloDone(c);
      c.state = State::kStarting;
      const bool queued = ws_.Submit<Started>(
          done_, [this, id, workspace = c.workspace_id, hello = std::move(*hello)]() -> Started {
            return {id, runs_.Start(id, workspace, hello)};
          });
      if (!queued) CloseWith(c, {terminal::kCloseTryAgain, "the server is busy; retry later"});
      return 0;
    }
    case State::kStarting:
      c.early_bytes += message.size();
      if (c.early_bytes > kMaxEarlyBytes) {
        CloseWith(c, {terminal::kClosePolicy, "too much input before the program started"});
        return 0;
      }
      c.early.push_back(std::move(message));
      return 0;
    case State::kStarted:
      if (auto close = runs_.Receive(id, message)) CloseWith(c, std::move(*close));
      return 0;
  }
  return 0;
}

void RunSockets::OnWake() {
  for (Started& s : done_.Take()) {
    const auto it = conns_.find(s.id);
    if (it == conns_.end()) {
      runs_.Detach(s.id);  // closed while starting
      continue;
    }
    Conn& c = it->second;
    if (s.close) {
      runs_.Detach(s.id);
      CloseWith(c, std::move(*s.close));
      continue;
    }
    c.state = State::kStarted;
    std::vector<std::string> early;
    early.swap(c.early);
    c.early_bytes = 0;
    for (std::string& m : early) {
      if (c.close) break;
      if (auto close = runs_.Receive(s.id, m)) CloseWith(c, std::move(*close));
    }
    lws_callback_on_writable(c.wsi);
  }
  for (const uint64_t id : runs_.TakeReady()) {
    const auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  }
}

void RunSockets::CloseWith(Conn& c, terminal::Close close) {
  WsGlue::CloseWith(c, ToWs(std::move(close)));
}

int RunSockets::OnWriteable(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return SendClose(c, *c.close);
  if (c.state != State::kStarted) return 0;
  bool more = false;
  TerminalOut out = runs_.Next(id, &more);
  if (auto* message = std::get_if<std::string>(&out)) {
    if (ws_.Write(c, *message) != 0) return -1;
  } else if (auto* close = std::get_if<terminal::Close>(&out)) {
    return SendClose(c, ToWs(*close));
  }
  if (more) lws_callback_on_writable(c.wsi);
  return 0;
}

int RunSockets::SendClose(Conn& c, const WsClose& close) {
  const std::string reason = WsGlue::SendClose(c, close);
  logger_->Info("run closing", {{"workspace_id", ValidUtf8(c.workspace_id)},
                                {"request_id", c.request_id},
                                {"code", static_cast<int>(close.code)},
                                {"reason", ValidUtf8(reason)}});
  return -1;
}

int RunSockets::OnTimer(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  if (it->second.state == State::kHello) {
    CloseWith(it->second, {terminal::kCloseUnauthenticated, "no hello within 10 s"});
  }
  return 0;
}

void RunSockets::OnClosed(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return;
  const Conn& c = it->second;
  if (c.state == State::kStarted) runs_.Detach(id);
  logger_->Info("run disconnected", {{"workspace_id", ValidUtf8(c.workspace_id)},
                                     {"request_id", c.request_id},
                                     {"duration_ms", c.age_ms()}});
  conns_.erase(it);
}

}  // namespace codeyard::server
