// One workspace's shell as seen by this process: an attachment to the pod's terminal session
// (Pod::OpenSession), or on a pod without sessions a process started with Pod::Exec, shared
// by every viewer this process serves. A driver thread owns the Process (which is driven by
// one thread at a time): it takes viewers' input and resizes from an inbox, queues input
// without blocking, reads output, keeps the last 64 KiB as scrollback and appends the output
// to each viewer's bounded queue, coalescing it into frames.
//
// Scrollback: a pod session replays its own ring as the attachment's first output, so the
// local copy starts empty and mirrors the pod's from there; it serves viewers that join this
// attachment later and resyncs (below), and goes with the attachment. An Exec shell has only
// the local copy.
//
// Flow control: while the queue of every viewer being written to is full, the driver stops
// reading the terminal, so the shell blocks on its writes and nothing piles up. When only
// some are full, the others keep going: the full ones fall "behind", their output is dropped,
// and once their queue drains they get a reset and the scrollback again (a resync), the same
// as a reconnect. With no viewer at all an Exec shell keeps running and its output goes
// only to the scrollback, so a reconnect finds the same shell; a pod session is let go
// instead (Release) and the next viewer attaches again.
//
// Viewers are written to by the caller's service thread via Next(); `notify(viewer)` is
// called (from any thread, possibly under the session's lock, so it must only queue and
// wake) whenever a viewer has something new to write.
#pragma once

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
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/log.hpp"
#include "codeyard/terminals.hpp"

namespace codeyard {

class TerminalSession {
 public:
  struct Hooks {
    std::function<void(uint64_t viewer)> notify;
    // Called on the driver thread with every piece of output (Terminals counts it and applies
    // the activity policy: touch the workspace, ask for a sync).
    std::function<void(std::string_view)> on_output;
    // Called with a writing viewer's input (under the session's lock: it must only record).
    std::function<void()> on_input;
    // Called on the driver thread as its last act (the shell ended, Release() or Stop()).
    std::function<void()> on_end;
  };

  // Attaches to the pod's session `name`, starting it with `spec` (a terminal exec) when none
  // runs; on a pod without sessions (kUnimplemented) starts `spec` with Exec. Then starts the
  // driver thread.
  [[nodiscard]] static Result<std::shared_ptr<TerminalSession>> Start(
      std::shared_ptr<Pod> pod, std::string_view name, const ExecSpec& spec, TerminalLimits limits,
      Hooks hooks, std::shared_ptr<Logger> logger);

  // Attaches to the pod's session `name` only if it runs (Pod::JoinSession): never starts a
  // shell, nor falls back to Exec. kNotFound when no such session runs, kUnimplemented on a
  // pod without sessions. For watchers, who only read.
  [[nodiscard]] static Result<std::shared_ptr<TerminalSession>> Join(
      std::shared_ptr<Pod> pod, std::string_view name, TerminalLimits limits, Hooks hooks,
      std::shared_ptr<Logger> logger);

  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;
  ~TerminalSession();  // Stop()

  // Adds a viewer: it gets `title`, the scrollback (after a terminal reset) and a running
  // status with `started` (whether this viewer's attach started the shell). A writing
  // viewer's size becomes the terminal's (the last resize wins).
  void AddViewer(uint64_t viewer, bool readonly, TerminalSize size, std::string_view title,
                 bool started);
  void RemoveViewer(uint64_t viewer);

  // One message from a viewer (type byte first, not the hello). Returns the close to send
  // for a message that breaks the protocol. Read-only viewers' input and resizes are
  // ignored.
  [[nodiscard]] std::optional<terminal::Close> Receive(uint64_t viewer, std::string_view message);

  // The next thing to write to `viewer`; *more tells whether more is queued after it.
  [[nodiscard]] TerminalOut Next(uint64_t viewer, bool* more);

  // Makes `close` the next message of every viewer (what was queued is dropped).
  void CloseViewers(const terminal::Close& close);
  // The same for one viewer.
  void CloseViewer(uint64_t viewer, const terminal::Close& close);

  // Waits until the shell has written something (a resumed session's replay comes first),
  // it ended, or `timeout` passed, so that the first viewer of a resumed shell gets its
  // scrollback before the running status, as from a shell of this process.
  void WaitForOutput(std::chrono::milliseconds timeout);

  // Asks the driver to let go without waiting for it: a pod session is detached (its shell
  // keeps running in the pod), an Exec shell is killed. on_end follows on the driver thread.
  void Release();
  // Release() and joins the driver. Idempotent.
  void Stop();

  [[nodiscard]] const std::string& pod_id() const { return pod_id_; }
  // True when the shell lives in the pod (a session), false for an Exec fallback.
  [[nodiscard]] bool detachable() const { return detachable_; }
  // True when Start started the shell, false when it attached to one already running.
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] bool ended() const;
  [[nodiscard]] std::size_t viewer_count() const;

 private:
  struct Viewer {
    bool readonly = false;
    std::deque<std::string> queue;
    std::size_t queued_bytes = 0;
    bool behind = false;  // output was dropped; resync when the queue drains
    std::optional<terminal::Close> close;
  };
  struct Command {
    bool resize = false;
    std::string input;
    TerminalSize size;
    bool hangup = false;  // SIGHUP to the shell: a client closed this terminal
  };

  TerminalSession(std::shared_ptr<Pod> pod, std::unique_ptr<Process> process, bool detachable,
                  bool started, TerminalLimits limits, Hooks hooks, std::shared_ptr<Logger> logger);

  void Drive();
  // Process::QueueStdin, warning when the shell has more waiting than max_pending_input.
  void QueueInput(const std::string& input);
  void Deliver(const std::string& data);
  // True when the shell ended because its pod went away (see kPodGoneGrace).
  [[nodiscard]] bool EndedWithPod(const Result<ExitStatus>& status) const;
  void Finish(const Result<ExitStatus>& status);
  bool PausedLocked() const;
  void PushLocked(uint64_t id, Viewer& v, std::string message);
  void PushOutputLocked(uint64_t id, Viewer& v, std::string_view data);
  void ReplayLocked(uint64_t id, Viewer& v);
  void CommandLocked(Command command);

  const std::shared_ptr<Pod> pod_;  // kept alive while the shell runs in it
  const std::string pod_id_;
  std::unique_ptr<Process> process_;  // driver thread only
  const bool detachable_;
  const bool started_;
  const TerminalLimits limits_;
  const Hooks hooks_;
  const std::shared_ptr<Logger> logger_;

  mutable std::mutex mu_;
  std::condition_variable wake_;    // the driver waits here while paused
  std::condition_variable output_;  // WaitForOutput waits here
  bool got_output_ = false;
  std::map<uint64_t, Viewer> viewers_;
  Process* live_;  // process_ while it exists, for Interrupt() from other threads
  std::vector<Command> inbox_;
  std::size_t inbox_bytes_ = 0;
  std::string scrollback_;
  bool stopping_ = false;
  bool ended_ = false;
  std::thread driver_;
};

}  // namespace codeyard
