// The terminal model (codeyard/terminals.hpp) over real services: Accounts for the tokens,
// Workspaces over a real local pod, no networking. The rules: viewers share one shell,
// read-only viewers cannot type, caps, token re-checks, files made in the terminal reach
// storage. With pods that hold sessions (a stand-in for codeyard-pod's, below) the shell
// lives in the pod: the replay comes from there, a process lets go of it when its last viewer
// leaves or it shuts down, and a second Terminals (another replica) shares it.
// Terminal rules are not storage rules: SQLite only.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "codeyard/accounts.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/terminals.hpp"
#include "codeyard/workspaces.hpp"
#include "services/must.hpp"
#include "services/terminal_viewer.hpp"
#include "storage/backend_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using codeyard::testing::Must;
using namespace std::chrono_literals;

namespace {

constexpr auto kDeadline = kTerminalDeadline;

// ---- a pod session stand-in -------------------------------------------------------------
// What codeyard-pod provides (Pod::OpenSession): one shell per name, its last 64 KiB of
// output, any number of attachments; an attachment reads the scrollback first, then live
// output, and destroying it leaves the shell running. Here the shell is a real Exec in the
// real pod, driven by a pump thread (a Process is driven by one thread at a time).

class FakeSession : public std::enable_shared_from_this<FakeSession> {
 public:
  explicit FakeSession(std::unique_ptr<Process> shell) : shell_(std::move(shell)) {
    pump_ = std::thread([this] { Pump(); });
  }
  ~FakeSession() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    shell_->Interrupt();
    pump_.join();
  }

  struct Attachment;
  std::unique_ptr<Process> Attach();

  int attachments() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(attached_.size());
  }
  bool ended() const {
    std::lock_guard lock(mu_);
    return ended_;
  }
  // Every attachment's next read fails, as when the connection to the pod breaks.
  void BreakAttachments();

 private:
  friend struct Attachment;
  struct Command {
    enum Kind { kInput, kResize, kSignal } kind;
    std::string input;
    TerminalSize size;
    int signal = 0;
  };

  void Push(Command c) {
    {
      std::lock_guard lock(mu_);
      inbox_.push_back(std::move(c));
    }
    shell_->Interrupt();
  }

  void Pump();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Process> shell_;  // pump thread only (Interrupt from any)
  std::string ring_;
  std::set<Attachment*> attached_;
  std::deque<Command> inbox_;
  bool ended_ = false;
  bool stop_ = false;
  ExitStatus status_;
  std::thread pump_;
};

struct FakeSession::Attachment : public Process {
  explicit Attachment(std::shared_ptr<FakeSession> owner) : s(std::move(owner)) {}
  ~Attachment() override {
    std::lock_guard lock(s->mu_);
    s->attached_.erase(this);
  }
  Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) override {
    std::unique_lock lock(s->mu_);
    const auto until = std::chrono::steady_clock::now() + timeout.value_or(1h);
    s->cv_.wait_until(lock, until,
                      [&] { return !queue.empty() || s->ended_ || interrupted || broken; });
    if (broken) return Fail(Error::Code::kUnavailable, "the connection to the pod broke");
    if (!queue.empty()) {
      OutputChunk chunk;
      chunk.data = std::move(queue.front());
      queue.pop_front();
      return std::optional<OutputChunk>(std::move(chunk));
    }
    if (s->ended_) return std::optional<OutputChunk>();
    if (interrupted) {
      interrupted = false;
      return Fail(Error::Code::kAborted, "interrupted");
    }
    return Fail(Error::Code::kDeadlineExceeded, "no output");
  }
  Result<void> WriteStdin(std::string_view data) override {
    s->Push({Command::kInput, std::string(data), {}, 0});
    return {};
  }
  Result<void> QueueStdin(std::string_view data, std::size_t /*max_pending*/) override {
    return WriteStdin(data);
  }
  Result<void> CloseStdin() override { return {}; }
  void Interrupt() override {
    std::lock_guard lock(s->mu_);
    interrupted = true;
    s->cv_.notify_all();
  }
  Result<void> Resize(TerminalSize size) override {
    s->Push({Command::kResize, {}, size, 0});
    return {};
  }
  Result<void> Signal(int signal) override {
    s->Push({Command::kSignal, {}, {}, signal});
    return {};
  }
  Result<ExitStatus> Wait() override {
    std::unique_lock lock(s->mu_);
    s->cv_.wait(lock, [&] { return s->ended_; });
    return s->status_;
  }

  std::shared_ptr<FakeSession> s;
  std::deque<std::string> queue;  // under s->mu_
  bool interrupted = false;
  bool broken = false;
};

void FakeSession::BreakAttachments() {
  std::lock_guard lock(mu_);
  for (Attachment* a : attached_) a->broken = true;
  cv_.notify_all();
}

std::unique_ptr<Process> FakeSession::Attach() {
  auto a = std::make_unique<Attachment>(shared_from_this());
  std::lock_guard lock(mu_);
  if (!ring_.empty()) a->queue.push_back(ring_);  // the scrollback first
  attached_.insert(a.get());
  return a;
}

void FakeSession::Pump() {
  for (;;) {
    std::deque<Command> commands;
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
      commands.swap(inbox_);
    }
    for (Command& c : commands) {
      if (c.kind == Command::kInput) (void)shell_->QueueStdin(c.input, std::size_t{1} << 20);
      if (c.kind == Command::kResize) (void)shell_->Resize(c.size);
      if (c.kind == Command::kSignal) (void)shell_->Signal(c.signal);
    }
    auto chunk = shell_->ReadOutput(200ms);
    if (!chunk) continue;  // interrupted or nothing yet
    if (!*chunk) break;
    std::lock_guard lock(mu_);
    ring_ += (*chunk)->data;
    if (ring_.size() > (std::size_t{64} << 10)) ring_.erase(0, ring_.size() - (64 << 10));
    for (Attachment* a : attached_) a->queue.push_back((*chunk)->data);
    cv_.notify_all();
  }
  (void)shell_->Signal(9);
  auto status = shell_->Wait();
  std::lock_guard lock(mu_);
  if (status) status_ = *status;
  ended_ = true;
  cv_.notify_all();
}

class SessionPod : public PodWrapper {
 public:
  using PodWrapper::PodWrapper;
  Result<SessionAttachment> OpenSession(std::string_view name, const ExecSpec& spec) override {
    std::lock_guard lock(mu_);
    opens++;
    auto& s = sessions[std::string(name)];
    SessionAttachment out;
    if (!s || s->ended()) {
      auto shell = target().Exec(spec);
      if (!shell) return Fail(shell.error());
      s = std::make_shared<FakeSession>(std::move(*shell));
      out.started = true;
    }
    out.process = s->Attach();
    return out;
  }
  Result<SessionAttachment> JoinSession(std::string_view name) override {
    std::lock_guard lock(mu_);
    joins++;
    const auto it = sessions.find(std::string(name));
    if (it == sessions.end() || it->second->ended()) {
      return Fail(Error::Code::kNotFound, "session " + std::string(name) + " is not running");
    }
    SessionAttachment out;
    out.process = it->second->Attach();
    return out;
  }
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FakeSession>> sessions;
  int opens = 0;
  int joins = 0;
};

// Wraps every pod of the target in one SessionPod per pod id (what the pod's own init
// would hold whoever asks).
class SessionExecutor : public ExecutorWrapper {
 public:
  using ExecutorWrapper::ExecutorWrapper;
  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    auto pod = target().CreatePod(spec);
    if (!pod) return pod;
    return Wrap(*pod);
  }
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override {
    auto pod = target().GetPod(id);
    if (!pod) return pod;
    return Wrap(*pod);
  }
  std::shared_ptr<SessionPod> Of(const std::string& id) {
    std::lock_guard lock(mu_);
    return pods_[id];
  }

 private:
  std::shared_ptr<Pod> Wrap(std::shared_ptr<Pod> pod) {
    std::lock_guard lock(mu_);
    auto& wrapped = pods_[pod->id()];
    if (!wrapped) wrapped = std::make_shared<SessionPod>(std::move(pod));
    return wrapped;
  }
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<SessionPod>> pods_;
};

// ---- the world and a viewer -------------------------------------------------------------

struct World {
  explicit World(bool sessions) : db(SqliteBackend::Create()) {
    Options o;
    o.storage = db->shared();
    platform = Must(Platform::Open(o));
    state_dir = std::filesystem::temp_directory_path() / ("cy-term-" + NewUuid().substr(0, 8));
    std::shared_ptr<Executor> local = Must(BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir.string(), BackendContext{}));
    if (sessions) {
      session_executor = std::make_shared<SessionExecutor>(local);
      executor = session_executor;
    } else {
      executor = local;
    }
    AccountsOptions ao;
    ao.secret = std::string(48, 's');
    ao.password_cost = kPasswordCostMinimum;
    accounts = std::make_unique<Accounts>(platform, ao);
    WorkspaceOptions wo;
    wo.sync_debounce = 100ms;
    files = std::make_unique<Files>(platform, wo.file_limits);
    workspaces = std::make_unique<Workspaces>(platform, executor, wo);
  }
  ~World() {
    workspaces.reset();
    session_executor.reset();
    executor.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }

  // A new user's session (its access token is what a hello carries).
  Session NewUser(const std::string& name) {
    (void)Must(accounts->Register({name, "correct horse battery", "", Role::kUser}));
    return Must(accounts->Login(name, "correct horse battery"));
  }
  std::string NewWorkspace(const Session& s, const std::string& name) {
    return Must(workspaces->Create(s.user.id, name)).id;
  }
  std::shared_ptr<Terminals> NewTerminals(TerminalOptions options = {}) {
    return std::make_unique<Terminals>(accounts, workspaces, std::move(options), nullptr);
  }

  std::unique_ptr<TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::filesystem::path state_dir;
  std::shared_ptr<SessionExecutor> session_executor;
  std::shared_ptr<Executor> executor;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Files> files;
  std::shared_ptr<Workspaces> workspaces;
};

using Viewer = TerminalViewer;

Viewer Open(Terminals& t, uint64_t id, const std::string& ws, const Session& s,
            bool readonly = false) {
  terminal::Hello hello;
  hello.token = s.access_token;
  hello.readonly = readonly;
  auto refused = t.Attach(id, ws, hello);
  if (refused) FAIL("attach refused: " << refused->code << " " << refused->reason);
  Viewer v{t, id};
  v.Running();
  return v;
}

uint16_t Refusal(Terminals& t, uint64_t id, const std::string& ws, const std::string& token) {
  terminal::Hello hello;
  hello.token = token;
  auto refused = t.Attach(id, ws, hello);
  REQUIRE(refused.has_value());
  return refused->code;
}

}  // namespace

TEST_CASE("terminals: viewers share one shell, read-only viewers cannot type", "[terminals]") {
  World w(false);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "shared");
  auto terminals = w.NewTerminals();

  Viewer writer = Open(*terminals, 1, ws, ada);
  CHECK(writer.Started());
  CHECK(writer.titles == std::vector<std::string>{"shared"});
  CHECK(
      writer.output.starts_with("\x1b"
                                "c"));
  writer.Type("export SHARED=yes\r");
  writer.Marker("first");

  Viewer watcher = Open(*terminals, 2, ws, ada, /*readonly=*/true);
  CHECK_FALSE(watcher.Started());
  CHECK(watcher.statuses.back().find("\"readonly\":true") != std::string::npos);
  // The scrollback: what the writer saw before the watcher came.
  CHECK(watcher.output.find("first_42") != std::string::npos);
  watcher.Type("echo watcher_typed_$((1+1))\r");
  const std::size_t w0 = writer.output.size();
  const std::size_t v0 = watcher.output.size();
  writer.Type("echo seen=${SHARED}\r");
  writer.Wait("seen=yes", w0);
  watcher.Wait("seen=yes", v0);
  CHECK(writer.output.find("watcher_typed_2") == std::string::npos);
  CHECK(terminals->viewers() == 2);
  CHECK(terminals->shells() == 1);
  CHECK(terminals->output_bytes() > 0);

  // The local pod holds the shell as a session: when the last viewer leaves, this process
  // lets its attachment go, and the shell waits in the pod for the next viewer.
  terminals->Detach(1);
  terminals->Detach(2);
  CHECK(terminals->shells() == 0);
  Viewer again = Open(*terminals, 3, ws, ada);
  CHECK_FALSE(again.Started());
  const std::size_t a0 = again.output.size();
  again.Type("echo again=$SHARED\r");
  again.Wait("again=yes", a0);
  terminals->Detach(3);
}

TEST_CASE("terminals: input typed just before the last viewer leaves still reaches the shell",
          "[terminals]") {
  // The driver takes a viewer's input from its inbox; the last viewer leaving lets go of the
  // pod's attachment. Input still in the inbox then went nowhere (found by stop 32's CI run:
  // a tab's last command lost). Each round types and leaves at once, the race as it happens.
  World w(false);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "typed-last");
  auto terminals = w.NewTerminals();
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    Viewer v = Open(*terminals, 100 + round, ws, ada);
    std::string input = "echo round_" + std::to_string(round) + " >> rounds.txt\r";
    if (round == kRounds - 1) {
      // More than the socket to the pod takes at once (900 KB, under max_pending_input): the
      // rest goes as the attachment detaches (LocalSession's destructor), then the line.
      // Last, as the next attachment's input may come between its pieces.
      std::string paste = "head -c 900000 > /dev/null\r";
      for (int line = 0; line < 9000; ++line) paste += std::string(99, 'p') + "\r";
      input = paste + input;
    }
    v.Type(input);
    terminals->Detach(100 + round);
  }
  // The rounds' attachments flush as they go, possibly after the next attach: ask until
  // every line is there (the deadline fails it when one was lost).
  Viewer v = Open(*terminals, 1, ws, ada);
  const std::string want = "count=" + std::to_string(1000 + kRounds);
  std::size_t asked_at = 0;
  auto last_ask = std::chrono::steady_clock::now() - 1s;
  v.Until(
      [&] {
        if (v.output.find(want, asked_at) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() - last_ask > 500ms) {
          asked_at = v.output.size();
          last_ask = std::chrono::steady_clock::now();
          v.Type("echo count=$(( $(cat rounds.txt | wc -l) + 1000 )); cat rounds.txt\r");
        }
        return false;
      },
      want);
  terminals->Detach(1);
}

TEST_CASE("terminals: bad tokens, other users' workspaces and viewer caps are refused",
          "[terminals]") {
  World w(false);
  const Session ada = w.NewUser("ada");
  const Session bob = w.NewUser("bob");
  const std::string ws = w.NewWorkspace(ada, "capped");
  const std::string other = w.NewWorkspace(ada, "other");
  TerminalOptions options;
  options.max_viewers_per_terminal = 2;
  options.max_viewers_per_user = 3;
  auto terminals = w.NewTerminals(options);

  CHECK(Refusal(*terminals, 1, ws, "not a token") == terminal::kCloseUnauthenticated);
  CHECK(Refusal(*terminals, 2, ws, bob.access_token) == terminal::kCloseNotFound);
  CHECK(Refusal(*terminals, 3, "no-such-workspace", ada.access_token) == terminal::kCloseNotFound);

  Viewer a = Open(*terminals, 10, ws, ada);
  Viewer b = Open(*terminals, 11, ws, ada, true);
  CHECK(Refusal(*terminals, 12, ws, ada.access_token) == terminal::kCloseLimit);
  CHECK(terminals->refused_per_terminal() == 1);
  Viewer c = Open(*terminals, 13, other, ada);
  CHECK(Refusal(*terminals, 14, other, ada.access_token) == terminal::kCloseLimit);
  CHECK(terminals->refused_per_user() == 1);
  // A viewer leaving frees its slot.
  terminals->Detach(11);
  Viewer d = Open(*terminals, 15, ws, ada);
  CHECK(terminals->viewers() == 3);
}

TEST_CASE("terminals: a revoked token closes its viewers with 4001", "[terminals]") {
  World w(false);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "revoked");
  TerminalOptions options;
  options.reauth_interval = 50ms;
  auto terminals = w.NewTerminals(options);
  Viewer v = Open(*terminals, 1, ws, ada);
  Must(w.accounts->Logout(ada.refresh_token));
  v.Until([&] { return v.closed.has_value(); }, "the close");
  CHECK(v.closed->code == terminal::kCloseUnauthenticated);
  CHECK(terminals->reauth_closed() == 1);
}

TEST_CASE("terminals: files made in the terminal reach storage", "[terminals]") {
  World w(false);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "files");
  auto terminals = w.NewTerminals();
  Viewer v = Open(*terminals, 1, ws, ada);
  v.Type("echo made > made.txt\r");
  // The line of output after the command asks for a debounced sync (100 ms here).
  v.Until(
      [&] {
        auto file = w.files->Read(ada.user.id, ws, "made.txt");
        return file.has_value() && file->content == "made\n";
      },
      "made.txt in storage");
}

TEST_CASE("terminals: a shell in a pod session is shared by processes and outlives them",
          "[terminals]") {
  World w(true);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "session");
  auto replica_a = w.NewTerminals();
  auto replica_b = w.NewTerminals();

  Viewer a = Open(*replica_a, 1, ws, ada);
  CHECK(a.Started());
  a.Type("export FROM_A=value-from-a\r");
  a.Marker("typed_on_a");
  auto pod = Must(w.workspaces->PodOf(ada.user.id, ws));
  auto sessions = w.session_executor->Of(pod->id());
  REQUIRE(sessions != nullptr);
  auto shell = sessions->sessions.at("terminal");

  // Another process attaches to the same shell through its own attachment, and gets the
  // pod's scrollback.
  Viewer b = Open(*replica_b, 2, ws, ada);
  CHECK_FALSE(b.Started());
  CHECK(shell->attachments() == 2);
  b.Wait("typed_on_a_42");
  const std::size_t b0 = b.output.size();
  const std::size_t a0 = a.output.size();
  b.Type("echo on_b=$FROM_A\r");
  b.Wait("on_b=value-from-a", b0);
  a.Wait("on_b=value-from-a", a0);  // A's viewer sees B's command: one shell

  // A's last viewer leaves: A lets go of its attachment, the shell goes on for B.
  replica_a->Detach(1);
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (shell->attachments() != 1) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
  CHECK(replica_a->shells() == 0);
  b.Marker("while_a_is_away");

  // A viewer back on A attaches again; its scrollback is the pod's (A kept none), so it has
  // what was typed while A had no attachment.
  Viewer a2 = Open(*replica_a, 3, ws, ada);
  CHECK_FALSE(a2.Started());
  a2.Wait("while_a_is_away_42");

  // Shutting a process down detaches: its viewers' shell keeps running in the pod.
  replica_a->CloseAll({terminal::kCloseGoingAway, "the server is shutting down"});
  replica_a->Shutdown();
  replica_b->CloseAll({terminal::kCloseGoingAway, "the server is shutting down"});
  replica_b->Shutdown();
  CHECK(shell->attachments() == 0);
  CHECK_FALSE(shell->ended());

  // A new process (a restarted server) resumes it, variables and scrollback kept.
  auto restarted = w.NewTerminals();
  Viewer c = Open(*restarted, 4, ws, ada);
  CHECK_FALSE(c.Started());
  c.Wait("while_a_is_away_42");
  const std::size_t c0 = c.output.size();
  c.Type("echo still=$FROM_A\r");
  c.Wait("still=value-from-a", c0);
  CHECK(sessions->sessions.size() == 1);  // never a second shell
  restarted->Detach(4);
  restarted->Shutdown();
}

// A watcher (another user the watch policy admits) on a process that holds no shell of the
// workspace joins the pod's session (Pod::JoinSession) read-only; it never opens one, so with
// the workspace stopped or its shell exited it gets 4003 and nothing starts.
TEST_CASE("terminals: a watcher joins the pod's shell from another process, never starting one",
          "[terminals]") {
  World w(true);
  const Session ada = w.NewUser("ada");
  const Session bob = w.NewUser("bob");
  const std::string ws = w.NewWorkspace(ada, "watched");
  auto replica_a = w.NewTerminals();
  auto replica_b = w.NewTerminals();
  for (auto* t : {replica_a.get(), replica_b.get()}) {
    t->SetWatchPolicy([id = bob.user.id](std::string_view user, std::string_view) -> Result<void> {
      if (user == id) return {};
      return Fail(Error::Code::kNotFound, "not shared with you");
    });
  }

  // Stopped: nothing to watch, and watching starts nothing.
  CHECK(Refusal(*replica_b, 1, ws, bob.access_token) == terminal::kCloseNotShared);
  CHECK(Must(w.workspaces->Get(ada.user.id, ws)).state == WorkspaceState::kStopped);
  CHECK(replica_b->viewers() == 0);

  Viewer a = Open(*replica_a, 2, ws, ada);
  CHECK(a.Started());
  a.Marker("before_watch");
  auto pod = Must(w.workspaces->PodOf(ada.user.id, ws));
  auto sessions = w.session_executor->Of(pod->id());
  REQUIRE(sessions != nullptr);
  auto shell = sessions->sessions.at("terminal");

  Viewer b = Open(*replica_b, 3, ws, bob);  // asks to write; a watcher never does
  CHECK_FALSE(b.Started());
  CHECK(b.statuses.back().find("\"readonly\":true") != std::string::npos);
  b.Wait("before_watch_42");  // the pod's scrollback
  const std::size_t b0 = b.output.size();
  a.Marker("live");
  b.Wait("live_42", b0);
  b.Type("echo from_bob_$((4*4))\r");
  REQUIRE_FALSE(
      replica_b->Receive(3, terminal::Message(terminal::kResize, R"({"cols":9,"rows":3})")));
  a.Marker("after_bob");
  CHECK(a.output.find("from_bob") == std::string::npos);
  // A second watcher on B shares B's attachment.
  Viewer b2 = Open(*replica_b, 4, ws, bob);
  b2.Wait("after_bob_42");
  CHECK(shell->attachments() == 2);
  CHECK(sessions->opens == 1);
  CHECK(sessions->joins == 1);

  // The shell exits: every viewer is told, and a watcher then finds nothing to join.
  a.Type("exit\r");
  a.Until([&] { return a.closed.has_value(); }, "a's close");
  b.Until([&] { return b.closed.has_value(); }, "b's close");
  CHECK(b.closed->code == terminal::kCloseNormal);
  replica_a->Detach(2);
  replica_b->Detach(3);
  replica_b->Detach(4);
  CHECK(Refusal(*replica_b, 5, ws, bob.access_token) == terminal::kCloseNotShared);
  CHECK(sessions->opens == 1);  // no shell started by a watcher
  CHECK(shell->ended());
  replica_a->Shutdown();
  replica_b->Shutdown();
}

TEST_CASE("terminals: concurrent attaches to one workspace open one attachment", "[terminals]") {
  World w(true);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "crowd");
  auto terminals = w.NewTerminals();
  constexpr int kViewers = 8;
  std::vector<std::optional<terminal::Close>> refused(kViewers);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kViewers; ++i) {
      threads.emplace_back([&, i] {
        terminal::Hello hello;
        hello.token = ada.access_token;
        refused[static_cast<std::size_t>(i)] =
            terminals->Attach(static_cast<uint64_t>(100 + i), ws, hello);
      });
    }
  }
  int started = 0;
  for (int i = 0; i < kViewers; ++i) {
    REQUIRE_FALSE(refused[static_cast<std::size_t>(i)].has_value());
    Viewer v{*terminals, static_cast<uint64_t>(100 + i)};
    v.Running();
    started += v.Started() ? 1 : 0;
  }
  CHECK(started == 1);
  CHECK(terminals->shells() == 1);
  auto pod = Must(w.workspaces->PodOf(ada.user.id, ws));
  auto sessions = w.session_executor->Of(pod->id());
  CHECK(sessions->opens == 1);
  CHECK(sessions->sessions.at("terminal")->attachments() == 1);
  for (int i = 0; i < kViewers; ++i) terminals->Detach(static_cast<uint64_t>(100 + i));
  terminals->Shutdown();
  CHECK(sessions->sessions.at("terminal")->attachments() == 0);
}

TEST_CASE("terminals: a lost attachment closes its viewers with 1011 and the shell goes on",
          "[terminals]") {
  World w(true);
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "lost");
  auto terminals = w.NewTerminals();
  Viewer v = Open(*terminals, 1, ws, ada);
  v.Type("export KEPT=across-the-loss\r");
  v.Marker("before_loss");
  auto pod = Must(w.workspaces->PodOf(ada.user.id, ws));
  auto shell = w.session_executor->Of(pod->id())->sessions.at("terminal");
  shell->BreakAttachments();
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (v.Pull(), !v.closed) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
  CHECK(v.closed->code == terminal::kCloseInternal);
  CHECK_FALSE(shell->ended());
  terminals->Detach(1);
  // The reconnect attaches again to the same shell.
  Viewer again = Open(*terminals, 2, ws, ada);
  CHECK_FALSE(again.Started());
  const std::size_t a0 = again.output.size();
  again.Type("echo kept=$KEPT\r");
  again.Wait("kept=across-the-loss", a0);
  terminals->Detach(2);
}
