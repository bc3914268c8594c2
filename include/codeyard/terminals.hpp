// Terminals: the interactive shell of each workspace and the connections watching it, without
// any networking. There is one shell per workspace; every connection to it (a *viewer*, some
// read-only) shares it, gets its scrollback on arrival and its output after, and a reconnect
// finds the same shell. The shell is a named session in the workspace's pod
// (Pod::OpenSession("terminal", ...)): it lives in the pod, not in this process, so several
// processes (server replicas) serve viewers of the same shell, each through its own
// attachment, and a restart of one only drops its connections. A pod without sessions falls
// back to Pod::Exec, whose shell then ends with this object.
//
// The rules live here: viewer caps per terminal and per user, a periodic re-check of every
// viewer's access token, flow control (a bounded queue per viewer; the shell is paused while
// every viewer is full, a viewer that falls behind is resynced), and the activity policy
// (output that ends a line touches the workspace, at most every `touch_every`, and asks for
// a debounced sync, so files made in the terminal reach storage).
//
// The wire format is the terminal WebSocket's (docs/api.md, "Terminal WebSocket"): messages
// are strings whose first byte is their type; a transport only frames them.
//
// Threading: every method is thread-safe. Attach may block (it opens the pod): call it from
// a worker thread. Receive, Next and Detach never block on the pod and are meant for a
// network service thread. The wake function is called from any thread, possibly under an
// internal lock, so it must only queue and wake; TakeReady then lists the viewers with
// something new to write.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/backend/executor.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/log.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard {
namespace terminal {

// Message types (the first byte).
inline constexpr char kInput = '0';   // client: input bytes
inline constexpr char kResize = '1';  // client: {"cols":c,"rows":r}
inline constexpr char kPing = '2';    // client: payload echoed in a pong
inline constexpr char kHangUp = '3';  // client: end the shell (SIGHUP), e.g. its tab closed
inline constexpr char kHelloStart = '{';
inline constexpr char kOutput = '0';  // server: output bytes
inline constexpr char kTitle = '1';   // server: the workspace's name
inline constexpr char kPong = '2';
inline constexpr char kStatus = '3';  // server: status JSON

// Close codes: the RFC 6455 ones, and 4xxx for the application (like HTTP statuses).
inline constexpr uint16_t kCloseNormal = 1000;           // the shell exited
inline constexpr uint16_t kCloseGoingAway = 1001;        // shutting down, or the pod stopped
inline constexpr uint16_t kCloseProtocolError = 1002;    // an unmasked client frame
inline constexpr uint16_t kCloseUnsupported = 1003;      // unknown message type
inline constexpr uint16_t kCloseInvalidPayload = 1007;   // malformed JSON in a message
inline constexpr uint16_t kClosePolicy = 1008;           // a protocol rule was broken
inline constexpr uint16_t kCloseTooBig = 1009;           // a message over the size cap
inline constexpr uint16_t kCloseInternal = 1011;         // the shell or pod failed
inline constexpr uint16_t kCloseTryAgain = 1013;         // busy
inline constexpr uint16_t kCloseUnauthenticated = 4001;  // no, bad or expired token
inline constexpr uint16_t kCloseNotFound = 4004;         // no such workspace (or not yours)
// A watcher (see Terminals::SetWatchPolicy) whose right to watch ended: sharing turned off,
// or the review left in_review or was reassigned. Also when the author's shell is not running
// (the workspace is stopped, or its pod has no shell): the watcher never starts one.
inline constexpr uint16_t kCloseNotShared = 4003;
inline constexpr uint16_t kCloseLimit = 4029;  // a running limit or a viewer cap

// The largest message a client may send (a paste is split by clients beyond this).
inline constexpr std::size_t kMaxClientMessage = std::size_t{1} << 20;

struct Close {
  uint16_t code = kCloseNormal;
  std::string reason;  // at most 123 bytes on the wire; a transport cuts longer ones
};

// The first client message: {"token":"...","cols":c,"rows":r,"readonly":false}.
struct Hello {
  std::string token;
  TerminalSize size;
  bool readonly = false;
  // Which of the workspace's terminals (1 to terminal.max_per_workspace): each is its own
  // shell, a pod session of its own ("terminal" for 1, "terminal-N" for N), shared by its
  // viewers like the first. Watchers watch only the first.
  int terminal = 1;
};

// Parses the hello. kInvalidArgument naming the field: not a JSON object, no "token" string,
// cols/rows not integers in [1, 1000], readonly not a boolean, terminal not an integer in
// [1, 64]. Size, readonly and terminal are optional.
[[nodiscard]] Result<Hello> ParseHello(std::string_view message);

// Parses a resize payload (after the type byte), same rules as the hello's size.
[[nodiscard]] Result<TerminalSize> ParseResize(std::string_view payload);

// A message: the type byte, then the payload.
[[nodiscard]] std::string Message(char type, std::string_view payload);

}  // namespace terminal

struct TerminalLimits {
  std::size_t scrollback_bytes = std::size_t{64} << 10;   // the pod session keeps as much
  std::size_t viewer_queue_bytes = std::size_t{1} << 20;  // terminal.viewer_queue_bytes
  std::size_t max_frame_bytes = std::size_t{16} << 10;    // output payload per message
  std::size_t max_pending_input = std::size_t{1} << 20;   // input waiting for the shell
};

struct TerminalOptions {
  TerminalLimits limits;
  std::vector<std::string> shell = {"bash"};  // argv of the shell, run in /workspace
  // The pod session's name: one shell per workspace, shared by every process.
  std::string session_name = "terminal";
  // Terminals (shells) one workspace may have at once (terminal.max_per_workspace); a hello
  // naming a higher one is closed with 1008. Each is a session in the workspace's pod, which
  // holds at most 8 (Run needs some of them).
  int max_per_workspace = 4;
  // Viewers attached or attaching: a connection past either cap is refused with 4029. With
  // limits.viewer_queue_bytes per viewer, they bound the output one terminal and one user hold.
  std::size_t max_viewers_per_terminal = 16;  // terminal.max_viewers_per_terminal
  std::size_t max_viewers_per_user = 32;      // terminal.max_viewers_per_user
  // Every viewer's token is verified again this often (a thread of this object's own): a
  // revoked or expired one closes the viewer with 4001.
  std::chrono::milliseconds reauth_interval{std::chrono::seconds(5)};  // terminal.reauth_interval_s
  // Activity: output that ends a line asks Workspaces for a (debounced) sync, and touches the
  // workspace, a storage write, at most this often, so it is not stopped as idle.
  std::chrono::milliseconds touch_every{std::chrono::seconds(30)};
};

// The pod session of terminal `n` of a workspace: `options.session_name` for the first,
// "<session_name>-<n>" for the others.
[[nodiscard]] std::string TerminalSessionName(const TerminalOptions& options, int n);

// The terminal.* keys of `config`.
[[nodiscard]] TerminalOptions TerminalOptionsFrom(const Config& config);

// Decides whether `user_id` may watch another user's workspace terminal read-only (the
// shared shells of issue 15): ok to admit, an error to refuse. Reviews::AuthorizeTerminalWatch
// is the one the server uses; it may read storage.
using TerminalWatchPolicy =
    std::function<Result<void>(std::string_view user_id, std::string_view workspace_id)>;

// What to write next to a viewer: nothing, a message, or a close (the viewer's last).
using TerminalOut = std::variant<std::monostate, std::string, terminal::Close>;

class Terminals {
 public:
  // Keeps `accounts` and `workspaces` alive.
  Terminals(std::shared_ptr<Accounts> accounts, std::shared_ptr<Workspaces> workspaces,
            TerminalOptions options, std::shared_ptr<Logger> logger);
  Terminals(const Terminals&) = delete;
  Terminals& operator=(const Terminals&) = delete;
  ~Terminals();  // Shutdown()

  // Called when a viewer has something new to write (see the threading rules above). Set it
  // before the first Attach; reset it to empty before the caller goes away.
  void SetWake(std::function<void()> wake);

  // Who besides the owner may watch a terminal (none when unset). A watcher is always
  // read-only, whatever its hello asks. It joins the shell this process holds for the
  // workspace, or else attaches to the shell session in the workspace's running pod
  // (Workspaces::RunningPod, Pod::JoinSession), so it watches from any replica, whichever
  // one serves the author. It never starts the pod or the shell, takes or renews no lease
  // and touches nothing (only the owner's attach does), and the periodic re-check
  // (reauth_interval) asks the policy again, closing with 4003 a watcher it refuses: that
  // re-check reads storage, so unsharing on any replica closes watchers on every replica
  // within one interval. Set it before the first Attach.
  void SetWatchPolicy(TerminalWatchPolicy policy);

  // The viewers that got something to write since the last call.
  [[nodiscard]] std::vector<uint64_t> TakeReady();

  // Blocks: checks the hello's token, opens the workspace (starting its pod if it is
  // stopped), attaches to its shell (starting it unless it runs) and adds `viewer`, which
  // then gets the title, a terminal reset and the scrollback, and a running status saying
  // whether this attach started the shell ("started"). Returns the close to send on failure:
  // 4001 bad token, 4004 not found (or another user's the watch policy refuses), 4003 a
  // watcher of a workspace that is not running or whose pod has no shell, 4029 a running
  // limit or a viewer cap,
  // 1001 shutting down, 1011 otherwise. The viewer keeps the token for the re-check.
  [[nodiscard]] std::optional<terminal::Close> Attach(uint64_t viewer,
                                                      std::string_view workspace_id,
                                                      const terminal::Hello& hello);

  // One message from a viewer (type byte first, not the hello). Returns the close to send
  // for a message that breaks the protocol. Read-only viewers' input and resizes are
  // ignored. Unknown viewers get nothing.
  [[nodiscard]] std::optional<terminal::Close> Receive(uint64_t viewer, std::string_view message);

  // The next thing to write to `viewer`; *more tells whether more is queued after it.
  [[nodiscard]] TerminalOut Next(uint64_t viewer, bool* more);

  // The viewer went away. When it was this process's last viewer of a shell that lives in
  // the pod, this process's attachment is let go (the shell keeps running there).
  void Detach(uint64_t viewer);

  // Queues `close` for every attached viewer and refuses new attaches from now on.
  void CloseAll(const terminal::Close& close);

  // org20: re-checks every viewer's login now, on the re-check thread (the periodic pass run
  // early), instead of at the next reauth_interval. Never blocks. Services calls it when a
  // login of any user ended on any replica (kEventLoginsEnded).
  void RecheckLogins();

  // Lets go of every shell: pod sessions are detached (they keep running in their pods),
  // shells started with Exec are killed. Joins every thread. Idempotent.
  void Shutdown();

  [[nodiscard]] std::size_t viewers() const;  // attached
  [[nodiscard]] std::size_t shells() const;   // attached to by this process
  [[nodiscard]] uint64_t output_bytes() const;
  // Connections refused by terminal.max_viewers_per_terminal / _per_user, and viewers closed
  // because their token no longer verified.
  [[nodiscard]] uint64_t refused_per_terminal() const;
  [[nodiscard]] uint64_t refused_per_user() const;
  [[nodiscard]] uint64_t reauth_closed() const;

 private:
  class Impl;
  std::shared_ptr<Accounts> accounts_;  // before impl_, which uses both until shut down
  std::shared_ptr<Workspaces> workspaces_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
