// Detachable terminal sessions (Pod::OpenSession) on real local pods: the shell lives in the
// pod's init, attachments come and go, several see the same output, the shell's exit reaches
// all of them, and neither a flooding shell nor a reader that stopped reading grows the init.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/local/local_pod.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

ExecSpec ShellSpec(TerminalSize size = {24, 80}) {
  ExecSpec spec;
  spec.argv = {"/bin/sh"};
  spec.tty = true;
  spec.stdin_open = true;
  spec.tty_size = size;
  spec.env["PS1"] = "$ ";
  spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
  spec.kill_on_output_limit = false;
  return spec;
}

SessionAttachment Open(Pod& pod, std::string_view name, const ExecSpec& spec = ShellSpec()) {
  auto attached = pod.OpenSession(name, spec);
  if (!attached) FAIL("OpenSession(" << name << "): " << attached.error().ToString());
  REQUIRE(attached->process);
  return std::move(*attached);
}

// Reads until `needle` shows up (the terminal echoes what is typed, so tests look for what
// only running a command prints, such as the result of $((...))).
std::string ReadUntil(Process& process, std::string_view needle, std::chrono::seconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string out;
  while (out.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) FAIL("no \"" << needle << "\" within the deadline; got: " << out);
    auto chunk = process.ReadOutput(left);
    if (!chunk && chunk.error().code() == Error::Code::kDeadlineExceeded) continue;
    REQUIRE(chunk.has_value());
    if (!*chunk) FAIL("the session ended before \"" << needle << "\"; got: " << out);
    out += (*chunk)->data;
  }
  return out;
}

// Everything up to the end of the stream.
std::string ReadToEnd(Process& process) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto chunk = process.ReadOutput(5s);
    if (!chunk && chunk.error().code() == Error::Code::kDeadlineExceeded) continue;
    REQUIRE(chunk.has_value());
    if (!*chunk) return out;
    out += (*chunk)->data;
  }
  FAIL("the session did not end; got: " << out);
  return out;
}

uint64_t RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  FAIL("no VmRSS for pid " << pid);
  return 0;
}

}  // namespace

TEST_CASE("a session outlives its attachment: reattaching finds the shell and its scrollback",
          "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  {
    SessionAttachment first = Open(*pod, "main");
    CHECK(first.started);
    REQUIRE(first.process->WriteStdin("export X=42; echo marker-$((40+1))\n").has_value());
    ReadUntil(*first.process, "marker-41");
  }  // detached: the shell keeps running

  SessionAttachment again = Open(*pod, "main");
  CHECK_FALSE(again.started);
  // The scrollback comes first: the earlier command's output is there before anything new.
  const std::string replay = ReadUntil(*again.process, "marker-41", 10s);
  CHECK_THAT(replay, Catch::Contains("export X=42"));
  REQUIRE(again.process->WriteStdin("echo \"x is [$X]\"\n").has_value());
  // Up to the prompt that follows, so that no output is pending for the reader below.
  ReadUntil(*again.process, "x is [42]\r\n$ ");

  // Interrupt wakes a reader blocked on another thread, as for an exec.
  auto blocked =
      std::async(std::launch::async, [&] { return again.process->ReadOutput(std::nullopt); });
  again.process->Interrupt();
  REQUIRE(blocked.wait_for(10s) == std::future_status::ready);
  const auto woken = blocked.get();
  REQUIRE_FALSE(woken.has_value());
  CHECK(woken.error().code() == Error::Code::kAborted);

  // Another name is another shell.
  SessionAttachment other = Open(*pod, "second");
  CHECK(other.started);
  REQUIRE(other.process->WriteStdin("echo \"other x [$X] $((6*7))\"\n").has_value());
  ReadUntil(*other.process, "other x [] 42");
}

// The server-restart case: the process that opened the session is SIGKILLed; the next
// process on the same state directory takes the pod over and finds the same shell.
TEST_CASE("a session outlives the process that opened it", "[executor][sessions][adopt]") {
  const std::string root = "/tmp/cy-session-" + NewUuid().substr(0, 8);
  const std::string uri = "local:?state_dir=" + root;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    ::close(ready[0]);
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(uri, BackendContext{});
    if (!executor) ::_exit(2);
    PodSpec spec = PodFixture::DefaultSpec();
    spec.survive_owner = true;
    auto pod = (*executor)->CreatePod(spec);
    if (!pod) ::_exit(3);
    auto session = (*pod)->OpenSession("main", ShellSpec());
    if (!session || !session->started) ::_exit(4);
    if (!session->process->WriteStdin("export X=42; echo before-$((40+1))\n")) ::_exit(5);
    std::string out;
    while (out.find("before-41") == std::string::npos) {
      auto chunk = session->process->ReadOutput(20s);
      if (!chunk || !*chunk) ::_exit(6);
      out += (*chunk)->data;
    }
    const std::string id = (*pod)->id() + "\n";
    (void)!::write(ready[1], id.data(), id.size());
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  std::string id;
  char buffer[128];
  for (ssize_t n; (n = ::read(ready[0], buffer, sizeof(buffer))) > 0;) {
    id.append(buffer, static_cast<size_t>(n));
    if (id.ends_with('\n')) break;
  }
  ::close(ready[0]);
  ::kill(owner, SIGKILL);
  int status = 0;
  ::waitpid(owner, &status, 0);
  REQUIRE(id.size() > 1);
  id.pop_back();

  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(uri, BackendContext{});
  REQUIRE(executor.has_value());
  auto pod = (*executor)->GetPod(id);
  REQUIRE(pod.has_value());
  SessionAttachment again = Open(**pod, "main");
  CHECK_FALSE(again.started);
  ReadUntil(*again.process, "before-41", 10s);  // the scrollback
  REQUIRE(again.process->WriteStdin("echo \"x is [$X]\"\n").has_value());
  ReadUntil(*again.process, "x is [42]");
  again.process.reset();
  REQUIRE((*executor)->DeletePod(id).has_value());
  executor->reset();
  std::filesystem::remove_all(root);
}

TEST_CASE("the scrollback is exactly the last 64 KiB of output", "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  std::string everything;
  {
    SessionAttachment first = Open(*pod, "ring");
    // ~190 KiB of numbered lines: the ring wraps about three times.
    REQUIRE(first.process->WriteStdin("seq 1 30000 | sed 's/$/ ----/'; echo end-$((1+1))\n")
                .has_value());
    everything = ReadUntil(*first.process, "end-2");
    // What follows the mark (the newline, the prompt) is in the ring too: wait for the prompt.
    const size_t mark = everything.find("end-2");
    while (everything.find("$ ", mark) == std::string::npos) {
      auto chunk = first.process->ReadOutput(10s);
      REQUIRE(chunk.has_value());
      REQUIRE(chunk->has_value());
      everything += (*chunk)->data;
    }
  }
  REQUIRE(everything.size() > 3 * 65536);
  SessionAttachment again = Open(*pod, "ring");
  std::string replay;
  while (replay.size() < 65536) {
    auto chunk = again.process->ReadOutput(10s);
    REQUIRE(chunk.has_value());
    REQUIRE(chunk->has_value());
    replay += (*chunk)->data;
  }
  CHECK(replay.size() == 65536);
  CHECK(replay == everything.substr(everything.size() - 65536));
}

TEST_CASE("two attachments see the same output and both can type", "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  SessionAttachment a = Open(*pod, "shared");
  SessionAttachment b = Open(*pod, "shared");
  CHECK(a.started);
  CHECK_FALSE(b.started);
  REQUIRE(a.process->WriteStdin("echo from-a-$((2*3))\n").has_value());
  ReadUntil(*a.process, "from-a-6");
  ReadUntil(*b.process, "from-a-6");
  REQUIRE(b.process->WriteStdin("echo from-b-$((2*4))\n").has_value());
  ReadUntil(*a.process, "from-b-8");
  ReadUntil(*b.process, "from-b-8");
  // QueueStdin goes the same way without blocking.
  REQUIRE(b.process->QueueStdin("echo queued-$((3*5))\n", 4096).has_value());
  ReadUntil(*a.process, "queued-15");
  ReadUntil(*b.process, "queued-15");
}

TEST_CASE("resizing from any attachment resizes the session's terminal", "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  SessionAttachment a = Open(*pod, "sized", ShellSpec({30, 100}));
  REQUIRE(a.process->WriteStdin("stty size; echo size-$((1+1))\n").has_value());
  CHECK_THAT(ReadUntil(*a.process, "size-2"), Catch::Contains("30 100"));
  SessionAttachment b = Open(*pod, "sized");
  REQUIRE(b.process->Resize({40, 120}).has_value());
  // The resize travels on b's stream, the command on a's: wait until the terminal has it.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool resized = false;
  for (int i = 0; !resized && std::chrono::steady_clock::now() < deadline; ++i) {
    const std::string mark = "probe-" + std::to_string(i) + "-$((1+1))";
    REQUIRE(a.process->WriteStdin("stty size; echo " + mark + "\n").has_value());
    const std::string done = "probe-" + std::to_string(i) + "-2";
    const std::string out = ReadUntil(*a.process, done);
    resized = out.find("40 120") != std::string::npos;
    // b must read too, or it would fall behind; what it reads is the same output.
    ReadUntil(*b.process, done);
  }
  CHECK(resized);
}

TEST_CASE("the shell's exit reaches every attachment, the next open starts a new shell",
          "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  SessionAttachment a = Open(*pod, "main");
  SessionAttachment b = Open(*pod, "main");
  REQUIRE(a.process->WriteStdin("export X=7\n").has_value());
  REQUIRE(a.process->WriteStdin("echo bye-$((3*3)); exit 3\n").has_value());
  CHECK_THAT(ReadToEnd(*a.process), Catch::Contains("bye-9"));
  CHECK_THAT(ReadToEnd(*b.process), Catch::Contains("bye-9"));
  for (Process* process : {a.process.get(), b.process.get()}) {
    auto status = process->Wait();
    REQUIRE(status.has_value());
    CHECK(status->exit_code == 3);
    CHECK_FALSE(status->signal);
    CHECK(process->WriteStdin("echo late\n").error().code() == Error::Code::kAborted);
    CHECK(process->Resize({10, 10}).error().code() == Error::Code::kFailedPrecondition);
  }

  SessionAttachment fresh = Open(*pod, "main");
  CHECK(fresh.started);
  REQUIRE(fresh.process->WriteStdin("echo \"x is [$X] $((2+2))\"\n").has_value());
  ReadUntil(*fresh.process, "x is [] 4");

  // A signal ends it the same way.
  REQUIRE(fresh.process->Signal(SIGKILL).has_value());
  auto killed = fresh.process->Wait();
  REQUIRE(killed.has_value());
  CHECK(killed->signal == SIGKILL);
  CHECK(fresh.process->Signal(SIGTERM).error().code() == Error::Code::kFailedPrecondition);
}

// The watcher's attach (Pod::JoinSession): a running session is joined like any attachment,
// scrollback first; with none of that name, or once its shell exited, the answer is
// kNotFound and no shell starts (the next open is the one that starts it).
TEST_CASE("joining attaches only to a running session and never starts one",
          "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  auto none = pod->JoinSession("main");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code() == Error::Code::kNotFound);
  CHECK(pod->JoinSession("BAD NAME").error().code() == Error::Code::kInvalidArgument);

  SessionAttachment a = Open(*pod, "main");
  CHECK(a.started);  // the failed joins left nothing running
  REQUIRE(a.process->WriteStdin("echo before-$((2*5))\n").has_value());
  ReadUntil(*a.process, "before-10");
  auto joined = pod->JoinSession("main");
  if (!joined) FAIL("JoinSession: " << joined.error().ToString());
  CHECK_FALSE(joined->started);
  ReadUntil(*joined->process, "before-10");  // the scrollback
  REQUIRE(a.process->WriteStdin("echo after-$((3*5))\n").has_value());
  ReadUntil(*joined->process, "after-15");  // live output

  REQUIRE(a.process->WriteStdin("exit\n").has_value());
  ReadToEnd(*a.process);
  ReadToEnd(*joined->process);
  CHECK(pod->JoinSession("main").error().code() == Error::Code::kNotFound);
  SessionAttachment fresh = Open(*pod, "main");
  CHECK(fresh.started);
}

TEST_CASE("deleting the pod ends its sessions' attachments", "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  SessionAttachment a = Open(*pod, "main");
  REQUIRE(a.process->WriteStdin("echo up-$((1+1))\n").has_value());
  ReadUntil(*a.process, "up-2");
  REQUIRE(f.executor().DeletePod(pod->id()).has_value());
  ReadToEnd(*a.process);
  auto status = a.process->Wait();
  REQUIRE(status.has_value());
  CHECK(status->signal == SIGKILL);
  CHECK(pod->OpenSession("main", ShellSpec()).error().code() == Error::Code::kFailedPrecondition);
}

TEST_CASE("a flooding shell with a reader that stopped reading grows nothing and blocks no one",
          "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  auto* local = dynamic_cast<local::LocalPod*>(pod.get());
  REQUIRE(local != nullptr);
  SessionAttachment stalled = Open(*pod, "flood");  // never reads until the end
  SessionAttachment reader = Open(*pod, "flood");
  const uint64_t rss_before = RssKb(local->init_pid());

  REQUIRE(reader.process->WriteStdin("yes flood-line-of-some-length\n").has_value());
  // 64 MiB through the init: a thousand times the scrollback, far past any queue.
  constexpr uint64_t kFlood = uint64_t{64} << 20;
  uint64_t received = 0;
  uint64_t rss_max = rss_before;
  uint64_t next_sample = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (received < kFlood) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("only " << received << " bytes came");
    auto chunk = reader.process->ReadOutput(10s);
    if (!chunk || !*chunk) FAIL("the reader's stream stopped after " << received << " bytes");
    received += (*chunk)->data.size();
    if (received >= next_sample) {
      rss_max = std::max(rss_max, RssKb(local->init_pid()));
      next_sample += uint64_t{1} << 20;
    }
  }
  // Bounds: a 64 KiB ring, a 64 KiB queue per attachment, a 64 KiB read buffer.
  INFO("init RSS before " << rss_before << " KiB, at most " << rss_max << " KiB during");
  CHECK(rss_max < rss_before + 4096);

  REQUIRE(reader.process->WriteStdin("\x03").has_value());
  REQUIRE(reader.process->WriteStdin("echo done-$((5*5))\n").has_value());
  ReadUntil(*reader.process, "done-25", 60s);

  // The stalled attachment, reading at last, is told it fell behind and catches up.
  const std::string caught_up = ReadUntil(*stalled.process, "done-25", 60s);
  CHECK_THAT(caught_up, Catch::Contains("output skipped"));
  CHECK(caught_up.size() < (uint64_t{2} << 20));
}

// Flow control: the shell waits for a reader that keeps up, so it loses nothing, while one
// that stopped reading holds the shell only for the hold time and is then skipped.
TEST_CASE("a reader that keeps up gets every byte, even beside one that stopped reading",
          "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  SessionAttachment stalled = Open(*pod, "exact");  // never reads
  SessionAttachment reader = Open(*pod, "exact");
  constexpr size_t kBytes = 8'000'000;
  REQUIRE(reader.process
              ->WriteStdin("head -c " + std::to_string(kBytes) +
                           " /dev/zero | tr '\\0' '\\132'; echo; echo end-$((1+1))\n")
              .has_value());
  std::string tail;
  size_t zs = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (tail.find("end-2") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("only " << zs << " bytes came");
    auto chunk = reader.process->ReadOutput(10s);
    if (!chunk || !*chunk) FAIL("the reader's stream stopped after " << zs << " bytes");
    // 'Z' (\132 to tr) appears nowhere in the command line the terminal echoes.
    for (const char c : (*chunk)->data) zs += c == 'Z' ? 1 : 0;
    CHECK((*chunk)->data.find("output skipped") == std::string::npos);
    tail += (*chunk)->data;
    if (tail.size() > 64) tail.erase(0, tail.size() - 64);
  }
  CHECK(zs == kBytes);
}

TEST_CASE("session names and specs are checked", "[executor][sessions]") {
  PodFixture f;
  auto pod = f.NewPod();
  const std::vector<std::string> bad_names = {
      "", "Main", "a/b", "with space", "tab\t", std::string(65, 'a'), std::string("nul\0x", 5)};
  for (const std::string& bad : bad_names) {
    auto refused = pod->OpenSession(bad, ShellSpec());
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  }
  ExecSpec no_tty = ShellSpec();
  no_tty.tty = false;
  CHECK(pod->OpenSession("main", no_tty).error().code() == Error::Code::kInvalidArgument);
  ExecSpec timed = ShellSpec();
  timed.wall_time_limit = 10s;
  CHECK(pod->OpenSession("main", timed).error().code() == Error::Code::kInvalidArgument);
  ExecSpec missing = ShellSpec();
  missing.argv = {"no-such-shell-xyz"};
  CHECK(pod->OpenSession("main", missing).error().code() == Error::Code::kNotFound);

  auto longest = pod->OpenSession(std::string(60, 'a') + ".b_-", ShellSpec());
  REQUIRE(longest.has_value());
  CHECK(longest->started);

  // A pod holds a bounded number of sessions.
  std::vector<SessionAttachment> held;
  Result<SessionAttachment> next = Fail(Error::Code::kInternal, "not tried");
  for (int i = 0; i < 16; ++i) {
    next = pod->OpenSession("s" + std::to_string(i), ShellSpec());
    if (!next) break;
    held.push_back(std::move(*next));
  }
  REQUIRE_FALSE(next.has_value());
  CHECK(next.error().code() == Error::Code::kResourceExhausted);
  CHECK(held.size() == 7);  // with the one above, eight
}
