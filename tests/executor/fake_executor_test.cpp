// What the fake executor adds to the conformance suite (conformance_test.cpp runs it as a
// backend): call counts, the exec handler, named executors sharing pods, the pod cap, and
// its URI.
#include <catch2/catch.hpp>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;

TEST_CASE("fake executor: every call is counted, per executor", "[executor][fake]") {
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor("fake:?name=counted", {});
  REQUIRE(opened.has_value());
  auto* fake = dynamic_cast<FakeExecutor*>(opened->get());
  REQUIRE(fake != nullptr);
  FakeExecutor other(FakeExecutorOptions{"counted", std::nullopt});

  auto pod = fake->CreatePod({});
  REQUIRE(pod.has_value());
  CHECK(RunIn(**pod, {"true"}).status.exit_code == 0);
  const std::vector<FileData> files = {{"a.txt", FileKind::kFile, "a", 0644, {}}};
  REQUIRE((*pod)->PutFiles(files).has_value());
  const std::vector<std::string> paths = {"a.txt"};
  REQUIRE((*pod)->GetFiles(paths).has_value());
  REQUIRE((*pod)->ListFiles({}).has_value());
  REQUIRE((*pod)->DeleteFiles(paths).has_value());
  REQUIRE(fake->ListPods({}).has_value());
  auto reached = other.GetPod((*pod)->id());  // the same pod through another executor
  REQUIRE(reached.has_value());
  CHECK(RunIn(**reached, {"echo", "x"}).out == "x\n");

  const FakeExecutorCalls mine = fake->calls();
  CHECK(mine.create_pod == 1);
  CHECK(mine.exec == 1);
  CHECK(mine.put_files == 1);
  CHECK(mine.get_files == 1);
  CHECK(mine.list_files == 1);
  CHECK(mine.delete_files == 1);
  CHECK(mine.list_pods == 1);
  CHECK(mine.get_pod == 0);
  CHECK(mine.delete_pod == 0);
  const FakeExecutorCalls theirs = other.calls();
  CHECK(theirs.get_pod == 1);
  CHECK(theirs.exec == 1);
  CHECK(theirs.create_pod == 0);

  REQUIRE(other.DeletePod((*pod)->id()).has_value());
  CHECK(other.calls().delete_pod == 1);
  CHECK(fake->GetPod((*pod)->id()).error().code() == Error::Code::kNotFound);
  CHECK((*pod)->Info().phase == PodPhase::kTerminated);
}

TEST_CASE("fake executor: a handler scripts execs, the interpreter takes the rest",
          "[executor][fake]") {
  FakeExecutor fake;
  fake.SetExecHandler([](const ExecSpec& spec, std::string_view stdin_data,
                         FakeWorkspace& workspace) -> std::optional<FakeExecResult> {
    if (spec.argv.at(0) != "python3") return std::nullopt;
    workspace.Write("ran.txt", std::string(stdin_data));
    return FakeExecResult{"py out\n", "py err\n", 3};
  });
  auto pod = fake.CreatePod({});
  REQUIRE(pod.has_value());
  const Ran py = RunIn(**pod, {"python3", "main.py"}, "input");
  CHECK(py.out == "py out\n");
  CHECK(py.err == "py err\n");
  CHECK(py.status.exit_code == 3);
  CHECK(RunIn(**pod, {"cat", "ran.txt"}).out == "input");
  CHECK(RunIn(**pod, {"sh", "-c", "echo one >> log.txt"}).status.exit_code == 0);
  CHECK(RunIn(**pod, {"sh", "-c", "echo two >> log.txt"}).status.exit_code == 0);
  CHECK(RunIn(**pod, {"cat", "log.txt"}).out == "one\ntwo\n");
  const Ran missing = RunIn(**pod, {"cat", "nope.txt"});
  CHECK(missing.status.exit_code == 1);
  CHECK(missing.err == "cat: nope.txt: No such file or directory\n");

  ExecSpec tty;
  tty.argv = {"python3"};
  tty.tty = true;
  const Ran merged = RunSpec(**pod, tty);
  CHECK(merged.out == "py out\npy err\n");  // a terminal merges stderr into stdout
  CHECK(merged.err.empty());

  fake.SetExecHandler(nullptr);
  ExecSpec gone;
  gone.argv = {"python3"};
  CHECK((*pod)->Exec(gone).error().code() == Error::Code::kNotFound);
}

TEST_CASE("fake executor: max_pods refuses pods past the cap", "[executor][fake]") {
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor("fake:?max_pods=1", {});
  REQUIRE(opened.has_value());
  auto first = (*opened)->CreatePod({});
  REQUIRE(first.has_value());
  CHECK((*opened)->CreatePod({}).error().code() == Error::Code::kResourceExhausted);
  REQUIRE((*opened)->DeletePod((*first)->id()).has_value());
  CHECK((*opened)->CreatePod({}).has_value());
  CHECK(BackendRegistry::WithBuiltins().OpenExecutor("fake:?colour=red", {}).error().code() ==
        Error::Code::kInvalidArgument);
  CHECK(BackendRegistry::WithBuiltins().OpenExecutor("fake:?max_pods=x", {}).error().code() ==
        Error::Code::kInvalidArgument);
}

TEST_CASE("fake executor: a reset empties the workspace and is counted", "[executor][fake]") {
  FakeExecutor fake(FakeExecutorOptions{"reset", std::nullopt});
  auto pod = fake.CreatePod({});
  REQUIRE(pod.has_value());
  const std::vector<FileData> files = {{"a.txt", FileKind::kFile, "a", 0644, {}}};
  REQUIRE((*pod)->PutFiles(files).has_value());
  REQUIRE((*pod)->Reset().has_value());
  auto listed = (*pod)->ListFiles({});
  REQUIRE(listed.has_value());
  CHECK(listed->empty());
  CHECK(RunIn(**pod, {"echo", "x"}).out == "x\n");
  CHECK(fake.calls().reset == 1);
  REQUIRE(fake.DeletePod((*pod)->id()).has_value());
  CHECK(!(*pod)->Reset().has_value());
}
