#include <csignal>
#include <vector>

#include "core/words.hpp"
#include "executor/fake/fake_internal.hpp"

namespace codeyard::fake {
namespace {

std::optional<FakeExecResult> Builtin(const std::vector<std::string>& argv,
                                      std::string_view stdin_data, FakeWorkspace& workspace) {
  const std::string& program = argv.at(0);
  FakeExecResult result;
  if (program == "true") return result;
  if (program == "false") {
    result.exit_code = 1;
    return result;
  }
  if (program == "echo") {
    for (size_t i = 1; i < argv.size(); ++i) {
      if (i > 1) result.stdout_data += ' ';
      result.stdout_data += argv[i];
    }
    result.stdout_data += '\n';
    return result;
  }
  if (program == "cat") {
    if (argv.size() == 1) result.stdout_data = stdin_data;
    for (size_t i = 1; i < argv.size(); ++i) {
      if (auto content = workspace.Read(argv[i])) {
        result.stdout_data += *content;
      } else {
        result.stderr_data += "cat: " + argv[i] + ": No such file or directory\n";
        result.exit_code = 1;
      }
    }
    return result;
  }
  if (program == "sh" && argv.size() >= 3 && argv[1] == "-c") {
    auto words = Words(argv[2]);
    if (words.empty()) return result;
    if (words[0] == "exit") {
      result.exit_code = words.size() > 1 ? std::atoi(words[1].c_str()) : 0;
      return result;
    }
    // One simple command, its output optionally redirected into a file.
    std::optional<std::string> target;
    bool append = false;
    if (words.size() >= 3 && (words[words.size() - 2] == ">" || words[words.size() - 2] == ">>")) {
      append = words[words.size() - 2] == ">>";
      target = words.back();
      words.resize(words.size() - 2);
    }
    auto inner = Builtin(words, stdin_data, workspace);
    if (!inner) {
      result.stderr_data = "sh: 1: " + words[0] + ": not found\n";
      result.exit_code = 127;
      return result;
    }
    if (target) {
      std::string content = append ? workspace.Read(*target).value_or("") : "";
      workspace.Write(*target, content + inner->stdout_data);
      inner->stdout_data.clear();
    }
    return inner;
  }
  return std::nullopt;
}

}  // namespace

std::string BadPath(std::string_view path) {
  if (path.empty() || path.front() == '/') return "must be relative and not empty";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return "has an empty, . or .. segment";
    start = end + 1;
  }
  return "";
}

std::optional<FakeExecResult> Run(const ExecSpec& spec, std::string_view stdin_data,
                                  FakeWorkspace& workspace, const FakeExecHandler& handler) {
  if (handler) {
    if (auto answered = handler(spec, stdin_data, workspace)) return answered;
  }
  return Builtin(spec.argv, stdin_data, workspace);
}

FakeProcess::FakeProcess(const ExecSpec& spec, Runner runner)
    : tty_(spec.tty), runner_(std::move(runner)), stdin_open_(spec.stdin_open) {
  if (!stdin_open_) stdin_ = spec.stdin_data;
}

bool FakeProcess::RunNow() {
  std::lock_guard lock(mu_);
  return RunLocked();
}

bool FakeProcess::RunLocked() {
  if (ended_) return true;
  ended_ = true;
  stdin_open_ = false;
  auto result = runner_(stdin_);
  const bool found = result.has_value();
  if (!found) result = FakeExecResult{"", "fake: program not found\n", 127};
  const auto stderr_stream = tty_ ? OutputStream::kStdout : OutputStream::kStderr;
  if (!result->stdout_data.empty()) {
    output_.push_back({OutputStream::kStdout, std::move(result->stdout_data)});
  }
  if (!result->stderr_data.empty()) {
    output_.push_back({stderr_stream, std::move(result->stderr_data)});
  }
  status_.exit_code = result->exit_code;
  cv_.notify_all();
  return found;
}

Result<std::optional<OutputChunk>> FakeProcess::ReadOutput(
    std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(mu_);
  const auto ready = [this] { return ended_ || interrupted_; };
  if (timeout) {
    if (!cv_.wait_for(lock, *timeout, ready)) {
      return Fail(Error::Code::kDeadlineExceeded, "no output yet");
    }
  } else {
    cv_.wait(lock, ready);
  }
  if (interrupted_ && !ended_) {
    interrupted_ = false;
    return Fail(Error::Code::kAborted, "interrupted");
  }
  interrupted_ = false;
  if (output_.empty()) return std::optional<OutputChunk>();
  OutputChunk chunk = std::move(output_.front());
  output_.pop_front();
  return std::optional<OutputChunk>(std::move(chunk));
}

Result<void> FakeProcess::WriteStdin(std::string_view data) {
  std::lock_guard lock(mu_);
  if (!stdin_open_) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  stdin_ += data;
  return {};
}

Result<void> FakeProcess::CloseStdin() {
  std::lock_guard lock(mu_);
  if (!stdin_open_) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  (void)RunLocked();
  return {};
}

void FakeProcess::Interrupt() {
  std::lock_guard lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

Result<void> FakeProcess::Resize(TerminalSize size) {
  (void)size;
  if (!tty_) return Fail(Error::Code::kFailedPrecondition, "not a terminal");
  return {};
}

Result<void> FakeProcess::Signal(int signal) {
  std::lock_guard lock(mu_);
  if (ended_) return {};
  if (signal == 0) return {};
  ended_ = true;
  stdin_open_ = false;
  status_.signal = signal;
  cv_.notify_all();
  return {};
}

Result<ExitStatus> FakeProcess::Wait() {
  std::lock_guard lock(mu_);
  (void)RunLocked();  // stdin still open: runs as if it closed now
  output_.clear();
  return status_;
}

}  // namespace codeyard::fake
