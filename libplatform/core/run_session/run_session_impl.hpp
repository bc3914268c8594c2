// Private to core/run_session: RunSessions::Impl, shared by run_session.cpp (clients and the
// driver threads) and run_session_reauth.cpp (the login re-check). Threading: see
// codeyard/run_session.hpp; everything marked "under mu_" is guarded by Impl::mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/run_session.hpp"
#include "core/periodic.hpp"

namespace codeyard {
namespace run_session_internal {

struct Command {
  enum Kind { kInput, kResize, kStop } kind = kInput;
  std::string input;
  TerminalSize size;
};

}  // namespace run_session_internal

class RunSessions::Impl {
 public:
  Impl(Accounts& accounts, Workspaces& workspaces, RunSessionOptions options,
       std::shared_ptr<Logger> logger)
      : accounts_(accounts),
        workspaces_(workspaces),
        options_(options),
        logger_(logger ? std::move(logger) : NullLogger()) {
    // One thread checks the logins every reauth_interval and ends the grace of detached
    // clients when it is over (run_session_reauth.cpp).
    reauth_.Start(
        options_.reauth_interval,
        [this](bool due) {
          ExpireGrace();
          if (recheck_.exchange(false) || due) ReauthPass();
        },
        [this] { return NextGraceEnd(); });
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { reauth_.Stop(); }

  struct Run {
    std::string id;  // what a reconnect names (the first status's "run_id")
    std::string workspace_id;
    std::string user_id;
    std::string session_id;  // the login the run lives by (checked every reauth_interval)
    run_session::Plan plan;
    TerminalSize size;
    std::thread driver;
    // Under Impl::mu_:
    uint64_t client = 0;  // the connection it writes to (a reconnect moves it)
    std::vector<run_session_internal::Command> inbox;
    std::string early_input;  // typed while the compiler ran: the program's first input
    // The replay buffer: the last output and status messages (at most client_queue_bytes),
    // log.front() being message number log_first of the run.
    std::deque<std::string> log;
    std::size_t log_bytes = 0;
    uint64_t log_first = 0;
    std::string stop_reason;  // set: stop now ("stop", "replaced", "disconnected", "shutdown")
    Process* live = nullptr;
    std::optional<terminal::Close> close;  // how to close the client instead of normally
    bool ended = false;
  };

  struct Client {
    std::deque<std::string> queue;
    std::size_t queued_bytes = 0;
    std::optional<terminal::Close> close;
    std::shared_ptr<Run> run;   // reset when the run ended
    std::shared_ptr<Run> last;  // the run this client started or took over, ended or not
    // Set: the connection went away and the run waits for a reconnect until then.
    std::optional<std::chrono::steady_clock::time_point> detached_until;
    // Output sent and not yet acknowledged ('4'); only once the client acknowledges at all.
    bool acks = false;
    std::size_t unacked = 0;
  };

  std::optional<terminal::Close> Start(uint64_t client, std::string_view workspace_id,
                                       const run_session::Hello& hello);
  std::optional<terminal::Close> Receive(uint64_t client, std::string_view message);
  TerminalOut Next(uint64_t client, bool* more);
  void Detach(uint64_t client);
  void CloseAll(const terminal::Close& close);
  void Shutdown();
  std::size_t running() const;
  uint64_t revoked() const { return revoked_.load(); }

  void SetWake(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }
  std::vector<uint64_t> TakeReady() {
    std::lock_guard lock(mu_);
    std::vector<uint64_t> out;
    out.swap(ready_);
    return out;
  }

  // org20: the login re-check now, on the re-check thread (RunSessions::RecheckLogins).
  void RecheckLogins() {
    recheck_.store(true);
    reauth_.Poke();
  }

 private:
  // A run known by this id: under way, or kept for a reconnect. Under mu_.
  [[nodiscard]] bool RunIdInUseLocked(std::string_view run_id) const;
  std::optional<terminal::Close> Reattach(uint64_t client, std::string_view workspace_id,
                                          const run_session::Hello& hello);
  void Drive(const std::shared_ptr<Run>& run, WorkspaceProcess first);
  // Reads the process to its end, feeding it the inbox; returns its status.
  Result<ExitStatus> Pump(Run& run, Process& process, bool tty);
  ExecSpec CompileSpec(const Run& run) const;
  ExecSpec ProgramSpec(const Run& run) const;
  void PushLocked(uint64_t id, std::string message);
  // Output and statuses of a run: kept in its replay buffer, and queued to its client.
  void EmitLocked(Run& run, std::string message);
  void Emit(Run& run, std::string message);
  void EmitOutput(Run& run, std::string_view data);
  void CloseLocked(uint64_t id, terminal::Close close);
  void StopLocked(Run& run, std::string reason);
  void ReapLocked();
  void ReauthPass();
  // The grace of detached clients (run_session_reauth.cpp): the earliest end, and stopping the
  // runs whose grace is over.
  std::optional<std::chrono::steady_clock::time_point> NextGraceEnd() const;
  void ExpireGrace();

  Accounts& accounts_;
  Workspaces& workspaces_;
  const RunSessionOptions options_;
  const std::shared_ptr<Logger> logger_;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // a queue drained, a command came, a run ended
  std::function<void()> wake_;
  std::vector<uint64_t> ready_;
  std::map<uint64_t, Client> clients_;
  std::map<std::string, std::shared_ptr<Run>, std::less<>> by_workspace_;
  std::vector<std::shared_ptr<Run>> runs_;  // every run whose driver is not joined
  bool closing_ = false;

  std::atomic<uint64_t> revoked_{0};
  std::atomic<bool> recheck_{false};  // org20: RecheckLogins asked for a pass now
  PeriodicThread reauth_;             // last: stopped first, started once everything above is built
};

}  // namespace codeyard
