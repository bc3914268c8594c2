// The login re-check of interactive runs (codeyard/run_session.hpp): one thread per
// RunSessions (a PeriodicThread) stops the runs whose login Accounts no longer accepts, and those
// whose client went away and did not reconnect within the grace.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "core/run_session/run_session_impl.hpp"
#include "core/terminals/protocol.hpp"

namespace codeyard {

// ---- the grace of detached clients ----------------------------------------------------------

std::optional<std::chrono::steady_clock::time_point> RunSessions::Impl::NextGraceEnd() const {
  std::lock_guard lock(mu_);
  std::optional<std::chrono::steady_clock::time_point> out;
  for (const auto& entry : clients_) {
    const auto& until = entry.second.detached_until;
    if (until && (!out || *until < *out)) out = until;
  }
  return out;
}

void RunSessions::Impl::ExpireGrace() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& c = it->second;
    if (!c.detached_until || *c.detached_until > now) {
      ++it;
      continue;
    }
    if (c.run) {
      logger_->Info("run stopped: nobody reconnected",
                    {{"workspace_id", c.run->workspace_id}, {"run_id", c.run->id}});
      StopLocked(*c.run, "disconnected");
    }
    it = clients_.erase(it);
  }
  changed_.notify_all();  // a driver paused on a gone client's full queue reads on
}

// ---- the login re-check -------------------------------------------------------------------

// Checking reads storage, so it runs here, never on the caller's thread. Only a refused login
// stops a run: a storage error is logged and the login checked again on the next pass (the
// run's own sync needs storage too, and a blip should not kill a program someone is typing to).
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

}  // namespace codeyard
