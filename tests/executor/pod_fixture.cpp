#include "executor/pod_fixture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "executor/local/pod_record.hpp"

namespace codeyard::testing {

PodFixture::PodFixture()
    : state_dir_(std::filesystem::temp_directory_path() / ("cy-exec-" + NewUuid().substr(0, 8))) {
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(uri(), BackendContext{});
  if (!executor) FAIL("cannot open the local executor: " << executor.error().ToString());
  executor_ = *executor;
}

PodFixture::~PodFixture() {
  executor_.reset();  // deletes its pods
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

PodSpec PodFixture::DefaultSpec() {
  PodSpec spec;
  spec.labels["test"] = "executor";
  spec.limits.memory_bytes = uint64_t{256} << 20;
  spec.limits.pids = 64;
  spec.limits.workspace_bytes = uint64_t{64} << 20;
  spec.limits.tmp_bytes = uint64_t{64} << 20;
  spec.limits.file_bytes = uint64_t{64} << 20;
  return spec;
}

std::shared_ptr<Pod> PodFixture::NewPod(PodSpec spec) {
  auto pod = executor_->CreatePod(spec);
  if (!pod) FAIL("CreatePod: " << pod.error().ToString());
  return *pod;
}

uint32_t PodFixture::HostUid(const Pod& pod) const {
  auto record = local::ReadPodRecord((state_dir_ / pod.id()).string());
  REQUIRE(record.has_value());
  return record->host_uid;
}

Ran RunSpec(Pod& pod, const ExecSpec& spec) {
  auto process = pod.Exec(spec);
  if (!process) FAIL("Exec " << spec.argv.front() << ": " << process.error().ToString());
  Ran ran;
  while (true) {
    auto chunk = (*process)->ReadOutput(std::nullopt);
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    ((*chunk)->stream == OutputStream::kStdout ? ran.out : ran.err) += (*chunk)->data;
  }
  auto status = (*process)->Wait();
  REQUIRE(status.has_value());
  ran.status = *status;
  return ran;
}

Ran RunIn(Pod& pod, std::vector<std::string> argv, const std::string& stdin_data) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_data = stdin_data;
  spec.wall_time_limit = std::chrono::seconds(30);
  return RunSpec(pod, spec);
}

Ran Shell(Pod& pod, const std::string& script) { return RunIn(pod, {"sh", "-c", script}); }

std::vector<int> HostProcessesOf(uint32_t uid) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) == 0 && st.st_uid == uid) out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace codeyard::testing
