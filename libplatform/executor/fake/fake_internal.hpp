// Private parts of the fake executor (fake_executor.hpp): the shared state, one pod's
// workspace, and the process an exec returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "codeyard/backend/fake_executor.hpp"

namespace codeyard {

struct FakeExecutor::Counters {
  std::atomic<int64_t> create_pod = 0;
  std::atomic<int64_t> get_pod = 0;
  std::atomic<int64_t> list_pods = 0;
  std::atomic<int64_t> delete_pod = 0;
  std::atomic<int64_t> exec = 0;
  std::atomic<int64_t> put_files = 0;
  std::atomic<int64_t> get_files = 0;
  std::atomic<int64_t> delete_files = 0;
  std::atomic<int64_t> list_files = 0;
  std::atomic<int64_t> reset = 0;
};

namespace fake {

struct Entry {
  FileKind kind = FileKind::kFile;
  std::string content;  // file bytes, or a symlink's target
  uint32_t mode = 0644;
  int64_t mtime_ns = 0;
};

// One pod's files, by workspace-relative path (directories are entries too). Guarded by the
// pod's mutex.
using Files = std::map<std::string, Entry, std::less<>>;

// "" if `path` is a clean relative path, else why not.
std::string BadPath(std::string_view path);

// Runs one exec to completion with the handler or the built-in interpreter. nullopt: no
// such program.
std::optional<FakeExecResult> Run(const ExecSpec& spec, std::string_view stdin_data,
                                  FakeWorkspace& workspace, const FakeExecHandler& handler);

// A process whose result is computed when its stdin closes (RunNow without stdin_open). A
// program not found at that point ends with 127, as under a shell.
class FakeProcess : public Process {
 public:
  using Runner = std::function<std::optional<FakeExecResult>(std::string_view stdin_data)>;
  FakeProcess(const ExecSpec& spec, Runner runner);
  // Runs it at once (stdin is what the spec gave); false if the program was not found.
  bool RunNow();

  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override;
  Result<void> WriteStdin(std::string_view data) override;
  Result<void> CloseStdin() override;
  void Interrupt() override;
  Result<void> Resize(TerminalSize size) override;
  Result<void> Signal(int signal) override;
  Result<ExitStatus> Wait() override;

 private:
  bool RunLocked();  // mu_ held; false if the program was not found

  const bool tty_;
  Runner runner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stdin_open_;
  std::string stdin_;
  bool ended_ = false;
  bool interrupted_ = false;
  std::deque<OutputChunk> output_;
  ExitStatus status_;
};

}  // namespace fake
}  // namespace codeyard
