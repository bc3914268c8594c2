// Language servers in a workspace's pod, as code-server runs them: diagnostics and completion
// for the IDE's editor come from a real language server (Python: pylsp from python3-pylsp;
// C and C++: clangd) started in the workspace's own pod, next to the files it reads. A
// transport (the server's WebSocket, lws_lsp) passes plain JSON-RPC messages; here they are
// framed with LSP's Content-Length headers on the server's stdin and parsed back from its
// stdout. The rules: only the workspace's owner starts one, in a running pod (never started
// for it), one program per language, killed when the session ends.
//
// Threading: LanguageServers is thread-safe. A session has its own driver thread, which owns
// the process; Send and Close may be called from any thread; the callbacks run on the driver
// thread and must not block.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

class Workspaces;

// "python", "c" or "cpp" -> the program's argv; kInvalidArgument otherwise.
[[nodiscard]] Result<std::vector<std::string>> LanguageServerCommand(std::string_view language);

// Bounds of one session (constants: what a language server sends is documents' diagnostics
// and completion lists, far below them).
inline constexpr std::size_t kMaxLspMessageBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxLspPendingInput = std::size_t{32} << 20;

struct LanguageServerCallbacks {
  std::function<void(std::string message)> on_message;  // one JSON-RPC message, as text
  std::function<void(const Error& why)> on_end;         // once, after the last message
};

class LanguageServerSession {
 public:
  LanguageServerSession(std::unique_ptr<Process> process, LanguageServerCallbacks callbacks);
  ~LanguageServerSession();  // Close, then waits for the driver
  LanguageServerSession(const LanguageServerSession&) = delete;
  LanguageServerSession& operator=(const LanguageServerSession&) = delete;

  // Queues one JSON-RPC message (JSON text) for the server. kResourceExhausted when the
  // server has not taken kMaxLspPendingInput bytes; kFailedPrecondition once it ended.
  [[nodiscard]] Result<void> Send(std::string message);
  // Ends the session: the program is killed.
  void Close();

 private:
  void Drive();

  std::unique_ptr<Process> process_;
  LanguageServerCallbacks callbacks_;
  std::mutex mu_;
  std::vector<std::string> inbox_;
  std::size_t inbox_bytes_ = 0;
  bool closing_ = false;
  bool ended_ = false;
  std::thread driver_;
};

// LSP's base protocol: "Content-Length: N\r\n\r\n" + body.
[[nodiscard]] std::string FrameLspMessage(std::string_view body);

// Takes every whole message off the front of `buffer` (headers parsed, other headers
// ignored). kInvalidArgument for a malformed header or one over kMaxLspMessageBytes.
[[nodiscard]] Result<std::vector<std::string>> TakeLspMessages(std::string& buffer);

class LanguageServers {
 public:
  explicit LanguageServers(std::shared_ptr<Workspaces> workspaces);

  // Starts `language`'s server in the caller's running workspace. kNotFound for another
  // user's workspace, kFailedPrecondition when it is not running, kNotFound when the pod has
  // no such program (the host lacks the package: scripts/bootstrap installs it).
  [[nodiscard]] Result<std::unique_ptr<LanguageServerSession>> Start(
      std::string_view user_id, std::string_view workspace_id, std::string_view language,
      LanguageServerCallbacks callbacks);

 private:
  std::shared_ptr<Workspaces> workspaces_;
};

}  // namespace codeyard
