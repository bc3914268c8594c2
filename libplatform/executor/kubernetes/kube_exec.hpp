// A command run in a pod's container over the exec API: a WebSocket to
// /api/v1/namespaces/NS/pods/NAME/exec offering v5.channel.k8s.io and v4.channel.k8s.io,
// each message one channel byte (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize,
// 255 close) and its payload. The server ends with a Status on channel 3 (Success, or
// NonZeroExitCode with the exit code) and closes the socket.
//
// Threading: one thread may read (Read) while others write (Write, CloseStdin, Resize);
// Interrupt may be called from any thread and wakes a blocked Read.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/port_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard::kube {

class WebSocketClient;

struct ExecOptions {
  std::string ns;
  std::string pod;
  std::string container;  // "" lets the server take the first container
  std::vector<std::string> command;
  bool with_stdin = true;
  bool with_stdout = true;
  bool with_stderr = true;
  bool tty = false;
  // The deadline of the connection and the upgrade (not of the command).
  std::optional<std::chrono::milliseconds> connect_timeout;
  // Keepalive while reading (WebSocketClient::Options::ping_interval); 0: none.
  std::chrono::milliseconds ping_interval{30000};
};

enum class ExecChannel : std::uint8_t {
  kStdin = 0,
  kStdout = 1,
  kStderr = 2,
  kStatus = 3,
  kResize = 4,
  kClose = 255,
};

struct ExecChunk {
  ExecChannel channel = ExecChannel::kStdout;
  std::string data;
};

// How the command ended, from the channel 3 Status.
struct ExecExit {
  int exit_code = 0;    // 0 for Success; the ExitCode cause for NonZeroExitCode
  std::string message;  // the Status' message ("" for Success)
};
[[nodiscard]] inline bool operator==(const ExecExit& a, const ExecExit& b) noexcept {
  return a.exit_code == b.exit_code && a.message == b.message;
}

// Parses channel 3's Status: Success → 0, NonZeroExitCode → its code; any other failure is
// an error (kInternal naming the server's message).
[[nodiscard]] Result<ExecExit> ParseExecStatus(std::string_view status_json);

class ExecSession {
 public:
  ExecSession(std::unique_ptr<WebSocketClient> socket, std::string protocol);
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;
  ~ExecSession();

  // "v5.channel.k8s.io" or "v4.channel.k8s.io", as the server chose.
  [[nodiscard]] const std::string& protocol() const noexcept { return protocol_; }
  [[nodiscard]] bool can_close_stdin() const noexcept;

  // Sends `data` to the command's stdin; kDeadlineExceeded when none of it went out within
  // `timeout` (no timeout: wait until the connection takes it).
  [[nodiscard]] Result<void> WriteStdin(
      std::string_view data, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Closes the command's stdin (v5's [255, 0]); kUnimplemented with v4, which has no way to
  // say end of input short of closing the whole connection.
  [[nodiscard]] Result<void> CloseStdin();
  // Tells the tty its new size (channel 4).
  [[nodiscard]] Result<void> Resize(int width, int height);

  // The next chunk of stdout or stderr; std::nullopt once the command ended (exit() then
  // holds how). kDeadlineExceeded when nothing came within `timeout` (no timeout: wait);
  // kAborted after Interrupt; kUnavailable when the connection broke.
  [[nodiscard]] Result<std::optional<ExecChunk>> Read(
      std::optional<std::chrono::milliseconds> timeout);

  // How the command ended, once Read returned std::nullopt; an error when the server said
  // something other than Success/NonZeroExitCode or closed without a status.
  [[nodiscard]] std::optional<Result<ExecExit>> exit() const;

  // Wakes a Read blocked on another thread and closes the connection.
  void Interrupt();

 private:
  std::unique_ptr<WebSocketClient> socket_;
  std::string protocol_;
  std::optional<Result<ExecExit>> exit_;
};

// The exec as a PortStream over stdin/stdout (stderr is dropped): Client::OpenExecStream.
[[nodiscard]] std::unique_ptr<PortStream> MakeExecPortStream(std::unique_ptr<ExecSession> session);

}  // namespace codeyard::kube
