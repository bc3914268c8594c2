// The init's detachable terminal sessions (session_frames.hpp has the protocol). A session
// is a shell on a pseudo-terminal the init owns, a ring of its last kScrollbackBytes of
// output, and any number of attachments (up to kMaxAttachments), each a byte-stream
// connection. Output passes through the init here, unlike an exec's, because the terminal
// must outlive every client.
//
// Flow control and bounds, so that neither a flooding shell nor a slow client grows the
// init, and no client holds the shell for long. Output goes into the fixed ring and into
// each attachment's queue. While an attachment's queue has no room for another read, the
// init stops reading the PTY (the shell blocks in write, as on a slow terminal), so a viewer
// that keeps up on average loses nothing; an attachment that stays without room for
// kHoldMs while another keeps up is skipped forward (its queued output dropped, a kGap frame
// and the ring sent once it has drained) and holds nothing back from then until it has caught
// up. When every attachment is stalled the shell waits for them, as on one slow terminal. With no
// attachment the PTY is always drained: a detached shell never waits. Input waiting for a
// shell that does not read is capped at kPendingInputBytes; past it the init stops reading
// that session's attachments until the shell catches up.
//
// Part of the init's single-threaded event loop: every method returns without blocking.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "executor/local/pod/seccomp_filter.hpp"
#include "executor/local/pod/session_frames.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

inline constexpr size_t kScrollbackBytes = size_t{64} * 1024;
inline constexpr size_t kAttachmentQueueBytes = size_t{128} * 1024;
inline constexpr int64_t kHoldMs = 1000;
inline constexpr size_t kPendingInputBytes = size_t{64} * 1024;
inline constexpr size_t kMaxSessions = 8;
inline constexpr size_t kMaxAttachments = 16;  // per session

// The last `capacity` bytes written.
class Ring {
 public:
  explicit Ring(size_t capacity) : capacity_(capacity) {}
  void Append(std::string_view bytes);
  [[nodiscard]] std::string Contents() const;
  [[nodiscard]] size_t size() const { return full_ ? capacity_ : head_; }

 private:
  size_t capacity_;
  std::string data_;  // grows to capacity_, then is overwritten in place
  size_t head_ = 0;   // where the next byte goes
  bool full_ = false;
};

class SessionTable {
 public:
  // epoll keys from this base up belong to the table (exec ids stay far below it).
  static constexpr uint64_t kKeyBase = uint64_t{1} << 62;  // the hold timer's key
  static constexpr uint64_t kKeyEnd = kKeyBase * 2;
  [[nodiscard]] static bool Owns(uint64_t key) { return key >= kKeyBase && key < kKeyEnd; }

  explicit SessionTable(const ChildFilter& filter) : filter_(filter) {}
  // Makes the hold timer and watches it in `epoll`.
  [[nodiscard]] Result<void> Start(int epoll);

  // A new attachment's stream (a "attach" control message); the first frame must be kOpen.
  void Attach(UniqueFd stream);
  void OnEvent(uint64_t key, uint32_t events);
  // True if `pid` was a session's shell (its attachments get the exit; the name is free).
  bool OnReaped(pid_t pid, int wait_status, const rusage& usage);

 private:
  struct Session {
    std::string name;
    pid_t pid = 0;
    UniqueFd master;
    bool master_open = true;  // false once the PTY reported EOF or EIO
    uint32_t master_interest = 0;
    bool held = false;      // an attachment without room: the PTY is not read meanwhile
    bool can_skip = false;  // some attachment keeps up: a stalled one may be skipped
    bool draining = false;  // the shell ended: its last output is read past any holder
    Ring scrollback{kScrollbackBytes};
    std::string pending_input;
    int64_t start_ms = 0;
    std::optional<int64_t> cpu_limit_ms;
    // The pod's OOM kills when the shell started (PodOomKills), if the init can read them:
    // the exit says "oom_killed" when the shell died of SIGKILL and the count rose since.
    std::optional<uint64_t> oom_kills_at_start;
    std::set<uint64_t> attachments;
  };
  struct Pending {
    FrameType type = FrameType::kOutput;
    std::string bytes;  // the encoded frame
    size_t payload = 0;
  };
  struct Attachment {
    UniqueFd stream;
    uint64_t session = 0;  // 0 until kOpen attached it, and again once the shell ended
    bool opened = false;
    bool closing = false;  // the session ended: flush, then hang up
    FrameReader reader;
    std::deque<Pending> queue;  // frames not yet written, the first maybe in part
    size_t written = 0;         // bytes of queue.front() already written
    size_t queued_output = 0;   // output payload bytes in `queue`
    // Set while the attachment is behind: output bytes dropped for it since. Once its queue
    // has no output left it gets a kGap frame and the scrollback, and live output again.
    std::optional<size_t> skipped;
    uint32_t interest = 0;      // the epoll events registered now
    int64_t full_since_ms = 0;  // when it last ran out of room; 0 while it has room
    bool gone = false;          // its other end closed: only what it sent is read (Detached)
  };

  void OnMaster(uint64_t key, Session& session, uint32_t events);
  void OnAttachment(uint64_t key, Attachment& attachment, uint32_t events);
  void HandleFrame(uint64_t key, Attachment& attachment, const Frame& frame);
  void Open(uint64_t key, Attachment& attachment, std::string_view payload);
  void ReadOutput(uint64_t key, Session& session, size_t budget);
  void Broadcast(Session& session, FrameType type, const std::string& payload);
  static void Queue(Attachment& attachment, FrameType type, std::string_view payload);
  // Queues a kGap (if the attachment was behind) and the scrollback.
  static void Resync(Attachment& attachment, const Session& session);
  void Fail(uint64_t key, Attachment& attachment, const Error& error);
  // Writes what the socket takes; false if the attachment was dropped.
  bool Flush(uint64_t key, Attachment& attachment);
  void FlushInput(Session& session);
  void UpdateAttachments(const Session& session);
  void UpdateInterest(uint64_t key, Attachment& attachment);
  void UpdateMaster(uint64_t key, Session& session);
  void SetInterest(int fd, uint64_t key, uint32_t& current, uint32_t wanted);
  void Drop(uint64_t key);
  // The other end closed while this side wrote: takes what it sent before it went (input
  // typed just before the last viewer left, a hang-up), then drops the attachment.
  void Detached(uint64_t key);
  // Recomputes which attachments hold the session's PTY, skips those past kHoldMs and
  // re-arms the timer.
  void UpdateHold(uint64_t key, Session& session);
  static void SkipForward(Attachment& attachment, size_t also_skipped);
  void OnTimer();
  void ArmTimer();
  [[nodiscard]] bool InputPaused(const Attachment& attachment) const;

  const ChildFilter& filter_;
  int epoll_ = -1;
  UniqueFd timer_;
  uint64_t next_key_ = kKeyBase + 1;
  std::map<uint64_t, Session> sessions_;        // by the key of its PTY master
  std::map<uint64_t, Attachment> attachments_;  // by the key of its stream
  std::map<std::string, uint64_t, std::less<>> by_name_;
};

}  // namespace codeyard::local::pod
