// The terminals of the server, without any networking: which shell runs for which
// workspace, and which shell each connected viewer watches. There is at most one shell per
// workspace (a TerminalSession); every connection to the workspace's terminal attaches to it,
// and a reconnect finds the same shell with its scrollback. A shell lives until it exits,
// its pod stops (idle stop, an explicit stop, a delete) or the server shuts down.
//
// The lws glue (lws_terminal) drives it: Attach on a worker thread (it may start the pod),
// Receive/Next/Detach on the service thread. Sessions report a viewer with something new to
// write into a ready list and call the wake function, and the glue collects the list with
// TakeReady() on the service thread. Output that ends a line counts as activity: the
// workspace is touched (so it is not stopped as idle) and a debounced sync is requested, so
// files made in the terminal reach storage and the browser's tree.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/log.hpp"
#include "services.hpp"
#include "terminal_protocol.hpp"
#include "terminal_session.hpp"

namespace codeyard::server {

struct TerminalHubOptions {
  TerminalLimits limits;
  std::vector<std::string> shell = {"bash"};  // argv of the shell, run in /workspace
  // Viewers attached or attaching: a connection past either cap is refused with 4029. With
  // limits.viewer_queue_bytes per viewer, they bound the output one terminal and one user hold.
  std::size_t max_viewers_per_terminal = 16;  // terminal.max_viewers_per_terminal
  std::size_t max_viewers_per_user = 32;      // terminal.max_viewers_per_user
  // Every viewer's token is verified again this often (a worker thread of the hub's own): a
  // revoked or expired one closes the viewer with 4001.
  std::chrono::milliseconds reauth_interval{std::chrono::seconds(5)};  // terminal.reauth_interval_s
};

// The terminal.* keys of `config`.
[[nodiscard]] TerminalHubOptions TerminalHubOptionsFrom(const Config& config);

class TerminalHub {
 public:
  TerminalHub(Services& services, TerminalHubOptions options, std::shared_ptr<Logger> logger);
  TerminalHub(const TerminalHub&) = delete;
  TerminalHub& operator=(const TerminalHub&) = delete;
  ~TerminalHub();  // Shutdown()

  // Set by the server before it serves (and reset to empty before it stops): called from any
  // thread, possibly under a session's lock, when a viewer has something new to write.
  void SetWake(std::function<void()> wake);

  // The viewers that got something to write since the last call (service thread).
  [[nodiscard]] std::vector<uint64_t> TakeReady();

  // Worker thread: checks the hello's token, opens the workspace (starting its pod if it is
  // stopped), starts its shell unless one runs, and attaches `viewer`, which then gets the
  // title, the scrollback and a running status. Returns the close to send on failure:
  // 4001 bad token, 4004 not found (or another user's), 4029 a running limit or a viewer cap,
  // 1011 otherwise. The viewer keeps the token for the periodic re-check.
  [[nodiscard]] std::optional<terminal::Close> Attach(uint64_t viewer,
                                                      std::string_view workspace_id,
                                                      const terminal::Hello& hello);

  // Service thread: see TerminalSession::Receive and Next. Unknown viewers get nothing.
  [[nodiscard]] std::optional<terminal::Close> Receive(uint64_t viewer, std::string_view message);
  [[nodiscard]] TerminalOut Next(uint64_t viewer, bool* more);
  void Detach(uint64_t viewer);

  // Queues `close` for every attached viewer and refuses new attaches from now on.
  void CloseAll(const terminal::Close& close);

  // Ends every shell and joins their threads. Idempotent.
  void Shutdown();

  [[nodiscard]] std::size_t viewers() const;
  [[nodiscard]] std::size_t shells() const;
  [[nodiscard]] uint64_t output_bytes() const { return output_bytes_.load(); }
  // Connections refused by terminal.max_viewers_per_terminal / _per_user, and viewers closed
  // because their token no longer verified.
  [[nodiscard]] uint64_t refused_per_terminal() const { return refused_per_terminal_.load(); }
  [[nodiscard]] uint64_t refused_per_user() const { return refused_per_user_.load(); }
  [[nodiscard]] uint64_t reauth_closed() const { return reauth_closed_.load(); }

 private:
  struct ViewerEntry {
    std::shared_ptr<TerminalSession> session;  // null while attaching (a reserved slot)
    std::string user_id;
    std::string workspace_id;
    std::string token;
  };

  std::optional<terminal::Close> ReserveLocked(uint64_t viewer, const std::string& user_id,
                                               std::string_view workspace_id,
                                               const std::string& token);
  void ReleaseLocked(uint64_t viewer);
  void ReauthLoop();
  void ReauthPass();
  std::shared_ptr<TerminalSession> SessionOf(uint64_t viewer) const;
  void MarkReady(uint64_t viewer);
  void Ended(const std::string& workspace_id, const TerminalSession* session);
  void Reap();
  TerminalSession::Hooks HooksFor(const std::string& workspace_id);

  Services& services_;
  const TerminalHubOptions options_;
  const std::shared_ptr<Logger> logger_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<TerminalSession>, std::less<>> sessions_;
  std::unordered_map<uint64_t, ViewerEntry> viewers_;
  std::unordered_map<std::string, std::size_t> per_user_;       // viewers (and reservations)
  std::unordered_map<std::string, std::size_t> per_workspace_;  // likewise, per terminal
  std::vector<std::shared_ptr<TerminalSession>> ended_;         // to join
  bool closing_ = false;

  std::mutex ready_mu_;
  std::vector<uint64_t> ready_;
  std::function<void()> wake_;

  std::atomic<uint64_t> output_bytes_{0};
  std::atomic<uint64_t> refused_per_terminal_{0};
  std::atomic<uint64_t> refused_per_user_{0};
  std::atomic<uint64_t> reauth_closed_{0};

  std::mutex reauth_mu_;
  std::condition_variable reauth_wake_;
  bool reauth_stop_ = false;
  std::thread reauth_;  // last: started once everything above exists
};

}  // namespace codeyard::server
