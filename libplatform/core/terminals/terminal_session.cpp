#include "core/terminals/terminal_session.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <boost/json/object.hpp>

#include "core/terminals/protocol.hpp"

namespace codeyard {
namespace {

// A safety net for executors without Process::Interrupt: the driver looks at its inbox at
// least this often.
constexpr std::chrono::milliseconds kReadTimeout{30000};
constexpr std::size_t kMaxPingPayload = 1024;
// How long a shell that did not exit by itself waits to see its pod gone before its viewers
// are told it merely exited (Finish), and how often it looks.
constexpr std::chrono::milliseconds kPodGoneGrace{1000};
constexpr std::chrono::milliseconds kPodGonePoll{5};
// Full reset (RIS): a viewer about to get the scrollback starts from a clean screen.
constexpr std::string_view kTerminalReset =
    "\x1b"
    "c";

std::string HexByte(unsigned char c) {
  char buf[8];
  (void)std::snprintf(buf, sizeof(buf), "0x%02x", c);
  return buf;
}

}  // namespace

Result<std::shared_ptr<TerminalSession>> TerminalSession::Start(std::shared_ptr<Pod> pod,
                                                                std::string_view name,
                                                                const ExecSpec& spec,
                                                                TerminalLimits limits, Hooks hooks,
                                                                std::shared_ptr<Logger> logger) {
  std::unique_ptr<Process> process;
  bool detachable = true;
  bool started = true;
  auto attached = pod->OpenSession(name, spec);
  if (attached) {
    process = std::move(attached->process);
    started = attached->started;
  } else if (attached.error().code() == Error::Code::kUnimplemented) {
    // A pod without sessions: the shell is this process's child and ends with it.
    detachable = false;
    auto exec = pod->Exec(spec);
    if (!exec) return Fail(exec.error().WithContext("cannot start the shell"));
    process = std::move(*exec);
  } else {
    return Fail(attached.error().WithContext("cannot attach to the shell"));
  }
  std::shared_ptr<TerminalSession> session(
      new TerminalSession(std::move(pod), std::move(process), detachable, started, limits,
                          std::move(hooks), std::move(logger)));
  session->driver_ = std::thread([s = session.get()] { s->Drive(); });
  return session;
}

Result<std::shared_ptr<TerminalSession>> TerminalSession::Join(std::shared_ptr<Pod> pod,
                                                               std::string_view name,
                                                               TerminalLimits limits, Hooks hooks,
                                                               std::shared_ptr<Logger> logger) {
  auto attached = pod->JoinSession(name);
  if (!attached) return Fail(attached.error());
  std::shared_ptr<TerminalSession> session(
      new TerminalSession(std::move(pod), std::move(attached->process), /*detachable=*/true,
                          /*started=*/false, limits, std::move(hooks), std::move(logger)));
  session->driver_ = std::thread([s = session.get()] { s->Drive(); });
  return session;
}

TerminalSession::TerminalSession(std::shared_ptr<Pod> pod, std::unique_ptr<Process> process,
                                 bool detachable, bool started, TerminalLimits limits, Hooks hooks,
                                 std::shared_ptr<Logger> logger)
    : pod_(std::move(pod)),
      pod_id_(pod_->id()),
      process_(std::move(process)),
      detachable_(detachable),
      started_(started),
      limits_(limits),
      hooks_(std::move(hooks)),
      logger_(logger ? std::move(logger) : NullLogger()),
      live_(process_.get()) {}

TerminalSession::~TerminalSession() {
  if (driver_.joinable() && driver_.get_id() == std::this_thread::get_id()) {
    driver_.detach();  // the driver dropped the last reference itself; it ends right after
    return;
  }
  Stop();
}

void TerminalSession::Release() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (live_ != nullptr) live_->Interrupt();
  }
  wake_.notify_all();
}

void TerminalSession::Stop() {
  Release();
  if (driver_.joinable() && driver_.get_id() != std::this_thread::get_id()) driver_.join();
}

bool TerminalSession::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

std::size_t TerminalSession::viewer_count() const {
  std::lock_guard lock(mu_);
  return viewers_.size();
}

// ---- the driver thread ------------------------------------------------------------------

void TerminalSession::Drive() {
  bool lost = false;  // reading failed: the shell may still run
  for (;;) {
    std::vector<Command> commands;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !inbox_.empty() || !PausedLocked(); });
      stopping = stopping_;
      commands.swap(inbox_);
      inbox_bytes_ = 0;
    }
    if (stopping) {
      // What a viewer typed or a hang-up it sent is often the last thing before it goes,
      // and its going may let go of this attachment first: the shell still gets them, in
      // order. Queued here; letting go of the attachment sends what is left while the pod takes
      // it, within bounds (LocalSession's destructor), so this thread may linger after
      // Release (Terminals joins it later, never on an attach).
      for (const Command& c : commands) {
        if (c.hangup) {
          (void)process_->Signal(SIGHUP);
        } else if (!c.resize) {
          QueueInput(c.input);
        }
      }
      break;
    }
    for (Command& c : commands) {
      if (c.resize) {
        (void)process_->Resize(c.size);
        continue;
      }
      if (c.hangup) {
        (void)process_->Signal(SIGHUP);  // bash passes it on to its jobs, then exits
        continue;
      }
      QueueInput(c.input);
    }
    {
      std::lock_guard lock(mu_);
      if (PausedLocked() || !inbox_.empty()) continue;
    }
    auto chunk = process_->ReadOutput(kReadTimeout);
    if (!chunk) {
      const Error::Code code = chunk.error().code();
      if (code == Error::Code::kAborted || code == Error::Code::kDeadlineExceeded) continue;
      logger_->Error("terminal read failed",
                     {{"pod", pod_id_}, {"error", chunk.error().message()}});
      lost = true;
      break;
    }
    const std::optional<OutputChunk>& piece = *chunk;
    if (!piece) break;  // the shell ended
    const std::string& data = piece->data;
    Deliver(data);
    if (hooks_.on_output) hooks_.on_output(data);
  }

  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
  }
  // Letting go of a pod session detaches (destroying the attachment): the shell keeps running
  // in the pod, and waiting for it would wait for its exit.
  // A lost attachment is let go as well: the shell may run on, and Wait would wait for it.
  const bool detach = (stopping || lost) && detachable_;
  if (stopping && !detachable_) (void)process_->Signal(SIGKILL);
  Result<ExitStatus> status = ExitStatus{};
  if (!detach) status = process_->Wait();
  {
    std::lock_guard lock(mu_);
    live_ = nullptr;
  }
  process_.reset();
  if (!stopping && detach) {
    CloseViewers({terminal::kCloseInternal, "lost the connection to the shell: reconnect"});
  } else if (!stopping) {
    Finish(status);
  }
  {
    std::lock_guard lock(mu_);
    ended_ = true;
  }
  output_.notify_all();
  if (hooks_.on_end) hooks_.on_end();
}

void TerminalSession::QueueInput(const std::string& input) {
  auto queued = process_->QueueStdin(input, limits_.max_pending_input);
  if (!queued && queued.error().code() == Error::Code::kResourceExhausted) {
    logger_->Warn("terminal input dropped: the shell is not reading it",
                  {{"pod", pod_id_}, {"bytes", static_cast<int64_t>(input.size())}});
  }
}

// Paused while every viewer still being written to is full. Viewers behind (whose output is
// dropped until they resync) and closing ones do not hold the shell back.
bool TerminalSession::PausedLocked() const {
  bool any = false;
  // No structured bindings over viewers_ in this file: clang-tidy 16's optional-access
  // dataflow crashes on them (with Viewer::close an optional).
  for (const auto& entry : viewers_) {
    const Viewer& v = entry.second;
    if (v.close || v.behind) continue;
    any = true;
    if (v.queued_bytes < limits_.viewer_queue_bytes) return false;
  }
  return any;
}

void TerminalSession::WaitForOutput(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  output_.wait_for(lock, timeout, [&] { return got_output_ || ended_ || stopping_; });
}

void TerminalSession::Deliver(const std::string& data) {
  std::lock_guard lock(mu_);
  if (!got_output_) {
    got_output_ = true;
    output_.notify_all();
  }
  scrollback_ += data;
  if (scrollback_.size() > limits_.scrollback_bytes) {
    std::size_t cut = scrollback_.size() - limits_.scrollback_bytes;
    // Start the kept part at a line when one begins soon after the cut.
    const std::size_t nl = scrollback_.find('\n', cut);
    if (nl != std::string::npos && nl - cut < 1024) cut = nl + 1;
    scrollback_.erase(0, cut);
  }
  const bool all_full = PausedLocked();
  for (auto& entry : viewers_) {
    const uint64_t id = entry.first;
    Viewer& v = entry.second;
    if (v.close || v.behind) continue;
    if (!all_full && v.queued_bytes >= limits_.viewer_queue_bytes) {
      v.behind = true;  // dropped from here on; resynced once its queue drains
      continue;
    }
    PushOutputLocked(id, v, data);
  }
}

bool TerminalSession::EndedWithPod(const Result<ExitStatus>& status) const {
  if (pod_->Info().phase == PodPhase::kTerminated) return true;
  if (status && status->exit_code) return false;  // it exited by itself: `exit`
  // Killed, or its stream lost: maybe by the pod's teardown, whose two ends (the shell's
  // stream, the pod's control socket) can arrive in either order, on another replica too. The
  // pod going away wins, so a stopped workspace closes every viewer with 1001, whichever end
  // came first; a shell killed in a pod that lives on (kill -9 $$) costs its viewers this wait.
  const auto deadline = std::chrono::steady_clock::now() + kPodGoneGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPodGonePoll);
    if (pod_->Info().phase == PodPhase::kTerminated) return true;
  }
  return false;
}

void TerminalSession::Finish(const Result<ExitStatus>& status) {
  // The shell ends by itself (exit), or with its pod (the workspace stopped or was deleted).
  const bool pod_gone = EndedWithPod(status);
  boost::json::object s;
  s["state"] = pod_gone ? "stopped" : "exited";
  if (status) {
    const ExitStatus& ended = *status;
    if (ended.exit_code) s["exit_code"] = *ended.exit_code;
    if (ended.signal) s["signal"] = *ended.signal;
  }
  const std::string message = terminal::StatusMessage(s);
  const terminal::Close close =
      pod_gone ? terminal::Close{terminal::kCloseGoingAway, "the workspace stopped"}
               : terminal::Close{terminal::kCloseNormal, "the shell exited"};
  std::lock_guard lock(mu_);
  for (auto& entry : viewers_) {
    const uint64_t id = entry.first;
    Viewer& v = entry.second;
    if (v.close) continue;
    PushLocked(id, v, message);
    v.close = close;
  }
}

// ---- viewers ----------------------------------------------------------------------------

void TerminalSession::PushLocked(uint64_t id, Viewer& v, std::string message) {
  const bool was_empty = v.queue.empty();
  v.queued_bytes += message.size();
  v.queue.push_back(std::move(message));
  if (was_empty && hooks_.notify) hooks_.notify(id);
}

void TerminalSession::PushOutputLocked(uint64_t id, Viewer& v, std::string_view data) {
  const bool was_empty = v.queue.empty();
  while (!data.empty()) {
    // Coalesce into the last queued output message while it has room (it is not in flight:
    // Next() hands out only what it pops).
    if (!v.queue.empty() && v.queue.back().front() == terminal::kOutput &&
        v.queue.back().size() - 1 < limits_.max_frame_bytes) {
      std::string& back = v.queue.back();
      const std::size_t n = std::min(limits_.max_frame_bytes - (back.size() - 1), data.size());
      back.append(data.substr(0, n));
      v.queued_bytes += n;
      data.remove_prefix(n);
      continue;
    }
    const std::size_t n = std::min(limits_.max_frame_bytes, data.size());
    v.queue.push_back(terminal::Message(terminal::kOutput, data.substr(0, n)));
    v.queued_bytes += n + 1;
    data.remove_prefix(n);
  }
  if (was_empty && !v.queue.empty() && hooks_.notify) hooks_.notify(id);
}

void TerminalSession::ReplayLocked(uint64_t id, Viewer& v) {
  v.behind = false;
  std::string replay(kTerminalReset);
  replay += scrollback_;
  PushOutputLocked(id, v, replay);
}

void TerminalSession::AddViewer(uint64_t viewer, bool readonly, TerminalSize size,
                                std::string_view title, bool started) {
  std::lock_guard lock(mu_);
  Viewer& v = viewers_[viewer];
  v.readonly = readonly;
  PushLocked(viewer, v, terminal::Message(terminal::kTitle, title));
  ReplayLocked(viewer, v);
  boost::json::object status;
  status["state"] = "running";
  status["readonly"] = readonly;
  status["viewers"] = viewers_.size();
  status["started"] = started;
  PushLocked(viewer, v, terminal::StatusMessage(status));
  if (!readonly) CommandLocked(Command{true, {}, size});
}

void TerminalSession::RemoveViewer(uint64_t viewer) {
  {
    std::lock_guard lock(mu_);
    viewers_.erase(viewer);
  }
  wake_.notify_all();  // the rest may no longer all be behind
}

void TerminalSession::CommandLocked(Command command) {
  if (!command.resize) {
    if (inbox_bytes_ + command.input.size() > limits_.max_pending_input) {
      logger_->Warn("terminal input dropped: too much is waiting",
                    {{"pod", pod_id_}, {"bytes", static_cast<int64_t>(command.input.size())}});
      return;
    }
    inbox_bytes_ += command.input.size();
  }
  inbox_.push_back(std::move(command));
  if (live_ != nullptr) live_->Interrupt();
  wake_.notify_all();
}

std::optional<terminal::Close> TerminalSession::Receive(uint64_t viewer, std::string_view message) {
  if (message.empty()) {
    return terminal::Close{terminal::kCloseUnsupported, "empty message"};
  }
  const char type = message.front();
  const std::string_view payload = message.substr(1);
  std::lock_guard lock(mu_);
  const auto it = viewers_.find(viewer);
  if (it == viewers_.end()) return std::nullopt;
  Viewer& v = it->second;
  switch (type) {
    case terminal::kInput:
      if (!v.readonly && !payload.empty()) {
        if (hooks_.on_input) hooks_.on_input();
        CommandLocked(Command{false, std::string(payload), {}});
      }
      return std::nullopt;
    case terminal::kResize: {
      auto size = terminal::ParseResize(payload);
      if (!size) return terminal::Close{terminal::kCloseInvalidPayload, size.error().message()};
      if (!v.readonly) CommandLocked(Command{true, {}, *size});
      return std::nullopt;
    }
    case terminal::kHangUp:
      if (!v.readonly) CommandLocked(Command{false, {}, {}, true});
      return std::nullopt;
    case terminal::kPing:
      if (payload.size() > kMaxPingPayload) {
        return terminal::Close{terminal::kClosePolicy, "a ping payload is at most 1024 bytes"};
      }
      PushLocked(viewer, v, terminal::Message(terminal::kPong, payload));
      return std::nullopt;
    case terminal::kHelloStart:
      return terminal::Close{terminal::kClosePolicy, "the hello was already received"};
    default:
      return terminal::Close{terminal::kCloseUnsupported,
                             "unknown message type " + HexByte(static_cast<unsigned char>(type))};
  }
}

TerminalOut TerminalSession::Next(uint64_t viewer, bool* more) {
  *more = false;
  bool unpaused = false;
  TerminalOut out;
  {
    std::lock_guard lock(mu_);
    const auto it = viewers_.find(viewer);
    if (it == viewers_.end()) return out;
    Viewer& v = it->second;
    if (!v.queue.empty()) {
      const bool was_full = v.queued_bytes >= limits_.viewer_queue_bytes;
      std::string message = std::move(v.queue.front());
      v.queue.pop_front();
      v.queued_bytes -= message.size();
      unpaused = was_full && v.queued_bytes < limits_.viewer_queue_bytes;
      if (v.queue.empty() && v.behind && !v.close) ReplayLocked(viewer, v);
      *more = !v.queue.empty() || v.close.has_value();
      out = std::move(message);
    } else if (v.close) {
      out = *v.close;
    }
  }
  if (unpaused) wake_.notify_all();
  return out;
}

void TerminalSession::CloseViewer(uint64_t viewer, const terminal::Close& close) {
  {
    std::lock_guard lock(mu_);
    const auto it = viewers_.find(viewer);
    if (it == viewers_.end() || it->second.close) return;
    Viewer& v = it->second;
    v.queue.clear();
    v.queued_bytes = 0;
    v.close = close;
    if (hooks_.notify) hooks_.notify(viewer);
  }
  wake_.notify_all();  // a full viewer closing may unpause the shell
}

void TerminalSession::CloseViewers(const terminal::Close& close) {
  std::lock_guard lock(mu_);
  for (auto& entry : viewers_) {
    const uint64_t id = entry.first;
    Viewer& v = entry.second;
    if (v.close) continue;
    // Output still queued is dropped: the close goes out next, even to a viewer that reads
    // slowly (it would hold a shutdown up to its drain deadline otherwise).
    v.queue.clear();
    v.queued_bytes = 0;
    v.close = close;
    if (hooks_.notify) hooks_.notify(id);
  }
}

}  // namespace codeyard
