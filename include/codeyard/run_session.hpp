// Run sessions: the IDE's Run, a program run interactively in its workspace's own pod on a
// pseudo-terminal, without any networking. A connection (a *client*) starts a run of one file;
// the rule of what runs comes from the language table (codeyard/languages.hpp): an
// interpreted file runs as its run command, a C or C++ file is first compiled into the pod's
// /tmp with the compile command and its limits (no tty: the compiler's output is what it
// printed), then run. Both go through the workspace's exec path (Workspaces::Start: the exec
// caps, rate limit and spec validation of POST /exec, storage synced into the pod before and
// both ways after), with the run_session.* limits (CPU, wall, output). The program's output
// streams to the client as it is printed; the client's input goes to the program's terminal
// (input() and scanf work), and a stop kills the program's whole process group at once. When
// the program ends the client gets the verdict (exit code or signal, CPU, wall, memory), then
// a normal close. One run per workspace: a new one stops the one running (its client gets a
// "replaced" verdict). Input typed before the program runs (while C compiles) waits for it, up
// to max_pending_input bytes. Every run has an id (in its first status, "run_id"; the client may
// choose it in its hello, a UUID not in use, so it knows it before anything came back); a client
// going away leaves its run going for reconnect_grace, its output kept in a replay buffer (the last
// client_queue_bytes of its output and statuses; the program blocks when that much is waiting
// unsent), and a client that says hello with {"run_id","seen"} (same user, same workspace) takes
// the run over: it gets every message past the first `seen` still kept, then live output (a
// connection still attached to the run is closed with 1008: the newest page wins). After
// the grace the run is stopped ("disconnected"). A run lives as long as the login
// it was started with: every reauth_interval the logins of the runs under way are checked
// (Accounts::CheckLogin), and a run whose user logged out, changed password, was disabled or
// deleted is stopped (verdict "stopped", reason "revoked") and its client closed with 4001, as
// the terminal closes its viewers. The access token merely expiring does not stop a run: its
// wall-time limit bounds it anyway.
//
// The wire format is the run WebSocket's (docs/api.md, "Run WebSocket"), the terminal's
// framing (codeyard/terminals.hpp: a type byte, then the payload; its close codes): the hello
// {"token","path","cols","rows"[,"run_id"]} (or {"token","run_id","seen","cols","rows"} to
// reconnect), then
// '0' input, '1' resize, '2' ping, '3' stop and '4' ack from the client; '0' output, '2' pong and
// '3' status JSON from the server.
//
// Threading: every method is thread-safe. Start blocks (it opens the pod and syncs): call it
// from a worker thread. Receive, Next and Detach never block on the pod. Each run has a driver
// thread of its own, and one thread re-checks the logins (it reads storage). The wake function is
// called from any thread, possibly under an internal lock: it must only queue and wake; TakeReady
// then lists the clients with something to write.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/log.hpp"
#include "codeyard/run.hpp"
#include "codeyard/terminals.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard {
namespace run_session {

inline constexpr char kStop = '3';  // client: stop the program now (SIGKILL to its group)
// client: "<n>", n more output bytes shown. A client that sends acks gets at most
// RunSessionOptions::client_window_bytes of output ahead of them.
inline constexpr char kAck = '4';

// The first client message: {"token":"...","path":"src/main.py","cols":c,"rows":r}.
struct Hello {
  std::string token;
  std::string path;  // the file to run, relative to the workspace (NormalizePath)
  TerminalSize size;
  // With a path: the new run's id, a UUID the client chose (so that it can reconnect even if
  // its socket drops before the first status); empty: the server picks one. Without a path:
  // reconnect to this run (`resume`), `seen` of its output and status messages being already
  // on the client's screen (0 after a page reload).
  std::string run_id;
  bool resume = false;
  uint64_t seen = 0;
};

// kInvalidArgument naming the field: not a JSON object, no token, no valid path, a bad size.
[[nodiscard]] Result<Hello> ParseHello(std::string_view message);

// What runs for a file: the compile argv (empty for an interpreted language) and the run
// argv, from the language table, with the program built at `binary`. kInvalidArgument when
// no language has the file's extension.
struct Plan {
  Language language = Language::kPython;
  std::vector<std::string> compile;
  std::vector<std::string> run;
  CompileLimits compile_limits;
};
inline constexpr std::string_view kBinary = "/tmp/codeyard-run";
[[nodiscard]] Result<Plan> PlanFor(std::string_view path);

// The argv as a person would type it in sh: each word single-quoted when it needs to be.
[[nodiscard]] std::string ShellQuoted(const std::vector<std::string>& argv);

}  // namespace run_session

struct RunSessionOptions {
  RunLimits limits = WithTimeLimit(RunLimits{}, 10, 600);  // run_session.* (cpu, wall)
  std::size_t client_queue_bytes = std::size_t{1} << 20;   // output queued per client
  // Sent, not yet acknowledged. Small, so that after a Stop the browser is not still drawing a
  // flood it was sent before (xterm.js parses on the page's one thread).
  std::size_t client_window_bytes = std::size_t{64} << 10;
  std::size_t max_frame_bytes = std::size_t{16} << 10;  // output payload per message
  // Input waiting for the program, typed early (while C compiles) included.
  std::size_t max_pending_input = std::size_t{1} << 20;
  // How long a run whose client went away waits for a reconnect (run.reconnect_grace_s).
  std::chrono::milliseconds reconnect_grace{std::chrono::seconds(30)};
  // How often the logins of the runs under way are checked (terminal.reauth_interval_s).
  std::chrono::milliseconds reauth_interval{std::chrono::seconds(5)};
};

// The run_session.* keys of `config`.
[[nodiscard]] RunSessionOptions RunSessionOptionsFrom(const Config& config);

class RunSessions {
 public:
  RunSessions(std::shared_ptr<Accounts> accounts, std::shared_ptr<Workspaces> workspaces,
              RunSessionOptions options, std::shared_ptr<Logger> logger);
  RunSessions(const RunSessions&) = delete;
  RunSessions& operator=(const RunSessions&) = delete;
  ~RunSessions();  // Shutdown()

  // Called when a client has something new to write. Set before the first Start; reset to
  // empty before the caller goes away.
  void SetWake(std::function<void()> wake);
  [[nodiscard]] std::vector<uint64_t> TakeReady();

  // Blocks: checks the token, plans the run (the language table), stops the workspace's run
  // under way, opens the workspace (starting its pod) and starts the compile or the program;
  // the client then gets a status {"state":"compiling"|"running","argv":[...],"command"}.
  // With hello.run_id, takes that run over instead (Reattach rules above). Returns the close to
  // send on failure: 4001 bad token, 4004 not found (another user's workspace or run, a run
  // gone), 1007 a file with no runtime, 4029 an exec cap, 1001 shutting down, 1011
  // otherwise.
  [[nodiscard]] std::optional<terminal::Close> Start(uint64_t client, std::string_view workspace_id,
                                                     const run_session::Hello& hello);

  // One message from a client (type byte first, not the hello): input, resize, ping, stop.
  [[nodiscard]] std::optional<terminal::Close> Receive(uint64_t client, std::string_view message);

  // The next thing to write to `client`; *more tells whether more is queued after it.
  [[nodiscard]] TerminalOut Next(uint64_t client, bool* more);

  // The client went away: its run goes on for reconnect_grace waiting for a reconnect, then is
  // stopped (the driver finishes on its own thread).
  void Detach(uint64_t client);

  // Closes every client with `close` and refuses new runs.
  void CloseAll(const terminal::Close& close);

  // org20: re-checks the logins of the runs under way now, on the re-check thread, instead of
  // at the next reauth_interval. Never blocks. Services calls it when a login ended on any
  // replica (kEventLoginsEnded).
  void RecheckLogins();

  // Stops every run and joins every driver. Idempotent.
  void Shutdown();

  [[nodiscard]] std::size_t running() const;  // runs whose program has not ended
  [[nodiscard]] uint64_t revoked() const;     // runs stopped because their login was revoked

 private:
  class Impl;
  std::shared_ptr<Accounts> accounts_;
  std::shared_ptr<Workspaces> workspaces_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
