// One stream to `codeyard-pod agent` seen as frames (agent_protocol.hpp): a reader thread
// cuts what the stream brings into frames and queues them; any thread takes them with a
// deadline. The queue is bounded (kMaxQueued bytes): past it the reader stops reading, so a
// caller that stops taking output stops the agent and, through its pipes, the process, as
// an unread pipe would. Sends are whole frames under a lock, so two threads never interleave bytes.
// Destroying the channel shuts the stream down (the agent reads its end: it kills what it
// ran, or detaches) and joins the reader.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "codeyard/backend/agent_pod.hpp"
#include "executor/local/pod/agent_protocol.hpp"

namespace codeyard::agent {

using local::Frame;
using local::FrameType;
using Clock = std::chrono::steady_clock;

class FrameChannel {
 public:
  static constexpr size_t kMaxQueued = size_t{4} << 20;

  // Runs `[binary, "agent"]` through `opener`.
  static Result<std::unique_ptr<FrameChannel>> Open(const StreamOpener& opener,
                                                    const AgentPodOptions& options);
  FrameChannel(std::unique_ptr<PortStream> stream, std::chrono::milliseconds write_timeout);
  FrameChannel(const FrameChannel&) = delete;
  FrameChannel& operator=(const FrameChannel&) = delete;
  ~FrameChannel();

  // Sends `payload` as frames of `type` (cut at the frame limit; one empty frame for "").
  [[nodiscard]] Result<void> Send(FrameType type, std::string_view payload);
  // Bytes as they are (a session's own frames).
  [[nodiscard]] Result<void> SendRaw(std::string_view bytes);

  // The next frame. nullopt once the stream ended (error() says why, if it broke);
  // kDeadlineExceeded past `deadline`; kAborted once `*interrupt` is set (and Wake called).
  [[nodiscard]] Result<std::optional<Frame>> Next(std::optional<Clock::time_point> deadline,
                                                  std::atomic<bool>* interrupt = nullptr);
  // Input bytes the agent has passed on so far (its kTaken frames, which Next never returns).
  [[nodiscard]] uint64_t taken() const;
  // Waits until taken() reaches `at_least`: kAborted once the stream ended first or
  // `*interrupt` is set (and Wake called).
  [[nodiscard]] Result<void> AwaitTaken(uint64_t at_least, std::atomic<bool>* interrupt);
  // Wakes a Next waiting on another thread (to see its interrupt flag).
  void Wake();
  [[nodiscard]] std::optional<Error> error() const;
  // Ends both directions now.
  void Shutdown();

 private:
  void ReadLoop();

  std::unique_ptr<PortStream> stream_;
  std::chrono::milliseconds write_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> frames_;
  size_t queued_ = 0;  // payload bytes in frames_
  uint64_t taken_ = 0;
  bool shut_ = false;  // Shutdown: the reader stops waiting for room
  bool ended_ = false;
  std::optional<Error> error_;
  std::mutex write_mu_;
  std::thread reader_;
};

// The first answer to an open: kAttached's JSON, or the kError's error.
Result<boost::json::object> AwaitAttached(FrameChannel& channel, Clock::time_point deadline);

}  // namespace codeyard::agent
