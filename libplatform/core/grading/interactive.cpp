// Interactive runs: two processes, two driver threads, two mailboxes (see interactive.hpp).
#include "core/grading/interactive.hpp"

#include <mutex>
#include <thread>

#include "core/try.hpp"

namespace codeyard::grading {
namespace {

// Bytes kept of what a side sent the other (the submission's transcript) and of its stderr.
constexpr size_t kKeptBytes = size_t{64} << 10;
// What may wait for a side to read: both sides' output caps bound it long before.
constexpr size_t kMaxPendingStdin = size_t{256} << 20;

// Bytes on their way to one side's stdin, and whether the other side has ended.
struct Mailbox {
  std::mutex mu;
  std::string data;
  bool close = false;
};

struct Side {
  Process* process = nullptr;
  Mailbox inbox;
  std::string sent;  // capped transcript of its stdout
  std::string err;   // capped stderr
  std::optional<Error> error;
};

void Append(std::string& to, std::string_view data) {
  if (to.size() < kKeptBytes) to.append(data.substr(0, kKeptBytes - to.size()));
}

// Drives `self`: its stdout goes to `peer`'s inbox (waking the peer's driver), its inbox to
// its stdin. Only this thread calls self's ReadOutput, QueueStdin and CloseStdin; the peer's
// driver only calls Interrupt on it, the one call allowed from another thread.
void Drive(Side& self, Side& peer) {
  bool stdin_done = false;
  while (true) {
    {
      std::lock_guard lock(self.inbox.mu);
      if (!stdin_done && !self.inbox.data.empty()) {
        auto queued = self.process->QueueStdin(self.inbox.data, kMaxPendingStdin);
        if (queued || queued.error().code() != Error::Code::kResourceExhausted) {
          self.inbox.data.clear();
          if (!queued) stdin_done = true;  // it closed its stdin or stopped reading
        }
      }
      if (!stdin_done && self.inbox.close && self.inbox.data.empty()) {
        (void)self.process->CloseStdin();
        stdin_done = true;
      }
    }
    auto chunk = self.process->ReadOutput(std::nullopt);
    if (!chunk) {
      if (chunk.error().code() == Error::Code::kAborted) continue;  // woken for new input
      self.error = chunk.error();
      break;
    }
    const std::optional<OutputChunk> got = std::move(*chunk);
    if (!got) break;  // ended and drained
    const OutputChunk& piece = *got;
    if (piece.stream == OutputStream::kStderr) {
      Append(self.err, piece.data);
      continue;
    }
    Append(self.sent, piece.data);
    {
      std::lock_guard lock(peer.inbox.mu);
      peer.inbox.data += piece.data;
    }
    peer.process->Interrupt();
  }
  {
    std::lock_guard lock(peer.inbox.mu);
    peer.inbox.close = true;
  }
  peer.process->Interrupt();
}

RunResult Finish(Side& side, const RunLimits& limits) {
  RunResult result;
  auto status = side.process->Wait();
  if (!status || side.error) {
    result.verdict = Verdict::kInternalError;
    result.message = (side.error ? *side.error : status.error()).ToString();
    return result;
  }
  result.status = *status;
  result.verdict = Classify(result.status, limits);
  result.stdout_data = std::move(side.sent);
  result.stderr_data = std::move(side.err);
  return result;
}

}  // namespace

Result<InteractiveOutcome> RunInteractive(PreparedProgram& submission, PreparedProgram& interactor,
                                          std::string_view input, std::string_view expected) {
  RunInput helper_input;
  AddHelperTestFiles(input, expected, helper_input);
  helper_input.stdin_open = true;
  // The interactor first: the submission's clock starts only once its peer is there.
  CY_TRY(auto helper_run, interactor.Start(helper_input));
  RunInput program_input;
  program_input.stdin_open = true;
  CY_TRY(auto program_run, submission.Start(program_input));

  Side program;
  Side helper;
  program.process = &program_run->process();
  helper.process = &helper_run->process();
  std::thread helper_driver([&] { Drive(helper, program); });
  Drive(program, helper);
  helper_driver.join();

  InteractiveOutcome outcome;
  outcome.submission = Finish(program, submission.limits());
  outcome.interactor = Finish(helper, interactor.limits());
  if (auto collected = helper_run->Collect(); collected) {
    outcome.interactor.collected = std::move(*collected);
  } else {
    outcome.interactor.verdict = Verdict::kInternalError;
    outcome.interactor.message = "cannot read the feedback dir: " + collected.error().ToString();
  }
  return outcome;
}

}  // namespace codeyard::grading
