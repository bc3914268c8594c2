#include "terminal_hub.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

namespace codeyard::server {
namespace {

// The workspace is touched (a storage write) at most this often by terminal output.
constexpr std::chrono::seconds kTouchEvery{30};

}  // namespace

TerminalHub::TerminalHub(Services& services, TerminalHubOptions options,
                         std::shared_ptr<Logger> logger)
    : services_(services),
      options_(std::move(options)),
      logger_(logger ? std::move(logger) : NullLogger()) {}

TerminalHub::~TerminalHub() { Shutdown(); }

void TerminalHub::SetWake(std::function<void()> wake) {
  std::lock_guard lock(ready_mu_);
  wake_ = std::move(wake);
}

std::vector<uint64_t> TerminalHub::TakeReady() {
  std::lock_guard lock(ready_mu_);
  std::vector<uint64_t> out;
  out.swap(ready_);
  return out;
}

void TerminalHub::MarkReady(uint64_t viewer) {
  std::lock_guard lock(ready_mu_);
  const bool first = ready_.empty();
  ready_.push_back(viewer);
  if (first && wake_) wake_();  // one wake collects the whole list
}

TerminalSession::Hooks TerminalHub::HooksFor(const std::string& workspace_id) {
  struct Activity {
    std::mutex mu;
    std::chrono::steady_clock::time_point last_touch;
  };
  auto activity = std::make_shared<Activity>();
  TerminalSession::Hooks hooks;
  hooks.notify = [this](uint64_t viewer) { MarkReady(viewer); };
  hooks.on_output = [this, workspace_id, activity](std::string_view data) {
    output_bytes_.fetch_add(data.size());
    if (data.find('\n') == std::string_view::npos) return;
    services_.workspaces->SyncSoon(workspace_id);
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(activity->mu);
      if (now - activity->last_touch < kTouchEvery) return;
      activity->last_touch = now;
    }
    services_.workspaces->Touch(workspace_id);
  };
  // Set once the session exists (Start needs the hooks first).
  return hooks;
}

std::optional<terminal::Close> TerminalHub::Attach(uint64_t viewer, std::string_view workspace_id,
                                                   const terminal::Hello& hello) {
  Reap();
  auto claims = services_.accounts->VerifyAccessToken(hello.token);
  if (!claims) {
    return terminal::Close{terminal::kCloseUnauthenticated,
                           "authentication failed: " + claims.error().message()};
  }
  {
    std::lock_guard lock(mu_);
    if (closing_) return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  }
  auto pod = services_.workspaces->PodOf(claims->user_id, workspace_id);
  if (!pod) {
    if (pod.error().code() == Error::Code::kInvalidArgument) {
      return terminal::Close{terminal::kCloseNotFound, "workspace not found"};
    }
    return terminal::CloseFor(pod.error());
  }
  std::string title(workspace_id);
  if (auto ws = services_.workspaces->Get(claims->user_id, workspace_id); ws) title = ws->name;

  std::shared_ptr<TerminalSession> session;
  {
    std::lock_guard lock(mu_);
    if (closing_) return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    auto& slot = sessions_[std::string(workspace_id)];
    if (!slot || slot->ended() || slot->pod_id() != (*pod)->id()) {
      ExecSpec spec;
      spec.argv = options_.shell;
      spec.tty = true;
      spec.tty_size = hello.size;
      spec.stdin_open = true;
      spec.env["PS1"] = "\\w\\$ ";
      spec.env["COLORTERM"] = "truecolor";
      spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
      spec.kill_on_output_limit = false;
      const std::string id(workspace_id);
      TerminalSession::Hooks hooks = HooksFor(id);
      // The session is not known yet: on_end finds it by pointer through this cell.
      auto self = std::make_shared<const TerminalSession*>(nullptr);
      hooks.on_end = [this, id, self] { Ended(id, *self); };
      auto started =
          TerminalSession::Start(*pod, spec, options_.limits, std::move(hooks), logger_);
      if (!started) {
        sessions_.erase(std::string(workspace_id));
        logger_->Error("cannot start a terminal", {{"workspace_id", id},
                                                   {"error", started.error().message()}});
        return terminal::Close{terminal::kCloseInternal, started.error().message()};
      }
      *self = started->get();
      if (slot) ended_.push_back(slot);  // an old shell in a pod that is gone
      slot = std::move(*started);
      logger_->Info("terminal started", {{"workspace_id", id}, {"pod", slot->pod_id()}});
    }
    session = slot;
    viewers_[viewer] = session;
  }
  session->AddViewer(viewer, hello.readonly, hello.size, title);
  return std::nullopt;
}

void TerminalHub::Ended(const std::string& workspace_id, const TerminalSession* session) {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(workspace_id);
  if (it != sessions_.end() && it->second.get() == session) {
    ended_.push_back(it->second);
    sessions_.erase(it);
  }
  logger_->Info("terminal ended", {{"workspace_id", workspace_id}});
}

// Joins the driver threads of shells that ended (their last act was Ended()).
void TerminalHub::Reap() {
  std::vector<std::shared_ptr<TerminalSession>> done;
  {
    std::lock_guard lock(mu_);
    done.swap(ended_);
  }
  for (const auto& s : done) s->Stop();
}

std::shared_ptr<TerminalSession> TerminalHub::SessionOf(uint64_t viewer) const {
  std::lock_guard lock(mu_);
  const auto it = viewers_.find(viewer);
  return it == viewers_.end() ? nullptr : it->second;
}

std::optional<terminal::Close> TerminalHub::Receive(uint64_t viewer, std::string_view message) {
  const auto session = SessionOf(viewer);
  if (!session) return std::nullopt;
  return session->Receive(viewer, message);
}

TerminalOut TerminalHub::Next(uint64_t viewer, bool* more) {
  *more = false;
  const auto session = SessionOf(viewer);
  if (!session) return {};
  return session->Next(viewer, more);
}

void TerminalHub::Detach(uint64_t viewer) {
  std::shared_ptr<TerminalSession> session;
  {
    std::lock_guard lock(mu_);
    const auto it = viewers_.find(viewer);
    if (it == viewers_.end()) return;
    session = std::move(it->second);
    viewers_.erase(it);
  }
  session->RemoveViewer(viewer);
}

void TerminalHub::CloseAll(const terminal::Close& close) {
  std::vector<std::shared_ptr<TerminalSession>> all;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (const auto& [id, s] : viewers_) all.push_back(s);
  }
  for (const auto& s : all) s->CloseViewers(close);
}

void TerminalHub::Shutdown() {
  std::vector<std::shared_ptr<TerminalSession>> all;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& [id, s] : sessions_) all.push_back(std::move(s));
    sessions_.clear();
    for (auto& s : ended_) all.push_back(std::move(s));
    ended_.clear();
  }
  for (const auto& s : all) s->Stop();
}

std::size_t TerminalHub::viewers() const {
  std::lock_guard lock(mu_);
  return viewers_.size();
}

std::size_t TerminalHub::shells() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace codeyard::server
