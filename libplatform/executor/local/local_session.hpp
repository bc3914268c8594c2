// One attachment to a pod's detachable terminal session, seen from the library: a stream
// socket to the init that carries the session protocol (pod/session_frames.hpp). Unlike
// LocalProcess, output comes through the init (it owns the terminal so the shell outlives
// this object), and destroying it only detaches. One thread at a time, but Interrupt() from
// any thread.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "executor/local/cgroup.hpp"
#include "executor/local/pod/session_frames.hpp"
#include "executor/local/process_plumbing.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local {

// kInvalidArgument for a bad name ([a-z0-9._-]{1,64}) or a spec a session cannot run: no
// tty, no argv, a relative cwd, or a wall-time limit (a session lives until its shell exits).
Result<void> CheckSessionRequest(std::string_view name, const ExecSpec& spec);
// What the init runs for a new session.
ExecRequest SessionRequest(const PodSpec& pod, const ExecSpec& spec);

class LocalSession : public Process {
 public:
  // Hands a fresh stream to the init over `control` (an "attach" message), opens or joins
  // session `name` (starting `request` when it is new) and waits for the answer. Without a
  // request it only joins: kNotFound when no session of that name runs.
  static Result<SessionAttachment> Open(int control, std::string_view name,
                                        const ExecRequest* request, const ExecSpec& spec,
                                        std::shared_ptr<Cgroup> cgroup);
  ~LocalSession() override;

  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override;
  Result<void> WriteStdin(std::string_view data) override;
  Result<void> CloseStdin() override;
  Result<void> QueueStdin(std::string_view data, std::size_t max_pending) override;
  void Interrupt() override;
  Result<void> Resize(TerminalSize size) override;
  Result<void> Signal(int signal) override;
  Result<ExitStatus> Wait() override;

 private:
  LocalSession(int stream, const ExecSpec& spec, std::shared_ptr<Cgroup> cgroup);

  // Waits up to `timeout_ms` (-1: forever) for the stream, writes what it takes of the
  // outbound queue and reads one batch of frames. False on timeout.
  Result<bool> PollOnce(int timeout_ms);
  void Take(Frame frame);
  void FlushOut();
  void QueueFrame(FrameType type, std::string_view payload);
  [[nodiscard]] bool Ended() const { return report_.has_value() || eof_; }

  int stream_;
  WakeFd wake_;
  bool interrupted_ = false;
  FrameReader reader_;
  std::string out_;  // encoded frames not yet written
  std::deque<OutputChunk> ready_;
  size_t ready_bytes_ = 0;
  std::optional<Error> refused_;  // a kError frame
  std::optional<bool> started_;   // set by kAttached
  bool eof_ = false;
  OutputCap cap_;
  std::shared_ptr<Cgroup> cgroup_;
  uint64_t oom_kills_before_ = 0;
  bool init_oom_killed_ = false;  // the init's exit said "oom_killed" (pod/session.cpp)
  std::optional<ExitReport> report_;
  std::optional<ExitStatus> final_;
};

}  // namespace codeyard::local
