// The executor conformance suite: what every backend promises through Executor, Pod and
// Process, run against each entry of a table of backend factories: the local sandbox, the
// in-memory fake, and the Kubernetes backend against codeyard-kube-fake. Commands are
// kept to what the fake's interpreter knows (echo, cat, true, false, sh -c 'exit N',
// sh -c 'CMD > FILE'), so a real shell and the fake give the same answers.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/agent_fixture.hpp"
#include "executor/pod_fixture.hpp"
#include "kube/executor_fake_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

// One backend under test: opens executors that share one state (as replicas on one host
// share a local state directory), and tears it all down at the end.
class Backend {
 public:
  virtual ~Backend() = default;
  // Another executor on the same state as the first.
  [[nodiscard]] virtual std::shared_ptr<Executor> Open() = 0;
  [[nodiscard]] virtual PodSpec Spec() const { return PodFixture::DefaultSpec(); }
};

class LocalBackend : public Backend {
 public:
  std::shared_ptr<Executor> Open() override {
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(fixture_.uri(), {});
    REQUIRE(executor.has_value());
    return *executor;
  }
  ~LocalBackend() override {
    // survive_owner pods outlive their executors: end every pod of the state before it goes.
    auto executor = Open();
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
  }

 private:
  PodFixture fixture_;
};

class FakeBackend : public Backend {
 public:
  std::shared_ptr<Executor> Open() override {
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor("fake:?name=" + name_, {});
    REQUIRE(executor.has_value());
    return *executor;
  }

 private:
  std::string name_ = "conformance-" + NewUuid();
};

// `k8s:` against codeyard-kube-fake (a real API server on loopback whose pods are local
// sandbox pods running the freshly built codeyard-pod as their container's init); executors
// share it as replicas share a cluster.
class KubeBackend : public Backend {
 public:
  std::shared_ptr<Executor> Open() override {
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
        fake_.Uri("&pod_binary=" + KubeFake::BinDir() + "/codeyard-pod"), {});
    REQUIRE(executor.has_value());
    return *executor;
  }
  ~KubeBackend() override {
    auto executor = Open();
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
  }

 private:
  KubeFake fake_;
};

// The local pod as a container, its init `codeyard-pod container`, reached only through
// `codeyard-pod agent` streams (AgentPod, agent_fixture.hpp): what the Kubernetes backend does.
class AgentBackend : public Backend {
 public:
  std::shared_ptr<Executor> Open() override {
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
        AgentLocalUri(fixture_.state_dir().string()), {});
    REQUIRE(executor.has_value());
    return MakeAgentExecutor(*executor);
  }
  ~AgentBackend() override {
    auto executor = Open();
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
  }

 private:
  PodFixture fixture_;
};

struct BackendRow {
  const char* name;
  std::function<std::unique_ptr<Backend>()> make;
};

const std::vector<BackendRow>& Backends() {
  static const std::vector<BackendRow> rows = {
      {"local", [] { return std::unique_ptr<Backend>(std::make_unique<LocalBackend>()); }},
      {"fake", [] { return std::unique_ptr<Backend>(std::make_unique<FakeBackend>()); }},
      {"agent", [] { return std::unique_ptr<Backend>(std::make_unique<AgentBackend>()); }},
      {"k8s", [] { return std::unique_ptr<Backend>(std::make_unique<KubeBackend>()); }},
  };
  return rows;
}

// Picks each backend in turn (one run of the test case per row).
const BackendRow& EachBackend() {
  const auto index = GENERATE(range(size_t{0}, Backends().size()));
  const BackendRow& row = Backends().at(index);
  INFO("backend: " << row.name);
  return row;
}

// Picks each backend that runs real programs in turn: all but the in-memory fake, whose
// interpreter knows a few commands and has no memory to exhaust.
const BackendRow& EachProgramBackend() {
  const auto index =
      GENERATE(filter([](size_t i) { return std::string_view(Backends().at(i).name) != "fake"; },
                      range(size_t{0}, Backends().size())));
  return Backends().at(index);
}

std::shared_ptr<Pod> MustCreate(Executor& executor, const PodSpec& spec) {
  auto pod = executor.CreatePod(spec);
  if (!pod) FAIL("CreatePod: " << pod.error().ToString());
  return *pod;
}

}  // namespace

TEST_CASE("conformance: exec runs argv with stdin and reports the exit code",
          "[executor][conformance]") {
  const BackendRow& row = EachBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  auto pod = MustCreate(*executor, backend->Spec());
  CHECK(pod->Info().phase == PodPhase::kRunning);

  const Ran echo = RunIn(*pod, {"echo", "hello", "pod"});
  CHECK(echo.out == "hello pod\n");
  CHECK(echo.status.exit_code == 0);
  CHECK(RunIn(*pod, {"false"}).status.exit_code == 1);
  CHECK(RunIn(*pod, {"sh", "-c", "exit 7"}).status.exit_code == 7);
  CHECK(RunIn(*pod, {"cat"}, "fed on stdin").out == "fed on stdin");

  // stdin kept open, written, then closed.
  ExecSpec open;
  open.argv = {"cat"};
  open.stdin_open = true;
  auto process = pod->Exec(open);
  REQUIRE(process.has_value());
  REQUIRE((*process)->WriteStdin("line one\n").has_value());
  REQUIRE((*process)->CloseStdin().has_value());
  std::string out;
  while (true) {
    auto chunk = (*process)->ReadOutput(std::nullopt);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  CHECK(out == "line one\n");
  CHECK((*process)->Wait()->exit_code == 0);
  CHECK((*process)->WriteStdin("late").error().code() == Error::Code::kFailedPrecondition);

  ExecSpec bad;
  CHECK(pod->Exec(bad).error().code() == Error::Code::kInvalidArgument);
  bad.argv = {"true"};
  bad.cwd = "relative";
  CHECK(pod->Exec(bad).error().code() == Error::Code::kInvalidArgument);
  bad.argv = {"no-such-program-here"};
  bad.cwd = "/workspace";
  CHECK(pod->Exec(bad).error().code() == Error::Code::kNotFound);
}

TEST_CASE("conformance: workspace files are put, read, listed and deleted",
          "[executor][conformance]") {
  const BackendRow& row = EachBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  auto pod = MustCreate(*executor, backend->Spec());

  const std::vector<FileData> files = {
      {"top.txt", FileKind::kFile, "top\n", 0644, {}},
      {"dir/sub/deep.txt", FileKind::kFile, "deep\n", 0600, {}},
  };
  REQUIRE(pod->PutFiles(files).has_value());
  const std::vector<std::string> paths = {"top.txt", "dir/sub/deep.txt"};
  auto got = pod->GetFiles(paths);
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 2);
  CHECK(got->at(0).content == "top\n");
  CHECK(got->at(1).content == "deep\n");
  CHECK(got->at(1).mode == 0600);
  // Exec sees what PutFiles wrote, and PutFiles' reader sees what exec wrote.
  CHECK(RunIn(*pod, {"cat", "dir/sub/deep.txt"}).out == "deep\n");
  CHECK(RunIn(*pod, {"sh", "-c", "echo from exec > made.txt"}).status.exit_code == 0);
  const std::vector<std::string> made = {"made.txt"};
  CHECK(pod->GetFiles(made)->at(0).content == "from exec\n");

  auto listed = pod->ListFiles({});
  REQUIRE(listed.has_value());
  std::vector<std::string> listed_paths;
  for (const auto& entry : *listed) listed_paths.push_back(entry.path);
  CHECK(std::is_sorted(listed_paths.begin(), listed_paths.end()));
  const auto top = std::find_if(listed->begin(), listed->end(),
                                [](const FileEntry& e) { return e.path == "top.txt"; });
  REQUIRE(top != listed->end());
  CHECK(top->kind == FileKind::kFile);
  CHECK(top->size == 4);
  CHECK(top->sha256 == Sha256Hex("top\n"));
  const auto dir = std::find_if(listed->begin(), listed->end(),
                                [](const FileEntry& e) { return e.path == "dir/sub"; });
  REQUIRE(dir != listed->end());
  CHECK(dir->kind == FileKind::kDirectory);
  ListFilesOptions under;
  under.under = "dir";
  auto in_dir = pod->ListFiles(under);
  REQUIRE(in_dir.has_value());
  CHECK_FALSE(in_dir->empty());
  for (const auto& entry : *in_dir) CHECK(entry.path.starts_with("dir/"));

  const std::vector<std::string> missing = {"nope.txt"};
  CHECK(pod->GetFiles(missing).error().code() == Error::Code::kNotFound);
  const std::vector<std::string> gone = {"dir", "nope.txt"};
  REQUIRE(pod->DeleteFiles(gone).has_value());
  const std::vector<std::string> deep = {"dir/sub/deep.txt"};
  CHECK(pod->GetFiles(deep).error().code() == Error::Code::kNotFound);
  CHECK(pod->GetFiles(made).has_value());
}

TEST_CASE("conformance: a put over the workspace cap is refused", "[executor][conformance]") {
  const BackendRow& row = EachBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  PodSpec spec = backend->Spec();
  spec.limits.workspace_bytes = uint64_t{1} << 20;
  auto pod = MustCreate(*executor, spec);
  CHECK(pod->Info().spec.limits.workspace_bytes == spec.limits.workspace_bytes);
  CHECK(pod->Info().spec.limits.memory_bytes == spec.limits.memory_bytes);
  const std::vector<FileData> big = {
      {"big.bin", FileKind::kFile, std::string(size_t{2} << 20, 'x'), 0644, {}}};
  CHECK(pod->PutFiles(big).error().code() == Error::Code::kResourceExhausted);
}

TEST_CASE("conformance: pods are found by id and label, and deleted", "[executor][conformance]") {
  const BackendRow& row = EachBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  PodSpec a = backend->Spec();
  a.labels["role"] = "a";
  PodSpec b = backend->Spec();
  b.labels["role"] = "b";
  auto pod_a = MustCreate(*executor, a);
  auto pod_b = MustCreate(*executor, b);
  auto only_a = executor->ListPods({{"role", "a"}});
  REQUIRE(only_a.has_value());
  REQUIRE(only_a->size() == 1);
  CHECK(only_a->front().id == pod_a->id());
  CHECK(only_a->front().spec.labels.at("role") == "a");
  CHECK(executor->ListPods({{"role", "c"}})->empty());
  CHECK(executor->GetPod(pod_b->id()).value()->id() == pod_b->id());

  REQUIRE(executor->DeletePod(pod_a->id()).has_value());
  CHECK(executor->GetPod(pod_a->id()).error().code() == Error::Code::kNotFound);
  CHECK(executor->DeletePod(pod_a->id()).error().code() == Error::Code::kNotFound);
  CHECK(executor->ListPods({{"role", "a"}})->empty());
  CHECK(pod_a->Info().phase == PodPhase::kTerminated);
  ExecSpec spec;
  spec.argv = {"true"};
  CHECK(pod_a->Exec(spec).error().code() == Error::Code::kFailedPrecondition);
  CHECK(RunIn(*pod_b, {"true"}).status.exit_code == 0);
}

TEST_CASE("conformance: a survive_owner pod is shared by executors and outlives its creator",
          "[executor][conformance]") {
  const BackendRow& row = EachBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto creator = backend->Open();
  auto other = backend->Open();
  PodSpec spec = backend->Spec();
  spec.survive_owner = true;
  spec.labels["shared"] = "yes";
  auto pod = MustCreate(*creator, spec);
  const std::string id = pod->id();
  CHECK(RunIn(*pod, {"sh", "-c", "echo by the creator > note.txt"}).status.exit_code == 0);

  auto reached = other->GetPod(id);
  REQUIRE(reached.has_value());
  CHECK(RunIn(**reached, {"cat", "note.txt"}).out == "by the creator\n");
  REQUIRE(other->ListPods({{"shared", "yes"}})->size() == 1);

  // The creator goes (its handles with it): the pod stays for the other executor.
  pod.reset();
  creator.reset();
  auto again = other->GetPod(id);
  REQUIRE(again.has_value());
  CHECK(RunIn(**again, {"cat", "note.txt"}).out == "by the creator\n");
  REQUIRE(other->DeletePod(id).has_value());
  CHECK(other->GetPod(id).error().code() == Error::Code::kNotFound);
}

TEST_CASE("conformance: a process over the pod's memory limit is oom_killed",
          "[executor][conformance]") {
  const BackendRow& row = EachProgramBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  PodSpec spec = backend->Spec();
  spec.limits.memory_bytes = uint64_t{128} << 20;
  auto pod = MustCreate(*executor, spec);
  const Ran hog = RunIn(*pod, {"python3", "-c", "b = b'x' * (1 << 30)\nprint('survived')"});
  CHECK(hog.status.signal == SIGKILL);
  CHECK(hog.status.oom_killed);
  CHECK(hog.out.empty());
  // A program that ends by itself is not counted.
  CHECK_FALSE(RunIn(*pod, {"true"}).status.oom_killed);
}

TEST_CASE("conformance: a terminal session over the pod's memory limit exits oom_killed",
          "[executor][conformance]") {
  const BackendRow& row = EachProgramBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  PodSpec spec = backend->Spec();
  spec.limits.memory_bytes = uint64_t{128} << 20;
  auto pod = MustCreate(*executor, spec);
  ExecSpec shell;
  shell.tty = true;
  shell.stdin_open = true;
  shell.argv = {"python3", "-c", "b = b'x' * (1 << 30)\nprint('survived')"};
  auto hog = pod->OpenSession("hog", shell);
  REQUIRE(hog.has_value());
  const auto hog_exit = hog->process->Wait();
  REQUIRE(hog_exit.has_value());
  CHECK(hog_exit->signal == SIGKILL);
  CHECK(hog_exit->oom_killed);
  // A session killed by a signal, not by the kernel for memory, is not counted.
  shell.argv = {"sleep", "60"};
  auto sleeper = pod->OpenSession("sleeper", shell);
  REQUIRE(sleeper.has_value());
  REQUIRE(sleeper->process->Signal(SIGKILL).has_value());
  const auto killed = sleeper->process->Wait();
  REQUIRE(killed.has_value());
  CHECK(killed->signal == SIGKILL);
  CHECK_FALSE(killed->oom_killed);
}

TEST_CASE("conformance: an image the backend cannot serve is refused by CheckImage",
          "[executor][conformance]") {
  // The in-memory fake runs no image, so it accepts every name (the interface's default).
  const BackendRow& row = EachProgramBackend();
  INFO("backend: " << row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  CHECK(executor->CheckImage("").has_value());  // the backend's default image
  const auto unknown = executor->CheckImage("no-such-image");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == Error::Code::kInvalidArgument);
  CHECK_THAT(unknown.error().message(), Catch::Contains("\"no-such-image\""));
  // A name that is no image name at all is refused the same way.
  CHECK(executor->CheckImage("../etc").error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("conformance: the pod's CPU counter holds what ran, what runs and what was left",
          "[executor][conformance][meter20]") {
  // meter20 (Pod::CpuMs): the in-memory fake has no counter (kUnimplemented, the default).
  const BackendRow& row = EachProgramBackend();
  CAPTURE(row.name);
  auto backend = row.make();
  auto executor = backend->Open();
  auto pod = MustCreate(*executor, backend->Spec());
  const auto counter = [&] {
    auto cpu = pod->CpuMs();
    if (!cpu) FAIL("CpuMs: " << cpu.error().ToString());
    return *cpu;
  };
  const int64_t before = counter();
  CHECK(before >= 0);
  const Ran busy =
      RunIn(*pod, {"python3", "-c", "import time\nwhile time.process_time() < 0.3:\n    pass\n"});
  REQUIRE(busy.status.exit_code == 0);
  const int64_t after_run = counter();
  // The process's own rusage, once: not the agent's time, nor the init's.
  CHECK(after_run - before >= busy.status.cpu_ms);
  CHECK(after_run - before <= busy.status.cpu_ms + 50);
  // A process left running by a command that ended (re-parented to the init, reaped there):
  // counted while it runs and after.
  (void)Shell(*pod,
              "python3 -c 'import time\nwhile time.process_time() < 0.2:\n    pass\n' "
              ">/dev/null 2>&1 &");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t now = counter();
  while (now < after_run + 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polls a condition
    now = counter();
  }
  CHECK(now >= after_run + 200);
}
