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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codeyard/log.hpp"
#include "services.hpp"
#include "terminal_protocol.hpp"
#include "terminal_session.hpp"

namespace codeyard::server {

struct TerminalHubOptions {
  TerminalLimits limits;
  std::vector<std::string> shell = {"bash"};  // argv of the shell, run in /workspace
};

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
  // 4001 bad token, 4004 not found (or another user's), 4029 a running limit, 1011 otherwise.
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

 private:
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
  std::unordered_map<uint64_t, std::shared_ptr<TerminalSession>> viewers_;
  std::vector<std::shared_ptr<TerminalSession>> ended_;  // to join
  bool closing_ = false;

  std::mutex ready_mu_;
  std::vector<uint64_t> ready_;
  std::function<void()> wake_;

  std::atomic<uint64_t> output_bytes_{0};
};

}  // namespace codeyard::server
