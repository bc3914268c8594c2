// The login re-check of interactive runs (codeyard/run_session.hpp): one thread per
// RunSessions stops the runs whose login Accounts no longer accepts.
#include <string>
#include <vector>

#include "core/run_session/run_session_impl.hpp"
#include "core/terminals/protocol.hpp"

namespace codeyard {

// ---- the login re-check -------------------------------------------------------------------

// Checking reads storage, so it runs here, never on the caller's thread. Only a refused login
// stops a run: a storage error is logged and the login checked again on the next pass (the
// run's own sync needs storage too, and a blip should not kill a program someone is typing to).
void RunSessions::Impl::ReauthLoop() {
  std::unique_lock lock(reauth_mu_);
  while (!reauth_stop_) {
    reauth_wake_.wait_for(lock, options_.reauth_interval, [&] { return reauth_stop_; });
    if (reauth_stop_) break;
    lock.unlock();
    ReauthPass();
    lock.lock();
  }
}

void RunSessions::Impl::ReauthPass() {
  std::vector<std::shared_ptr<Run>> checks;
  {
    std::lock_guard lock(mu_);
    for (const auto& run : runs_) {
      if (!run->ended && run->stop_reason.empty()) checks.push_back(run);
    }
  }
  for (const auto& run : checks) {
    auto login = accounts_.CheckLogin(run->user_id, run->session_id);
    if (login) continue;
    if (login.error().code() != Error::Code::kUnauthenticated) {
      logger_->Warn("run login check failed",
                    {{"workspace_id", run->workspace_id}, {"error", login.error().message()}});
      continue;
    }
    logger_->Info("run stopped: login revoked",
                  {{"workspace_id", run->workspace_id}, {"error", login.error().message()}});
    std::lock_guard lock(mu_);
    if (run->ended || !run->stop_reason.empty()) continue;
    run->close =
        terminal::Close{terminal::kCloseUnauthenticated, "session revoked: log in again to run"};
    revoked_.fetch_add(1);
    StopLocked(*run, "revoked");
  }
}

void RunSessions::Impl::StopReauth() {
  {
    std::lock_guard lock(reauth_mu_);
    reauth_stop_ = true;
  }
  reauth_wake_.notify_all();
  if (reauth_.joinable() && reauth_.get_id() != std::this_thread::get_id()) reauth_.join();
}

}  // namespace codeyard
