// The attach protocol of a pod's detachable terminal sessions: one byte stream per
// attachment, in both directions a sequence of frames [type: 1 byte][length: 4 bytes, big
// endian][payload]. It asks nothing of its transport but ordered bytes, so the local backend
// runs it over a unix stream socket handed to the init, and a backend that reaches its pods
// only through an exec API (Kubernetes) can carry the same bytes over that stream.
//
// Client to pod: kOpen first (JSON {"name","exec":ExecRequest}, or {"name","join":true} to
// attach only to a running session, kNotFound when none runs), then any of kInput (raw
// bytes for the shell), kResize (JSON {"rows","cols"}), kSignal (JSON {"signal"}).
// Pod to client: kAttached (JSON {"started","pid"}) or kError (an ErrorMessage) answers
// kOpen; then kOutput (raw bytes: the scrollback first, then live output), kGap (JSON
// {"skipped":N}: the attachment fell behind, N bytes meant for it were dropped and the
// scrollback follows again) and finally kExit (an ExitReport), after which the pod closes
// the stream. Closing the stream from the client side detaches; the shell keeps running.
// Plain functions and a value type; no threads, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codeyard::local {

enum class FrameType : char {
  kOpen = 'o',
  kInput = 'i',
  kResize = 'r',
  kSignal = 's',
  kAttached = 'a',
  kError = 'e',
  kOutput = 'd',
  kGap = 'g',
  kExit = 'x',
  // The agent's frames (agent_protocol.hpp) share this format and add these two.
  kStderr = 'E',  // an exec's stderr
  kEnd = 'z',     // nothing more comes this way (stdin closed, a port half-closed, a body ended)
  kTaken = 't',   // an exec's input bytes the agent passed on (decimal count): room again
};

inline constexpr size_t kFrameHeader = 5;
// Larger frames are a protocol error; output and input are cut into pieces this size.
inline constexpr size_t kMaxFramePayload = size_t{64} * 1024;

struct Frame {
  FrameType type = FrameType::kOutput;
  std::string payload;
};

// Appends one frame (payload at most kMaxFramePayload) to `out`.
void AppendFrame(std::string& out, FrameType type, std::string_view payload);

// Cuts a byte stream into frames.
class FrameReader {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole frame, nullopt when more bytes are needed. Sets broken() (and returns
  // nullopt from then on) on a frame longer than kMaxFramePayload.
  std::optional<Frame> Next();
  [[nodiscard]] bool broken() const { return broken_; }
  [[nodiscard]] size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool broken_ = false;
};

// A session name: 1-64 characters of [a-z0-9._-].
[[nodiscard]] bool ValidSessionName(std::string_view name);

}  // namespace codeyard::local
