// Run sessions (codeyard/run_session.hpp). Each run has a driver thread that owns its
// processes (the compiler, then the program: a Process is driven by one thread at a time);
// clients' input, resizes and stops reach it through an inbox and Process::Interrupt, and its
// output goes to the client's bounded queue. Flow control: while the client's queue is full
// the driver stops reading, so the program blocks on its writes to the terminal and nothing
// piles up (a `while True: print(1)` runs at the speed the browser shows it).
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "codeyard/id.hpp"
#include "core/run_session/run_session_impl.hpp"
#include "core/terminals/protocol.hpp"

namespace codeyard {
namespace {

using run_session_internal::Command;

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kReadTimeout{30000};
// A new run waits this long for the one it replaces to end (killed, then synced), so that
// the replaced run's exec slot is free again.
constexpr std::chrono::seconds kReplaceWait{15};
constexpr std::chrono::seconds kTouchEvery{30};

boost::json::value Optional(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::array Strings(const std::vector<std::string>& words) {
  boost::json::array out;
  for (const auto& w : words) out.emplace_back(w);
  return out;
}

// Output without a terminal (the compiler's) as a terminal shows it: "\n" starts a line.
std::string AsTerminalText(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 16);
  for (const char c : data) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

RunSessionOptions RunSessionOptionsFrom(const Config& config) {
  RunSessionOptions out;
  out.limits = WithTimeLimit(RunLimits{}, static_cast<double>(config.run_session_cpu_time_limit_s),
                             static_cast<double>(config.run_session_wall_time_limit_s));
  out.limits.output_bytes = static_cast<uint64_t>(config.run_session_output_limit_bytes);
  out.reauth_interval = std::chrono::seconds(config.terminal_reauth_interval_s);
  out.reconnect_grace = std::chrono::seconds(config.run_reconnect_grace_s);
  return out;
}

// ---- clients (any thread) -----------------------------------------------------------------

std::optional<terminal::Close> RunSessions::Impl::Start(uint64_t client,
                                                        std::string_view workspace_id,
                                                        const run_session::Hello& hello) {
  {
    std::lock_guard lock(mu_);
    if (closing_) return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  }
  if (hello.resume) return Reattach(client, workspace_id, hello);
  auto claims = accounts_.VerifyAccessToken(hello.token);
  if (!claims) return terminal::CloseFor(claims.error());
  auto plan = run_session::PlanFor(hello.path);
  if (!plan) return terminal::Close{terminal::kCloseInvalidPayload, plan.error().message()};
  if (auto ws = workspaces_.Get(claims->user_id, workspace_id); !ws) {
    return terminal::CloseFor(ws.error());
  }

  auto run = std::make_shared<Run>();
  run->id = hello.run_id.empty() ? NewUuid() : hello.run_id;
  run->client = client;
  run->workspace_id = std::string(workspace_id);
  run->user_id = claims->user_id;
  run->session_id = claims->session_id;
  run->plan = std::move(*plan);
  run->size = hello.size;
  {
    // One run per workspace: the one under way is stopped, and its end waited for, so that
    // its exec slot (exec.max_concurrent_per_workspace) is free for this one.
    std::unique_lock lock(mu_);
    ReapLocked();
    if (!hello.run_id.empty() && RunIdInUseLocked(hello.run_id)) {
      return terminal::Close{terminal::kClosePolicy, "the run id is in use: choose a new one"};
    }
    const auto it = by_workspace_.find(workspace_id);
    if (it != by_workspace_.end()) {
      std::shared_ptr<Run> old = it->second;
      StopLocked(*old, "replaced");
      changed_.wait_for(lock, kReplaceWait, [&] { return old->ended; });
    }
    Client& c = clients_[client];
    c.run = run;
    c.last = run;
  }

  const bool compiled = !run->plan.compile.empty();
  const ExecSpec spec = compiled ? CompileSpec(*run) : ProgramSpec(*run);
  auto started = workspaces_.Start(run->user_id, run->workspace_id, spec);
  if (!started) {
    std::lock_guard lock(mu_);
    if (auto it = clients_.find(client); it != clients_.end()) {
      it->second.run.reset();
      it->second.last.reset();  // nothing to reconnect to
    }
    // A page that reconnected meanwhile (it chose the id) holds the run now: it is told too.
    if (run->client != client) {
      if (auto it = clients_.find(run->client); it != clients_.end()) {
        it->second.run.reset();
        it->second.last.reset();
        CloseLocked(run->client, terminal::CloseFor(started.error()));
      }
    }
    run->ended = true;
    return terminal::CloseFor(started.error());
  }
  boost::json::object status{{"state", compiled ? "compiling" : "running"},
                             {"argv", Strings(spec.argv)},
                             {"command", run_session::ShellQuoted(spec.argv)},
                             {"path", hello.path},
                             {"run_id", run->id}};
  Emit(*run, terminal::StatusMessage(status));
  logger_->Info(
      "run started",
      {{"workspace_id", run->workspace_id}, {"path", hello.path}, {"pod", started->pod_id}});
  std::unique_lock lock(mu_);
  if (closing_) {  // Shutdown came while this started: it has no driver to stop
    lock.unlock();
    (void)started->process->Signal(SIGKILL);
    (void)started->process->Wait();
    started->process.reset();
    (void)started->finish();
    return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  }
  by_workspace_[run->workspace_id] = run;
  runs_.push_back(run);
  run->driver = std::thread(
      [this, run, first = std::make_shared<WorkspaceProcess>(std::move(*started))]() mutable {
        Drive(run, std::move(*first));
      });
  if (!clients_.contains(run->client)) StopLocked(*run, "disconnected");  // gone meanwhile
  return std::nullopt;
}

std::optional<terminal::Close> RunSessions::Impl::Receive(uint64_t client,
                                                          std::string_view message) {
  if (message.empty()) return terminal::Close{terminal::kCloseUnsupported, "empty message"};
  std::lock_guard lock(mu_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return std::nullopt;
  const std::string_view payload = message.substr(1);
  switch (message.front()) {
    case terminal::kPing:
      PushLocked(client, terminal::Message(terminal::kPong, payload));
      return std::nullopt;
    case run_session::kAck: {
      Client& c = it->second;
      std::size_t n = 0;
      for (const char d : payload) {
        if (d < '0' || d > '9' || n > (std::size_t{1} << 40)) {
          return terminal::Close{terminal::kCloseInvalidPayload, "an ack is a decimal byte count"};
        }
        n = n * 10 + static_cast<std::size_t>(d - '0');
      }
      const bool was_blocked = c.acks && c.unacked >= options_.client_window_bytes;
      c.acks = true;
      c.unacked -= std::min(n, c.unacked);
      if (was_blocked && !c.queue.empty()) {
        ready_.push_back(client);
        if (wake_) wake_();
      }
      return std::nullopt;
    }
    case terminal::kInput:
    case terminal::kResize:
    case run_session::kStop:
      break;
    default:
      return terminal::Close{terminal::kCloseUnsupported, "unknown message type"};
  }
  Run* run = it->second.run.get();
  if (run == nullptr || run->ended) return std::nullopt;
  if (message.front() == run_session::kStop) {
    StopLocked(*run, "stop");
    return std::nullopt;
  }
  Command command;
  if (message.front() == terminal::kResize) {
    auto size = terminal::ParseResize(payload);
    if (!size) return terminal::Close{terminal::kCloseInvalidPayload, size.error().message()};
    command.kind = Command::kResize;
    command.size = *size;
  } else {
    std::size_t pending = payload.size() + run->early_input.size();
    for (const Command& c : run->inbox) pending += c.input.size();
    if (pending > options_.max_pending_input) {
      return terminal::Close{terminal::kClosePolicy, "too much input waiting for the program"};
    }
    command.input = std::string(payload);
  }
  run->inbox.push_back(std::move(command));
  if (run->live != nullptr) run->live->Interrupt();
  changed_.notify_all();
  return std::nullopt;
}

TerminalOut RunSessions::Impl::Next(uint64_t client, bool* more) {
  std::lock_guard lock(mu_);
  *more = false;
  const auto it = clients_.find(client);
  if (it == clients_.end()) return std::monostate{};
  Client& c = it->second;
  if (c.queue.empty()) {
    if (!c.close) return std::monostate{};
    return *c.close;
  }
  // A client that acknowledges gets at most a window of output ahead of what it has shown,
  // so a Stop is not stuck behind megabytes on their way to it.
  if (c.acks && c.queue.front().front() == terminal::kOutput &&
      c.unacked >= options_.client_window_bytes) {
    return std::monostate{};
  }
  std::string message = std::move(c.queue.front());
  if (message.front() == terminal::kOutput) c.unacked += message.size() - 1;
  c.queue.pop_front();
  c.queued_bytes -= message.size();
  *more = !c.queue.empty() || c.close.has_value();
  changed_.notify_all();  // room again: a driver paused on this queue reads on
  return message;
}

void RunSessions::Impl::Detach(uint64_t client) {
  {
    std::lock_guard lock(mu_);
    const auto it = clients_.find(client);
    if (it == clients_.end() || it->second.detached_until) return;
    Client& c = it->second;
    // A run under way waits for a reconnect: its output goes on filling the queue (the program
    // blocks when it is full) and the log. So does an ended one, even once its close was handed
    // to the connection: handed is not delivered (a socket that dropped is often seen to drop
    // only on the write after), and a page reloaded as its run ends must still get the output
    // and the verdict.
    if (!closing_ && options_.reconnect_grace.count() > 0 && c.last) {
      c.detached_until = SteadyClock::now() + options_.reconnect_grace;
    } else {
      if (c.run) StopLocked(*c.run, "disconnected");
      clients_.erase(it);
      changed_.notify_all();
      return;
    }
  }
  reauth_.Poke();  // its wake time may be sooner now
}

bool RunSessions::Impl::RunIdInUseLocked(std::string_view run_id) const {
  for (const auto& run : runs_) {
    if (run->id == run_id) return true;
  }
  for (const auto& [id, c] : clients_) {
    if (c.last && c.last->id == run_id) return true;
  }
  return false;
}

std::optional<terminal::Close> RunSessions::Impl::Reattach(uint64_t client,
                                                           std::string_view workspace_id,
                                                           const run_session::Hello& hello) {
  auto claims = accounts_.VerifyAccessToken(hello.token);
  if (!claims) return terminal::CloseFor(claims.error());
  std::lock_guard lock(mu_);
  if (closing_) return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  // A run with a live connection is taken over too (a reload's new page may come before the
  // old page's socket is seen to close): the newest connection is the person's. A run past its
  // grace is gone.
  auto old = clients_.end();
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    const Client& c = it->second;
    if (it->first != client && c.last && c.last->id == hello.run_id &&
        c.last->workspace_id == workspace_id && c.last->user_id == claims->user_id) {
      old = it;
      break;
    }
  }
  if (old == clients_.end()) {
    return terminal::Close{terminal::kCloseNotFound,
                           "no such run: it ended, or was stopped when nobody reconnected"};
  }
  Client taken;
  taken.run = std::move(old->second.run);
  taken.last = std::move(old->second.last);
  taken.close = std::move(old->second.close);
  if (old->second.detached_until) {
    clients_.erase(old);
  } else {  // closed; it has no run any more, so its Detach frees it
    old->second.queue.clear();
    old->second.queued_bytes = 0;
    old->second.close.reset();
    CloseLocked(old->first,
                terminal::Close{terminal::kClosePolicy, "the run was taken over by another page"});
  }
  Run& run = *taken.last;
  if (hello.seen < run.log_first) {
    taken.queue.push_back(terminal::Message(
        terminal::kOutput, "\r\n[earlier output of this run is no longer kept]\r\n"));
  }
  for (uint64_t i = std::max(hello.seen, run.log_first) - run.log_first; i < run.log.size(); ++i) {
    taken.queue.push_back(run.log[i]);
  }
  for (const std::string& m : taken.queue) taken.queued_bytes += m.size();
  run.client = client;
  if (taken.run && !run.ended && run.stop_reason.empty()) {
    Command resize;
    resize.kind = Command::kResize;
    resize.size = hello.size;
    run.inbox.push_back(std::move(resize));
    if (run.live != nullptr) run.live->Interrupt();
  }
  const bool has_news = !taken.queue.empty() || taken.close.has_value();
  clients_[client] = std::move(taken);
  if (has_news) {
    ready_.push_back(client);
    if (wake_) wake_();
  }
  changed_.notify_all();
  logger_->Info("run reconnected", {{"workspace_id", run.workspace_id}, {"run_id", run.id}});
  return std::nullopt;
}

void RunSessions::Impl::CloseAll(const terminal::Close& close) {
  std::lock_guard lock(mu_);
  closing_ = true;
  for (auto& entry : clients_) {
    if (entry.second.run) StopLocked(*entry.second.run, "shutdown");
    CloseLocked(entry.first, close);
  }
}

void RunSessions::Impl::Shutdown() {
  reauth_.Stop();
  std::vector<std::shared_ptr<Run>> runs;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& run : runs_) StopLocked(*run, "shutdown");
    runs.swap(runs_);
    by_workspace_.clear();
  }
  for (auto& run : runs) {
    if (run->driver.joinable()) run->driver.join();
  }
}

std::size_t RunSessions::Impl::running() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& run : runs_) n += run->ended ? 0 : 1;
  return n;
}

void RunSessions::Impl::StopLocked(Run& run, std::string reason) {
  if (run.ended || !run.stop_reason.empty()) return;
  if (reason == "stop") {
    // Output still queued is dropped: after a flood the verdict would otherwise wait behind
    // up to a queue of it, and "at once" means the program's output stops now.
    if (auto it = clients_.find(run.client); it != clients_.end()) {
      Client& c = it->second;
      std::erase_if(c.queue, [&](const std::string& m) {
        if (m.front() != terminal::kOutput) return false;
        c.queued_bytes -= m.size();
        return true;
      });
    }
  }
  run.stop_reason = std::move(reason);
  if (run.live != nullptr) run.live->Interrupt();
  changed_.notify_all();
}

void RunSessions::Impl::ReapLocked() {
  std::erase_if(runs_, [](const std::shared_ptr<Run>& run) {
    if (!run->ended) return false;
    if (run->driver.joinable()) run->driver.join();  // it ends right after setting `ended`
    return true;
  });
}

void RunSessions::Impl::PushLocked(uint64_t id, std::string message) {
  const auto it = clients_.find(id);
  if (it == clients_.end() || it->second.close) return;
  Client& c = it->second;
  const bool was_empty = c.queue.empty();
  c.queued_bytes += message.size();
  c.queue.push_back(std::move(message));
  if (was_empty) {
    ready_.push_back(id);
    if (wake_) wake_();
  }
}

void RunSessions::Impl::EmitLocked(Run& run, std::string message) {
  run.log_bytes += message.size();
  run.log.push_back(message);
  while (run.log_bytes > options_.client_queue_bytes && run.log.size() > 1) {
    run.log_bytes -= run.log.front().size();
    run.log.pop_front();
    ++run.log_first;
  }
  PushLocked(run.client, std::move(message));
}

void RunSessions::Impl::Emit(Run& run, std::string message) {
  std::lock_guard lock(mu_);
  EmitLocked(run, std::move(message));
}

void RunSessions::Impl::EmitOutput(Run& run, std::string_view data) {
  std::lock_guard lock(mu_);
  // Read before a Stop but emitted after it: dropped like the output StopLocked dropped, so
  // nothing of the program's follows a Stop, and nothing sits ahead of the verdict waiting
  // for acks a stopping page no longer sends.
  if (!run.stop_reason.empty()) return;
  while (!data.empty()) {
    const std::size_t n = std::min(options_.max_frame_bytes, data.size());
    EmitLocked(run, terminal::Message(terminal::kOutput, data.substr(0, n)));
    data.remove_prefix(n);
  }
}

void RunSessions::Impl::CloseLocked(uint64_t id, terminal::Close close) {
  const auto it = clients_.find(id);
  if (it == clients_.end() || it->second.close) return;
  it->second.close = std::move(close);
  ready_.push_back(id);
  if (wake_) wake_();
}

// ---- the driver thread ----------------------------------------------------------------------

ExecSpec RunSessions::Impl::CompileSpec(const Run& run) const {
  ExecSpec spec;
  spec.argv = run.plan.compile;
  spec.cpu_time_limit = run.plan.compile_limits.cpu_time;
  spec.wall_time_limit = run.plan.compile_limits.wall_time;
  spec.output_limit_bytes = run.plan.compile_limits.output_bytes;
  spec.kill_on_output_limit = true;
  return spec;
}

ExecSpec RunSessions::Impl::ProgramSpec(const Run& run) const {
  ExecSpec spec;
  spec.argv = run.plan.run;
  spec.tty = true;
  spec.tty_size = run.size;
  spec.stdin_open = true;
  spec.env["TERM"] = "xterm-256color";
  ApplyRunLimits(options_.limits, spec);
  return spec;
}

Result<ExitStatus> RunSessions::Impl::Pump(Run& run, Process& process, bool tty) {
  auto last_touch = SteadyClock::now();
  bool killed = false;
  for (;;) {
    std::vector<Command> commands;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      // Paused while the client's queue is full (it still reads the queue, or goes away).
      changed_.wait(lock, [&] {
        const auto it = clients_.find(run.client);
        return !run.stop_reason.empty() || !run.inbox.empty() || it == clients_.end() ||
               it->second.queued_bytes < options_.client_queue_bytes;
      });
      commands.swap(run.inbox);
      stop = !run.stop_reason.empty();
      if (!tty) {  // typed while compiling: kept for the program
        std::erase_if(commands, [&](Command& c) {
          if (c.kind != Command::kInput) return false;
          run.early_input += c.input;
          return true;
        });
      }
    }
    if (stop && !killed) {
      (void)process.Signal(SIGKILL);  // the whole process group, at once
      killed = true;
    }
    for (Command& c : commands) {
      if (!tty && c.kind == Command::kResize) run.size = c.size;  // for the program, after
      if (!tty || killed) continue;
      if (c.kind == Command::kResize) {
        (void)process.Resize(c.size);
      } else if (auto queued = process.QueueStdin(c.input, options_.max_pending_input); !queued) {
        logger_->Warn("run input dropped",
                      {{"workspace_id", run.workspace_id}, {"error", queued.error().message()}});
      }
      if (SteadyClock::now() - last_touch > kTouchEvery) {
        workspaces_.Touch(run.workspace_id);  // a person typing is activity
        last_touch = SteadyClock::now();
      }
    }
    auto chunk = process.ReadOutput(kReadTimeout);
    if (!chunk) {
      const Error::Code code = chunk.error().code();
      if (code == Error::Code::kAborted || code == Error::Code::kDeadlineExceeded) continue;
      return Fail(chunk.error());
    }
    const std::optional<OutputChunk>& out = *chunk;
    if (!out) break;
    if (!killed) EmitOutput(run, tty ? out->data : AsTerminalText(out->data));
  }
  return process.Wait();
}

void RunSessions::Impl::Drive(const std::shared_ptr<Run>& run, WorkspaceProcess first) {
  const auto exited = [&](std::string_view phase, const Result<ExitStatus>& status,
                          const ExecSpec& spec) {
    boost::json::object s{{"state", "exited"}, {"phase", phase}};
    std::string stop_reason;
    {
      std::lock_guard lock(mu_);
      stop_reason = run->stop_reason;
    }
    if (!status) {
      s["verdict"] = "internal_error";
      s["message"] = status.error().message();
    } else {
      Verdict verdict = Classify(*status, spec);
      if (phase == "compile" && verdict != Verdict::kOk) verdict = Verdict::kCompileError;
      s["verdict"] = stop_reason.empty() ? std::string(VerdictName(verdict)) : "stopped";
      if (!stop_reason.empty()) s["reason"] = stop_reason;
      s["exit_code"] = Optional(status->exit_code);
      s["signal"] = Optional(status->signal);
      s["cpu_ms"] = status->cpu_ms;
      s["wall_ms"] = status->wall_ms;
      s["memory_kb"] = status->memory_kb;
    }
    Emit(*run, terminal::StatusMessage(s));
    return status && stop_reason.empty() && status->exit_code == 0;
  };
  const auto finish = [&](WorkspaceProcess& p) {
    p.process.reset();
    if (auto synced = p.finish(); !synced) {
      logger_->Warn("sync after a run failed",
                    {{"workspace_id", run->workspace_id}, {"error", synced.error().message()}});
    }
  };

  terminal::Close close{terminal::kCloseNormal, "the program ended"};
  const bool compiled = !run->plan.compile.empty();
  bool go_on = true;
  if (compiled) {
    {
      std::lock_guard lock(mu_);
      run->live = first.process.get();
    }
    const ExecSpec spec = CompileSpec(*run);
    auto status = Pump(*run, *first.process, false);
    {
      std::lock_guard lock(mu_);
      run->live = nullptr;
    }
    const bool ok = status && status->exit_code == 0 && !status->output_truncated;
    std::string stop_reason;
    {
      std::lock_guard lock(mu_);
      stop_reason = run->stop_reason;
    }
    if (!ok || !stop_reason.empty()) {
      exited("compile", status, spec);
      go_on = false;
    }
    finish(first);
  }
  if (go_on) {
    const ExecSpec spec = ProgramSpec(*run);
    Result<WorkspaceProcess> program =
        compiled ? workspaces_.Start(run->user_id, run->workspace_id, spec) : std::move(first);
    if (!program) {
      close = terminal::CloseFor(program.error());
    } else {
      if (compiled) {
        boost::json::object s{{"state", "running"},
                              {"argv", Strings(spec.argv)},
                              {"command", run_session::ShellQuoted(spec.argv)}};
        Emit(*run, terminal::StatusMessage(s));
      }
      {
        std::lock_guard lock(mu_);
        run->live = program->process.get();
        if (!run->early_input.empty()) {  // what was typed while it compiled comes first
          Command early;
          early.input = std::move(run->early_input);
          run->early_input.clear();
          run->inbox.insert(run->inbox.begin(), std::move(early));
        }
      }
      auto status = Pump(*run, *program->process, true);
      {
        std::lock_guard lock(mu_);
        run->live = nullptr;
      }
      exited("run", status, spec);
      finish(*program);
    }
  }
  std::lock_guard lock(mu_);
  if (const std::optional<terminal::Close>& ended = run->close) close = *ended;
  CloseLocked(run->client, std::move(close));
  if (auto it = clients_.find(run->client); it != clients_.end() && it->second.run == run) {
    it->second.run.reset();
  }
  if (auto it = by_workspace_.find(run->workspace_id);
      it != by_workspace_.end() && it->second == run) {
    by_workspace_.erase(it);
  }
  run->ended = true;
  changed_.notify_all();
}

// ---- RunSessions ------------------------------------------------------------------------------

RunSessions::RunSessions(std::shared_ptr<Accounts> accounts, std::shared_ptr<Workspaces> workspaces,
                         RunSessionOptions options, std::shared_ptr<Logger> logger)
    : accounts_(std::move(accounts)),
      workspaces_(std::move(workspaces)),
      impl_(std::make_unique<Impl>(*accounts_, *workspaces_, options, std::move(logger))) {}

RunSessions::~RunSessions() { Shutdown(); }

void RunSessions::SetWake(std::function<void()> wake) { impl_->SetWake(std::move(wake)); }
std::vector<uint64_t> RunSessions::TakeReady() { return impl_->TakeReady(); }
std::optional<terminal::Close> RunSessions::Start(uint64_t client, std::string_view workspace_id,
                                                  const run_session::Hello& hello) {
  return impl_->Start(client, workspace_id, hello);
}
std::optional<terminal::Close> RunSessions::Receive(uint64_t client, std::string_view message) {
  return impl_->Receive(client, message);
}
TerminalOut RunSessions::Next(uint64_t client, bool* more) { return impl_->Next(client, more); }
void RunSessions::Detach(uint64_t client) { impl_->Detach(client); }
void RunSessions::CloseAll(const terminal::Close& close) { impl_->CloseAll(close); }
void RunSessions::Shutdown() { impl_->Shutdown(); }
std::size_t RunSessions::running() const { return impl_->running(); }
uint64_t RunSessions::revoked() const { return impl_->revoked(); }

void RunSessions::RecheckLogins() { impl_->RecheckLogins(); }

}  // namespace codeyard
