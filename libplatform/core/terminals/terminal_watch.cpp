// Terminals, the watchers' half (terminals_impl.hpp): another user's attach that the watch
// policy admits (issue 15's shared shells) joins the author's shell read-only, from any
// replica, without ever starting, keeping alive or moving the author's workspace.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "core/terminals/protocol.hpp"
#include "core/terminals/terminals_impl.hpp"

namespace codeyard {

void Terminals::Impl::SetWatchPolicy(TerminalWatchPolicy policy) {
  std::lock_guard lock(policy_mu_);
  watch_policy_ = std::move(policy);
}

Result<void> Terminals::Impl::MayWatch(std::string_view user_id,
                                       std::string_view workspace_id) const {
  TerminalWatchPolicy policy;
  {
    std::lock_guard lock(policy_mu_);
    policy = watch_policy_;
  }
  if (!policy) return Fail(Error::Code::kNotFound, "terminals: workspace not found");
  return policy(user_id, workspace_id);
}

// Another user's attach the watch policy admitted, read-only: joins the shell this process
// already holds for the workspace, or else attaches to the session in the workspace's pod
// wherever it runs (the author may be on another replica). It never opens the workspace,
// never starts a pod or a shell and never touches the lease: a watcher must not start the
// author's workspace, keep it alive or move it (it sends no input).
std::optional<terminal::Close> Terminals::Impl::AttachWatcher(uint64_t viewer,
                                                              const std::string& user_id,
                                                              const std::string& workspace_id,
                                                              const terminal::Hello& hello) {
  std::shared_ptr<TerminalSession> session;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      (void)ReleaseLocked(viewer);
      return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    }
    session = LiveLocked(workspace_id);
    if (session) {
      viewers_[viewer].session = session;
      viewers_[viewer].watcher = true;
    }
  }
  bool fresh = false;
  if (!session) {
    std::optional<terminal::Close> refused;
    session = JoinForWatchers(workspace_id, &refused);
    if (!session) {
      std::lock_guard lock(mu_);
      (void)ReleaseLocked(viewer);
      return refused;
    }
    std::lock_guard lock(mu_);
    if (closing_) {
      (void)ReleaseLocked(viewer);
      return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    }
    fresh = session->viewer_count() == 0;
    viewers_[viewer].session = session;
    viewers_[viewer].watcher = true;
  }
  logger_->Info("terminal watcher attached",
                {{"workspace_id", workspace_id}, {"user_id", user_id}, {"pod", session->pod_id()}});
  // A new attachment's first output is the pod's scrollback: the watcher gets it first.
  if (fresh) session->WaitForOutput(kReplayWait);
  session->AddViewer(viewer, /*readonly=*/true, hello.size, "shared terminal", false);
  return std::nullopt;
}

std::shared_ptr<TerminalSession> Terminals::Impl::LiveLocked(
    const std::string& workspace_id) const {
  for (const auto* map : {&sessions_, &watched_}) {
    const auto it = map->find(workspace_id);
    if (it != map->end() && !it->second->ended()) return it->second;
  }
  return nullptr;
}

std::shared_ptr<TerminalSession> Terminals::Impl::JoinForWatchers(
    const std::string& workspace_id, std::optional<terminal::Close>* refused) {
  const terminal::Close not_running{terminal::kCloseNotShared,
                                    "the author's terminal is not running: ask them to open it"};
  std::shared_ptr<std::mutex> opener;
  {
    std::lock_guard lock(mu_);
    opener = OpenerLocked(workspace_id);
  }
  // One opener per workspace, as for the owner's attach: concurrent watchers share one
  // attachment, whoever got the lock first opened it.
  std::lock_guard open_lock(*opener);
  {
    std::lock_guard lock(mu_);
    if (auto live = LiveLocked(workspace_id)) return live;
  }
  auto pod = workspaces_.RunningPod(workspace_id);
  if (!pod) {
    *refused = pod.error().code() == Error::Code::kFailedPrecondition
                   ? not_running
                   : terminal::CloseFor(pod.error());
    return nullptr;
  }
  TerminalSession::Hooks hooks;
  hooks.notify = [this](uint64_t viewer) { MarkReady(viewer); };
  // Counted, but no activity policy: the author's own attachment touches and syncs.
  hooks.on_output = [this](std::string_view data) { output_bytes_.fetch_add(data.size()); };
  auto self = std::make_shared<std::atomic<const TerminalSession*>>(nullptr);
  hooks.on_end = [this, workspace_id, self] { Ended(workspace_id, self->load()); };
  auto joined = TerminalSession::Join(*pod, options_.session_name, options_.limits,
                                      std::move(hooks), logger_);
  if (!joined) {
    const Error::Code code = joined.error().code();
    if (code == Error::Code::kNotFound || code == Error::Code::kUnimplemented ||
        code == Error::Code::kFailedPrecondition) {
      *refused = not_running;  // no shell in the pod (or a pod that keeps none)
    } else {
      logger_->Error("cannot attach a watcher to a terminal",
                     {{"workspace_id", workspace_id}, {"error", joined.error().message()}});
      *refused = terminal::CloseFor(joined.error());
    }
    return nullptr;
  }
  self->store(joined->get());
  std::shared_ptr<TerminalSession> session = *joined;
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      auto& slot = watched_[workspace_id];
      if (slot) ended_.push_back(slot);
      slot = session;
      return session;
    }
  }
  session->Stop();  // Shutdown came while the pod answered
  *refused = terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  return nullptr;
}

}  // namespace codeyard
