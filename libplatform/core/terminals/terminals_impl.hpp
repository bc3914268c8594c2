// The inside of Terminals (codeyard/terminals.hpp), shared by its two halves: terminals.cpp
// (viewers, caps, the owner's attach, the token re-check) and terminal_watch.cpp (watchers:
// the watch policy and read-only attachments to another user's shell). Not a public
// interface. Threads: mu_ guards the maps of sessions, viewers and counts; an opener mutex
// per workspace serializes opening its attachments, and is held while the pod answers, never
// mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "codeyard/terminals.hpp"
#include "core/periodic.hpp"
#include "core/terminals/terminal_session.hpp"

namespace codeyard {

// How long the first viewer of a resumed shell waits for the pod's replay (it is the
// attachment's first output, already there when the pod answered).
inline constexpr std::chrono::seconds kReplayWait{2};

class Terminals::Impl {
 public:
  Impl(Accounts& accounts, Workspaces& workspaces, TerminalOptions options,
       std::shared_ptr<Logger> logger);
  ~Impl() { Shutdown(); }

  void SetWake(std::function<void()> wake);
  void SetWatchPolicy(TerminalWatchPolicy policy);
  std::vector<uint64_t> TakeReady();
  std::optional<terminal::Close> Attach(uint64_t viewer, std::string_view workspace_id,
                                        const terminal::Hello& hello);
  std::optional<terminal::Close> Receive(uint64_t viewer, std::string_view message);
  TerminalOut Next(uint64_t viewer, bool* more);
  void Detach(uint64_t viewer);
  void CloseAll(const terminal::Close& close);
  void Shutdown();
  std::size_t viewers() const;
  std::size_t shells() const;

  std::atomic<uint64_t> output_bytes_{0};
  std::atomic<uint64_t> refused_per_terminal_{0};
  std::atomic<uint64_t> refused_per_user_{0};
  std::atomic<uint64_t> reauth_closed_{0};

  // org20: the re-check pass now (Terminals::RecheckLogins).
  void RecheckLogins() { reauth_.Poke(); }

 private:
  struct ViewerEntry {
    std::shared_ptr<TerminalSession> session;  // null while attaching (a reserved slot)
    std::string user_id;
    std::string workspace_id;
    std::string token;
    bool watcher = false;  // another user's, admitted by the watch policy: read-only
  };

  std::optional<terminal::Close> AttachWatcher(uint64_t viewer, const std::string& user_id,
                                               const std::string& workspace_id,
                                               const terminal::Hello& hello);
  // A read-only attachment of this process to the workspace's shell in its running pod,
  // wherever the author's viewers are (nullptr with the close to send when there is none).
  std::shared_ptr<TerminalSession> JoinForWatchers(const std::string& workspace_id,
                                                   std::optional<terminal::Close>* refused);
  // The live shell this process holds for a workspace: its own, else a watchers' one.
  std::shared_ptr<TerminalSession> LiveLocked(const std::string& workspace_id) const;
  std::shared_ptr<std::mutex> OpenerLocked(const std::string& workspace_id);
  Result<void> MayWatch(std::string_view user_id, std::string_view workspace_id) const;
  std::optional<terminal::Close> ReserveLocked(uint64_t viewer, const std::string& user_id,
                                               std::string_view workspace_id,
                                               const std::string& token);
  // Frees the viewer's slot; returns true when it was the workspace's last one here.
  bool ReleaseLocked(uint64_t viewer);
  void ReauthPass();
  std::shared_ptr<TerminalSession> SessionOf(uint64_t viewer) const;
  void MarkReady(uint64_t viewer);
  void Ended(const std::string& workspace_id, const TerminalSession* session);
  void Reap();
  TerminalSession::Hooks HooksFor(const std::string& workspace_id);

  Accounts& accounts_;
  Workspaces& workspaces_;
  const TerminalOptions options_;
  const std::shared_ptr<Logger> logger_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<TerminalSession>, std::less<>> sessions_;
  // Attachments opened for watchers only (JoinForWatchers): they never write to the shell
  // and have no activity hooks, so they neither keep the workspace alive nor take its lease.
  // An owner's attach never reuses one; it opens its own in sessions_.
  std::map<std::string, std::shared_ptr<TerminalSession>, std::less<>> watched_;
  std::unordered_map<uint64_t, ViewerEntry> viewers_;
  std::unordered_map<std::string, std::size_t> per_user_;       // viewers (and reservations)
  std::unordered_map<std::string, std::size_t> per_workspace_;  // likewise, per terminal
  std::vector<std::shared_ptr<TerminalSession>> ended_;         // to join
  // One per workspace with viewers or attaches here (dropped with its last slot, when no
  // attach can hold it): serializes opening its attachment.
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> openers_;
  bool closing_ = false;

  std::mutex ready_mu_;
  std::vector<uint64_t> ready_;
  std::function<void()> wake_;

  mutable std::mutex policy_mu_;
  TerminalWatchPolicy watch_policy_;

  PeriodicThread reauth_;  // last: stopped first; started once everything above exists
};

}  // namespace codeyard
