#include "codeyard/language_servers.hpp"

#include <cctype>
#include <charconv>
#include <csignal>
#include <limits>
#include <optional>

#include "codeyard/workspaces.hpp"

namespace codeyard {
namespace {

// A safety net for executors without Process::Interrupt: the driver looks at its inbox at
// least this often.
constexpr std::chrono::milliseconds kReadTimeout{30000};

}  // namespace

Result<std::vector<std::string>> LanguageServerCommand(std::string_view language) {
  if (language == "python") return std::vector<std::string>{"pylsp"};
  if (language == "c" || language == "cpp") {
    return std::vector<std::string>{"clangd", "--log=error", "--background-index=false"};
  }
  return Fail(Error::Code::kInvalidArgument, "language servers: no server for \"" +
                                                 std::string(language.substr(0, 32)) +
                                                 "\" (python, c, cpp)");
}

std::string FrameLspMessage(std::string_view body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

Result<std::vector<std::string>> TakeLspMessages(std::string& buffer) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const std::size_t head_end = buffer.find("\r\n\r\n", at);
    if (head_end == std::string::npos) {
      if (buffer.size() - at > 4096) {
        return Fail(Error::Code::kInvalidArgument, "language server: a header over 4 KiB");
      }
      break;
    }
    std::optional<std::size_t> length;
    std::string_view head(buffer.data() + at, head_end - at);
    while (!head.empty()) {
      const std::size_t eol = head.find("\r\n");
      const std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
      constexpr std::string_view kLength = "content-length:";
      if (line.size() > kLength.size()) {
        std::string name(line.substr(0, kLength.size()));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == kLength) {
          std::size_t value = 0;
          std::string_view digits = line.substr(kLength.size());
          while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
          const auto [end, ec] =
              std::from_chars(digits.data(), digits.data() + digits.size(), value);
          if (ec != std::errc() || end != digits.data() + digits.size()) {
            return Fail(Error::Code::kInvalidArgument,
                        "language server: a malformed Content-Length");
          }
          length = value;
        }
      }
    }
    if (!length) return Fail(Error::Code::kInvalidArgument, "language server: no Content-Length");
    if (*length > kMaxLspMessageBytes) {
      return Fail(Error::Code::kInvalidArgument, "language server: a message over 16 MiB");
    }
    if (buffer.size() < head_end + 4 + *length) break;
    out.emplace_back(buffer, head_end + 4, *length);
    at = head_end + 4 + *length;
  }
  buffer.erase(0, at);
  return out;
}

LanguageServerSession::LanguageServerSession(std::unique_ptr<Process> process,
                                             LanguageServerCallbacks callbacks)
    : process_(std::move(process)), callbacks_(std::move(callbacks)) {
  driver_ = std::thread([this] { Drive(); });
}

LanguageServerSession::~LanguageServerSession() {
  Close();
  if (driver_.joinable()) driver_.join();
}

Result<void> LanguageServerSession::Send(std::string message) {
  {
    std::lock_guard lock(mu_);
    if (ended_ || closing_) {
      return Fail(Error::Code::kFailedPrecondition, "language server: the session has ended");
    }
    if (inbox_bytes_ + message.size() > kMaxLspPendingInput) {
      return Fail(Error::Code::kResourceExhausted,
                  "language server: it is not reading what the editor sends");
    }
    inbox_bytes_ += message.size();
    inbox_.push_back(FrameLspMessage(message));
  }
  process_->Interrupt();  // the driver takes the inbox at once
  return {};
}

void LanguageServerSession::Close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  process_->Interrupt();
}

void LanguageServerSession::Drive() {
  std::string buffer;
  Error why(Error::Code::kAborted, "language server: the session was closed");
  while (true) {
    std::vector<std::string> inbox;
    {
      std::lock_guard lock(mu_);
      if (closing_) break;
      inbox.swap(inbox_);
      inbox_bytes_ = 0;
    }
    bool failed = false;
    for (const std::string& framed : inbox) {
      auto queued = process_->QueueStdin(framed, kMaxLspPendingInput);
      if (!queued) {
        why = queued.error();
        failed = true;
        break;
      }
    }
    if (failed) break;
    auto chunk = process_->ReadOutput(kReadTimeout);
    if (!chunk) {
      const Error::Code code = chunk.error().code();
      if (code == Error::Code::kAborted || code == Error::Code::kDeadlineExceeded) continue;
      why = chunk.error();
      break;
    }
    if (!*chunk) {
      why = Error(Error::Code::kUnavailable, "language server: the program ended");
      break;
    }
    if ((*chunk)->stream != OutputStream::kStdout) continue;  // its log
    buffer += (*chunk)->data;
    auto messages = TakeLspMessages(buffer);
    if (!messages) {
      why = messages.error();
      break;
    }
    for (std::string& message : *messages) callbacks_.on_message(std::move(message));
  }
  (void)process_->Signal(SIGKILL);
  {
    std::lock_guard lock(mu_);
    ended_ = true;
  }
  if (callbacks_.on_end) callbacks_.on_end(why);
}

LanguageServers::LanguageServers(std::shared_ptr<Workspaces> workspaces)
    : workspaces_(std::move(workspaces)) {}

Result<std::unique_ptr<LanguageServerSession>> LanguageServers::Start(
    std::string_view user_id, std::string_view workspace_id, std::string_view language,
    LanguageServerCallbacks callbacks) {
  auto argv = LanguageServerCommand(language);
  if (!argv) return std::unexpected(argv.error());
  auto workspace = workspaces_->Get(user_id, workspace_id);  // the owner only
  if (!workspace) return std::unexpected(workspace.error());
  // meter20: a language server is new work, refused once the owner's CPU quota is used up.
  if (auto quota = workspaces_->CheckCpuQuota(workspace_id); !quota) {
    return std::unexpected(quota.error());
  }
  auto pod = workspaces_->RunningPod(workspace_id);
  if (!pod) return std::unexpected(pod.error());
  ExecSpec spec;
  spec.argv = std::move(*argv);
  spec.stdin_open = true;
  spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
  spec.kill_on_output_limit = false;
  auto process = (*pod)->Exec(spec);
  if (!process) return std::unexpected(process.error());
  return std::make_unique<LanguageServerSession>(std::move(*process), std::move(callbacks));
}

}  // namespace codeyard
