#include "executor/agent/agent_process.hpp"

#include <csignal>

#include "core/try.hpp"

namespace codeyard::agent {

namespace json = boost::json;

AgentProcess::AgentProcess(std::unique_ptr<FrameChannel> channel, const ExecSpec& spec,
                           bool stdin_open, bool counted)
    : channel_(std::move(channel)),
      tty_(spec.tty),
      stdin_open_(stdin_open),
      cap_(spec),
      counted_(counted) {}

void AgentProcess::Take(const Frame& frame) {
  switch (frame.type) {
    case FrameType::kOutput:
    case FrameType::kStderr: {
      bool kill = false;
      const size_t keep = cap_.Keep(frame.payload.size(), &kill);
      if (kill) (void)Signal(SIGKILL);
      if (keep == 0) return;
      const auto stream =
          frame.type == FrameType::kStderr ? OutputStream::kStderr : OutputStream::kStdout;
      ready_.push_back(OutputChunk{stream, frame.payload.substr(0, keep)});
      return;
    }
    case FrameType::kGap: {
      // The terminal has lost what it skipped; say so where the viewer looks (as LocalSession).
      boost::system::error_code ec;
      const json::value body = json::parse(frame.payload, ec);
      std::string note = "\r\n[codeyard: this view fell behind; ";
      if (!ec && body.is_object()) {
        if (const auto* skipped = body.get_object().if_contains("skipped");
            skipped != nullptr && (skipped->is_int64() || skipped->is_uint64())) {
          note += std::to_string(skipped->to_number<uint64_t>()) + " bytes of ";
        }
      }
      note += "output skipped]\r\n";
      ready_.push_back(OutputChunk{OutputStream::kStdout, std::move(note)});
      return;
    }
    case FrameType::kExit: {
      boost::system::error_code ec;
      const json::value body = json::parse(frame.payload, ec);
      auto report = !ec && body.is_object() ? local::ExitReportFromJson(body.get_object())
                                            : Result<local::ExitReport>();
      report_ = report.value_or(local::ExitReport{});
      if (!ec && body.is_object()) {
        const auto* oom = body.get_object().if_contains("oom_killed");
        oom_killed_ = oom != nullptr && oom->is_bool() && oom->get_bool();
      }
      return;
    }
    default:
      return;  // kEnd and anything newer: nothing to show
  }
}

Result<std::optional<OutputChunk>> AgentProcess::ReadOutput(
    std::optional<std::chrono::milliseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  while (true) {
    if (!ready_.empty()) {
      OutputChunk chunk = std::move(ready_.front());
      ready_.pop_front();
      return chunk;
    }
    if (Ended()) return std::optional<OutputChunk>();
    CY_TRY(auto frame, channel_->Next(deadline, &interrupted_));
    if (!frame) {
      // The stream ended without an exit report: the agent or the pod went away.
      local::ExitReport lost;
      lost.signal = SIGKILL;
      report_ = lost;
      lost_ = true;
      continue;
    }
    Take(*frame);
  }
}

Result<void> AgentProcess::WriteStdin(std::string_view data) {
  if (!stdin_open_) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  if (Ended()) return Fail(Error::Code::kAborted, "the process has ended");
  // Blocks like a pipe: each piece waits until the agent has room for it.
  while (!data.empty()) {
    const size_t piece = std::min(data.size(), local::kAgentMaxPendingInput);
    if (counted_ && sent_ + piece > local::kAgentMaxPendingInput) {
      CY_CHECK(channel_->AwaitTaken(sent_ + piece - local::kAgentMaxPendingInput, nullptr));
    }
    CY_CHECK(Send(data.substr(0, piece)));
    data.remove_prefix(piece);
  }
  return {};
}

Result<void> AgentProcess::Send(std::string_view data) {
  auto sent = channel_->Send(FrameType::kInput, data);
  if (!sent) return Fail(Error::Code::kAborted, "the process no longer reads stdin");
  sent_ += data.size();
  return {};
}

Result<void> AgentProcess::QueueStdin(std::string_view data, std::size_t max_pending) {
  // What the agent holds for the process (sent, not yet taken) counts as waiting, as a local
  // Process's own queue does; never more than the agent's bound.
  if (!stdin_open_) return Fail(Error::Code::kFailedPrecondition, "stdin is closed");
  if (Ended()) return Fail(Error::Code::kAborted, "the process has ended");
  const uint64_t waiting = counted_ ? sent_ - std::min(sent_, channel_->taken()) : 0;
  CY_CHECK(local::CheckStdinRoom(static_cast<size_t>(waiting), data.size(),
                                 std::min(max_pending, local::kAgentMaxPendingInput)));
  if (data.empty()) return {};
  return Send(data);
}

Result<void> AgentProcess::CloseStdin() {
  if (tty_) return stdin_open_ && !Ended() ? WriteStdin("\x04") : Result<void>();
  if (!stdin_open_) return {};
  stdin_open_ = false;
  (void)channel_->Send(FrameType::kEnd, "");
  return {};
}

void AgentProcess::Interrupt() {
  interrupted_ = true;
  channel_->Wake();
}

Result<void> AgentProcess::Resize(TerminalSize size) {
  if (!tty_) return Fail(Error::Code::kFailedPrecondition, "the process has no terminal");
  json::object body;
  body["rows"] = size.rows;
  body["cols"] = size.cols;
  (void)channel_->Send(FrameType::kResize, json::serialize(body));
  return {};
}

Result<void> AgentProcess::Signal(int signal) {
  CY_CHECK(local::CheckSignal(signal));
  if (Ended()) return {};
  json::object body;
  body["signal"] = signal;
  (void)channel_->Send(FrameType::kSignal, json::serialize(body));
  return {};
}

Result<ExitStatus> AgentProcess::Wait() {
  if (final_) return *final_;
  while (true) {
    auto chunk = ReadOutput(std::nullopt);
    if (!chunk) {
      if (chunk.error().code() == Error::Code::kAborted) continue;  // an Interrupt meant for a read
      return std::unexpected(chunk.error());
    }
    if (!*chunk) break;
  }
  // ReadOutput returns the end only once report_ is set.
  if (!report_) return Fail(Error::Code::kInternal, "the output ended without an exit report");
  final_ = local::StatusFromReport(*report_, cap_.truncated(), nullptr, 0);
  final_->oom_killed = oom_killed_;
  return *final_;
}

}  // namespace codeyard::agent
