// The IDE's interactive Run (codeyard/run_session.hpp) over real services: Accounts for the
// tokens, Workspaces over a real local pod, no networking. The rules: what runs comes from the
// language table (C compiled into /tmp first, a compile error labelled so), the program reads
// what the client types, a stop kills its whole process group at once, the run_session limits
// apply, a new run replaces the one under way, and only the owner may run. Not storage rules:
// SQLite only.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "codeyard/accounts.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/run_session.hpp"
#include "codeyard/workspaces.hpp"
#include "services/must.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kDeadline = 30s;

struct World {
  // Real Accounts (the run checks tokens and logins), so not WorkspaceWorld's rows; its
  // platform and executor.
  World()
      : db(SqliteBackend::Create()),
        platform(OpenTestPlatform(*db, nullptr)),
        executor(OpenLocalExecutor("cy-run-", &state_dir)) {
    AccountsOptions ao;
    ao.secret = std::string(48, 's');
    ao.password_cost = kPasswordCostMinimum;
    accounts = std::make_shared<Accounts>(platform, ao);
    WorkspaceOptions wo;
    files = std::make_shared<Files>(platform, wo.file_limits);
    workspaces = std::make_shared<Workspaces>(platform, executor, wo);
  }
  ~World() {
    workspaces.reset();
    executor.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }

  Session NewUser(const std::string& name) {
    (void)Must(accounts->Register({name, "correct horse battery", "", Role::kUser}));
    return Must(accounts->Login(name, "correct horse battery"));
  }
  std::string NewWorkspace(const Session& s, const std::string& name) {
    return Must(workspaces->Create(s.user.id, name)).id;
  }
  void Put(const Session& s, const std::string& ws, const std::string& path,
           const std::string& text) {
    (void)Must(files->Write(s.user.id, ws, path, text));
  }
  std::unique_ptr<RunSessions> NewRuns(RunSessionOptions options = {}) {
    return std::make_unique<RunSessions>(accounts, workspaces, std::move(options), nullptr);
  }

  std::unique_ptr<TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::filesystem::path state_dir;
  std::shared_ptr<Executor> executor;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Files> files;
  std::shared_ptr<Workspaces> workspaces;
};

// A run connection played without networking: pulls what RunSessions queued for it.
struct Client {
  RunSessions& runs;
  uint64_t id;
  std::string output;
  std::vector<std::string> statuses;
  std::optional<terminal::Close> closed;
  uint64_t messages = 0;  // output and status messages: what a reconnect says it has seen

  void Pull() {
    for (;;) {
      bool more = false;
      TerminalOut out = runs.Next(id, &more);
      if (auto* m = std::get_if<std::string>(&out)) {
        if (m->front() == terminal::kOutput) output += m->substr(1);
        if (m->front() == terminal::kStatus) statuses.push_back(m->substr(1));
        if (m->front() == terminal::kOutput || m->front() == terminal::kStatus) ++messages;
      } else if (auto* c = std::get_if<terminal::Close>(&out)) {
        closed = *c;
        return;
      } else {
        return;
      }
    }
  }
  template <class F>
  void Until(F done, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (Pull(), !done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        FAIL("run: " << what << " not seen; closed=" << (closed ? closed->code : 0)
                     << " statuses=" << statuses.size() << " output tail: "
                     << output.substr(output.size() > 300 ? output.size() - 300 : 0));
      }
      std::this_thread::sleep_for(5ms);
    }
  }
  void Wait(const std::string& needle) {
    Until([&] { return output.find(needle) != std::string::npos; }, needle);
  }
  // Waits for the close; returns the last status (the verdict).
  std::string Verdict() {
    Until([&] { return closed.has_value(); }, "the close");
    REQUIRE_FALSE(statuses.empty());
    return statuses.back();
  }
  void Type(const std::string& input) {
    REQUIRE_FALSE(runs.Receive(id, terminal::Message(terminal::kInput, input)).has_value());
  }
  void Stop() { REQUIRE_FALSE(runs.Receive(id, std::string(1, run_session::kStop)).has_value()); }
};

Client Start(RunSessions& runs, uint64_t id, const std::string& ws, const Session& s,
             const std::string& path) {
  run_session::Hello hello;
  hello.token = s.access_token;
  hello.path = path;
  auto refused = runs.Start(id, ws, hello);
  if (refused) FAIL("run refused: " << refused->code << " " << refused->reason);
  return Client{runs, id, {}, {}, {}};
}

// The first status's run id.
std::string RunId(const Client& c) {
  REQUIRE_FALSE(c.statuses.empty());
  const std::string key = R"("run_id":")";
  const auto at = c.statuses.front().find(key);
  REQUIRE(at != std::string::npos);
  const auto from = at + key.size();
  return c.statuses.front().substr(from, c.statuses.front().find('"', from) - from);
}

std::optional<terminal::Close> Reattach(RunSessions& runs, uint64_t id, const std::string& ws,
                                        const Session& s, const std::string& run_id,
                                        uint64_t seen) {
  run_session::Hello hello;
  hello.token = s.access_token;
  hello.run_id = run_id;
  hello.resume = true;
  hello.seen = seen;
  return runs.Start(id, ws, hello);
}

uint16_t Refusal(RunSessions& runs, uint64_t id, const std::string& ws, const std::string& token,
                 const std::string& path) {
  run_session::Hello hello;
  hello.token = token;
  hello.path = path;
  auto refused = runs.Start(id, ws, hello);
  REQUIRE(refused.has_value());
  runs.Detach(id);
  return refused->code;
}

// Waits (to the deadline) for every run of `runs` to have ended.
bool NoneRunning(const RunSessions& runs) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (runs.running() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  return runs.running() == 0;
}

bool Has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("run session: what runs comes from the language table", "[run_session]") {
  const auto py = Must(run_session::PlanFor("src/main.py"));
  CHECK(py.compile.empty());
  CHECK(py.run == std::vector<std::string>{"python3", "src/main.py"});
  const auto c = Must(run_session::PlanFor("my prog.c"));
  REQUIRE_FALSE(c.compile.empty());
  CHECK(c.compile.front() == "gcc");
  CHECK(std::find(c.compile.begin(), c.compile.end(), "my prog.c") != c.compile.end());
  CHECK(std::find(c.compile.begin(), c.compile.end(), std::string(run_session::kBinary)) !=
        c.compile.end());
  CHECK(c.run == std::vector<std::string>{std::string(run_session::kBinary)});
  CHECK(Must(run_session::PlanFor("a.cpp")).compile.front() == "g++");
  CHECK_FALSE(run_session::PlanFor("notes.txt"));
  CHECK_FALSE(run_session::PlanFor("Makefile"));

  CHECK(run_session::ShellQuoted({"gcc", "-o", "/tmp/x", "my prog.c", "it's.c", "-lm"}) ==
        "gcc -o /tmp/x 'my prog.c' 'it'\\''s.c' -lm");
  CHECK(run_session::ShellQuoted({"echo", "$(rm -rf)", ""}) == "echo '$(rm -rf)' ''");

  CHECK(run_session::ParseHello(R"({"token":"t","path":"./a/b.py","cols":100,"rows":30})"));
  const auto hello = Must(run_session::ParseHello(R"({"token":"t","path":"a/b.py"})"));
  CHECK(hello.path == "a/b.py");
  CHECK_FALSE(run_session::ParseHello(R"({"token":"t","path":"../x.py"})"));
  CHECK_FALSE(run_session::ParseHello(R"({"token":"t"})"));
  CHECK_FALSE(run_session::ParseHello(R"({"path":"a.py"})"));
  CHECK_FALSE(run_session::ParseHello(R"({"token":"t","path":"a.py","cols":0})"));
  CHECK_FALSE(run_session::ParseHello("not json"));
  // A new run may carry the id its client chose (a UUID); a run id without a path reconnects.
  const auto chosen = Must(run_session::ParseHello(
      R"({"token":"t","path":"a.py","run_id":"0b5c2a36-8f0e-4c53-9d3e-2f3e6a1b7c90"})"));
  CHECK_FALSE(chosen.resume);
  CHECK(chosen.run_id == "0b5c2a36-8f0e-4c53-9d3e-2f3e6a1b7c90");
  CHECK_FALSE(run_session::ParseHello(R"({"token":"t","path":"a.py","run_id":"mine"})"));
  const auto back = Must(run_session::ParseHello(R"({"token":"t","run_id":"r1","seen":3})"));
  CHECK(back.resume);
  CHECK(back.seen == 3);
}

TEST_CASE("run session: a program reads what is typed and prints the sum", "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "sum");
  w.Put(ada, ws, "sum.py",
        "a = int(input('a? '))\nb = int(input('b? '))\nprint('sum', a + b)\n"
        "open('out.txt', 'w').write(str(a + b))\n");
  auto runs = w.NewRuns();
  Client c = Start(*runs, 1, ws, ada, "sum.py");
  c.Wait("a? ");
  CHECK(Has(c.statuses.front(), R"("state":"running")"));
  CHECK(Has(c.statuses.front(), R"("command":"python3 sum.py")"));
  c.Type("20\r");
  c.Wait("b? ");
  c.Type("22\r");
  const std::string verdict = c.Verdict();
  CHECK(Has(c.output, "sum 42"));
  CHECK(Has(verdict, R"("verdict":"ok")"));
  CHECK(Has(verdict, R"("exit_code":0)"));
  CHECK(Has(verdict, R"("cpu_ms":)"));
  CHECK(Has(verdict, R"("memory_kb":)"));
  CHECK(c.closed->code == terminal::kCloseNormal);
  // What the program wrote is stored once the run ended.
  CHECK(Must(w.files->Read(ada.user.id, ws, "out.txt")).content == "42");
  runs->Detach(1);
}

TEST_CASE("run session: stop kills the whole process group at once", "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "loop");
  w.Put(ada, ws, "loop.py",
        "import subprocess\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "open('/tmp/child.pid', 'w').write(str(child.pid))\n"
        "while True: print(1)\n");
  auto runs = w.NewRuns();
  Client c = Start(*runs, 1, ws, ada, "loop.py");
  c.Wait("1\r\n1\r\n1\r\n");
  const auto stopped_at = std::chrono::steady_clock::now();
  c.Stop();
  const std::string verdict = c.Verdict();
  CHECK(std::chrono::steady_clock::now() - stopped_at < kDeadline);
  CHECK(Has(verdict, R"("verdict":"stopped")"));
  CHECK(Has(verdict, R"("reason":"stop")"));
  CHECK(Has(verdict, R"("signal":9)"));
  // The program's child went with it.
  ExecSpec probe_spec;
  probe_spec.argv = {"sh", "-c",
                     "pid=$(cat /tmp/child.pid); if kill -0 $pid 2>/dev/null && ! grep -q "
                     "'^State:.*Z' /proc/$pid/status; then echo alive; else echo gone; fi"};
  const auto probe = Must(w.workspaces->Exec(ada.user.id, ws, probe_spec));
  CHECK(probe.stdout_data == "gone\n");
  CHECK(runs->running() == 0);
}

// The page stops acknowledging output once Stop is pressed (what still arrives is not shown).
// Output the program wrote as the Stop came must not then sit ahead of the verdict, held
// back by the window forever: the verdict comes, and no output after the Stop.
TEST_CASE("run session: a stop during a flood reaches a client that no longer acknowledges",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "flood");
  w.Put(ada, ws, "loop.py", "while True: print(1)\n");
  RunSessionOptions options;
  options.client_window_bytes = 4096;              // a small window, soon full
  options.client_queue_bytes = 256 * 1024 * 1024;  // so the driver reads on, never paused
  auto runs = w.NewRuns(options);
  for (uint64_t id = 1; id <= 8; ++id) {
    Client c = Start(*runs, id, ws, ada, "loop.py");
    REQUIRE_FALSE(runs->Receive(id, std::string(1, run_session::kAck) + "0").has_value());
    c.Wait("1\r\n1\r\n1\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * id));  // the flood under way
    c.Stop();
    const std::size_t shown = c.output.size();
    const std::string verdict = c.Verdict();
    CHECK(Has(verdict, R"("reason":"stop")"));
    CHECK(c.output.size() == shown);  // nothing of the program's after the Stop
    runs->Detach(id);
  }
}

TEST_CASE("run session: C is compiled in /tmp first, and a compile error says so",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "c");
  w.Put(ada, ws, "bad.c", "int main(void) {\n  return x;\n}\n");
  w.Put(ada, ws, "good.c",
        "#include <stdio.h>\nint main(void) { int a, b; scanf(\"%d %d\", &a, &b); "
        "printf(\"sum %d\\n\", a + b); return 0; }\n");
  auto runs = w.NewRuns();

  Client bad = Start(*runs, 1, ws, ada, "bad.c");
  const std::string verdict = bad.Verdict();
  CHECK(Has(bad.statuses.front(), R"("state":"compiling")"));
  CHECK(Has(bad.statuses.front(), R"("command":"gcc -O2)"));
  CHECK(Has(verdict, R"("phase":"compile")"));
  CHECK(Has(verdict, R"("verdict":"compile_error")"));
  CHECK(Has(bad.output, "bad.c:2:"));  // the compiler's output, lines as a terminal shows them
  CHECK(Has(bad.output, "\r\n"));
  runs->Detach(1);

  Client good = Start(*runs, 2, ws, ada, "good.c");
  good.Until([&] { return good.statuses.size() >= 2; }, "the running status");
  CHECK(Has(good.statuses[1], R"("command":"/tmp/codeyard-run")"));
  good.Type("40 2\r");
  const std::string ok = good.Verdict();
  CHECK(Has(good.output, "sum 42"));
  CHECK(Has(ok, R"("verdict":"ok")"));
  // The program was built outside the workspace: nothing new among the person's files.
  CHECK_FALSE(w.files->Read(ada.user.id, ws, std::string(kCompiledBinary)));
  runs->Detach(2);
}

TEST_CASE("run session: limits, replacement and who may run", "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const Session bob = w.NewUser("bob");
  const std::string ws = w.NewWorkspace(ada, "limits");
  w.Put(ada, ws, "spin.py", "while True: pass\n");
  w.Put(ada, ws, "wait.py", "input('waiting')\n");
  w.Put(ada, ws, "notes.txt", "hello\n");
  RunSessionOptions options;
  options.limits = WithTimeLimit(RunLimits{}, 1, 20);
  options.reconnect_grace = 0ms;  // the client going away stops its run at once
  auto runs = w.NewRuns(options);

  CHECK(Refusal(*runs, 1, ws, "not a token", "spin.py") == terminal::kCloseUnauthenticated);
  CHECK(Refusal(*runs, 2, ws, bob.access_token, "spin.py") == terminal::kCloseNotFound);
  CHECK(Refusal(*runs, 3, "no-such-workspace", ada.access_token, "spin.py") ==
        terminal::kCloseNotFound);
  CHECK(Refusal(*runs, 4, ws, ada.access_token, "notes.txt") == terminal::kCloseInvalidPayload);

  // The CPU limit of run_session.cpu_time_limit_s.
  Client spin = Start(*runs, 5, ws, ada, "spin.py");
  CHECK(Has(spin.Verdict(), R"("verdict":"time_limit_exceeded")"));
  runs->Detach(5);

  // A new run of the workspace replaces the one under way.
  Client first = Start(*runs, 6, ws, ada, "wait.py");
  first.Wait("waiting");
  Client second = Start(*runs, 7, ws, ada, "wait.py");
  CHECK(Has(first.Verdict(), R"("reason":"replaced")"));
  second.Wait("waiting");
  CHECK(runs->running() == 1);
  // The client going away stops its run.
  runs->Detach(7);
  CHECK(NoneRunning(*runs));
  runs->Detach(6);
}

TEST_CASE("run session: a revoked login stops its run with 4001, other logins run on",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const Session ada_elsewhere = Must(w.accounts->Login("ada", "correct horse battery"));
  const std::string ws = w.NewWorkspace(ada, "revoked");
  const std::string other = w.NewWorkspace(ada, "other");
  w.Put(ada, ws, "wait.py", "input('waiting')\n");
  w.Put(ada, other, "echo.py", "print('got', input('name? '))\n");
  RunSessionOptions options;
  options.reauth_interval = 50ms;
  auto runs = w.NewRuns(options);
  Client revoked = Start(*runs, 1, ws, ada, "wait.py");
  Client live = Start(*runs, 2, other, ada_elsewhere, "echo.py");
  revoked.Wait("waiting");
  live.Wait("name? ");

  Must(w.accounts->Logout(ada.refresh_token));
  const std::string verdict = revoked.Verdict();
  CHECK(Has(verdict, R"("verdict":"stopped")"));
  CHECK(Has(verdict, R"("reason":"revoked")"));
  CHECK(revoked.closed->code == terminal::kCloseUnauthenticated);
  CHECK(runs->revoked() == 1);

  // The pass that stopped the first run checked the second too: its login is live.
  live.Type("ada\r");
  CHECK(Has(live.Verdict(), R"("verdict":"ok")"));
  CHECK(Has(live.output, "got ada"));
  CHECK(live.closed->code == terminal::kCloseNormal);
  CHECK(runs->revoked() == 1);
  runs->Detach(1);
  runs->Detach(2);
}

TEST_CASE("run session: a reconnect takes the run over and gets the output it missed",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const Session bob = w.NewUser("bob");
  const std::string ws = w.NewWorkspace(ada, "reconnect");
  w.Put(ada, ws, "count.py",
        "import time\nfor i in range(30):\n    print('line', i)\n    time.sleep(0.02)\n"
        "print('name?', flush=True)\nprint('got', input())\n");
  auto runs = w.NewRuns();
  Client first = Start(*runs, 1, ws, ada, "count.py");
  first.Wait("line 3\r\n");
  const std::string run_id = RunId(first);
  runs->Detach(1);  // the socket dropped: the run goes on
  CHECK(runs->running() == 1);

  // Nobody else takes it over: another user, another workspace, an unknown id.
  CHECK(Reattach(*runs, 2, ws, bob, run_id, 0)->code == terminal::kCloseNotFound);
  CHECK(Reattach(*runs, 3, "other", ada, run_id, 0)->code == terminal::kCloseNotFound);
  CHECK(Reattach(*runs, 4, ws, ada, "no-such-run", 0)->code == terminal::kCloseNotFound);

  // The same page reconnecting: what it had, then what it missed, then live output, each once.
  REQUIRE_FALSE(Reattach(*runs, 5, ws, ada, run_id, first.messages).has_value());
  Client second{*runs, 5, first.output, first.statuses, {}, first.messages};
  second.Wait("name?");
  for (int i = 0; i < 30; ++i) {
    const std::string line = "line " + std::to_string(i) + "\r\n";
    const auto at = second.output.find(line);
    CHECK(at != std::string::npos);
    CHECK(second.output.find(line, at + 1) == std::string::npos);
  }
  // A reloaded page (seen 0) gets all of it again, even before its old connection is seen to
  // go: that one is closed.
  REQUIRE_FALSE(Reattach(*runs, 7, ws, ada, run_id, 0).has_value());
  second.Until([&] { return second.closed.has_value(); }, "the close of the page taken over");
  CHECK(second.closed->code == terminal::kClosePolicy);
  runs->Detach(5);
  Client reloaded{*runs, 7, {}, {}, {}, 0};
  reloaded.Wait("line 29\r\n");
  CHECK(Has(reloaded.output, "line 0\r\n"));
  CHECK(Has(reloaded.statuses.front(), run_id));
  reloaded.Type("ada\r");
  CHECK(Has(reloaded.Verdict(), R"("verdict":"ok")"));
  CHECK(Has(reloaded.output, "got ada"));
  runs->Detach(7);
}

// A close handed to the connection is not a close delivered: a socket that dropped is often
// seen to drop only after the end was queued on it. The page reloaded then still gets it all.
TEST_CASE("run session: a run that ended as its socket dropped is reconnected with its verdict",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "ended");
  w.Put(ada, ws, "short.py", "print('all', 'done')\n");
  auto runs = w.NewRuns();
  Client first = Start(*runs, 1, ws, ada, "short.py");
  CHECK(Has(first.Verdict(), R"("verdict":"ok")"));  // everything, the close too, was handed over
  const std::string run_id = RunId(first);
  runs->Detach(1);

  REQUIRE_FALSE(Reattach(*runs, 2, ws, ada, run_id, 0).has_value());
  Client back{*runs, 2, {}, {}, {}, 0};
  CHECK(Has(back.Verdict(), R"("verdict":"ok")"));
  CHECK(Has(back.output, "all done"));
  CHECK(back.closed->code == terminal::kCloseNormal);
  CHECK(NoneRunning(*runs));
  runs->Detach(2);
  // Someone else still does not find it.
  const Session bob = w.NewUser("bob");
  CHECK(Reattach(*runs, 3, ws, bob, run_id, 0)->code == terminal::kCloseNotFound);
}

// The page chooses the run's id, so a socket that drops before anything came back (the first
// status included) still leads back to the run.
TEST_CASE("run session: a run whose id the client chose is reconnected before its first status",
          "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "chosen");
  w.Put(ada, ws, "hello.py", "print('name?', flush=True)\nprint('hi', input())\n");
  auto runs = w.NewRuns();
  const std::string run_id = NewUuid();
  run_session::Hello hello;
  hello.token = ada.access_token;
  hello.path = "hello.py";
  hello.run_id = run_id;
  REQUIRE_FALSE(runs->Start(1, ws, hello).has_value());
  runs->Detach(1);  // dropped before reading anything

  // The id is taken: a new run naming it is refused, whoever asks.
  auto again = runs->Start(2, ws, hello);
  REQUIRE(again.has_value());
  CHECK(again->code == terminal::kClosePolicy);
  runs->Detach(2);

  REQUIRE_FALSE(Reattach(*runs, 3, ws, ada, run_id, 0).has_value());
  Client back{*runs, 3, {}, {}, {}, 0};
  back.Wait("name?");
  CHECK(Has(back.statuses.front(), run_id));
  back.Type("ada\r");
  CHECK(Has(back.Verdict(), R"("verdict":"ok")"));
  CHECK(Has(back.output, "hi ada"));
  runs->Detach(3);
}

TEST_CASE("run session: a run nobody reconnects to is stopped after the grace", "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "grace");
  w.Put(ada, ws, "wait.py", "input('waiting')\n");
  RunSessionOptions options;
  options.reconnect_grace = 300ms;
  auto runs = w.NewRuns(options);
  Client c = Start(*runs, 1, ws, ada, "wait.py");
  c.Wait("waiting");
  const std::string run_id = RunId(c);
  runs->Detach(1);
  CHECK(NoneRunning(*runs));
  CHECK(Reattach(*runs, 2, ws, ada, run_id, 0)->code == terminal::kCloseNotFound);

  // A grace of 0: the run stops as soon as its client goes.
  options.reconnect_grace = 0ms;
  auto at_once = w.NewRuns(options);
  Client d = Start(*at_once, 3, ws, ada, "wait.py");
  d.Wait("waiting");
  at_once->Detach(3);
  CHECK(NoneRunning(*at_once));
}

TEST_CASE("run session: input typed while C compiles reaches the program", "[run_session]") {
  World w;
  const Session ada = w.NewUser("ada");
  const std::string ws = w.NewWorkspace(ada, "early");
  // Three hundred functions for gcc -O2: a compile that outlasts the typing right after Start
  // by far, so the input surely comes while it runs.
  std::string source = "#include <stdio.h>\n";
  for (int i = 0; i < 300; ++i) {
    source += "int f" + std::to_string(i) + "(int x) { return x * " + std::to_string(i) +
              " + (x >> 3) - (x ^ " + std::to_string(i * 7) + "); }\n";
  }
  source +=
      "int main(void) { int a, b; scanf(\"%d %d\", &a, &b); printf(\"sum %d\\n\", a + b); "
      "return 0; }\n";
  w.Put(ada, ws, "sum.c", source);
  auto runs = w.NewRuns();
  Client c = Start(*runs, 1, ws, ada, "sum.c");
  c.Type("40 2\r");  // before the compiler is done: its status says it is still compiling
  c.Pull();
  CHECK(c.statuses.size() == 1);
  CHECK(Has(c.statuses.front(), R"("state":"compiling")"));
  CHECK(Has(c.Verdict(), R"("verdict":"ok")"));
  CHECK(Has(c.output, "sum 42"));
  runs->Detach(1);
}
