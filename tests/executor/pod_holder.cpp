// A second process for the pod lifetime tests (lifetime_test.cpp): a would-be server that
// uses the local executor on STATE_DIR and is then told to exit, or is killed.
//   pod_holder STATE_DIR create ORPHAN_MS   a survive_owner pod (files written through the
//                                           API and an exec, a sleeper left running) and a
//                                           one-shot pod; prints "<kept id> <one-shot id>"
//   pod_holder STATE_DIR reach POD_ID       GetPods a pod another process made, writes
//                                           reach.txt in it, prints what note.txt holds
// Then each waits for a line on stdin: "exit" prints the phase of the pods it holds and
// exits 0 (its executor lets go of them); EOF exits at once. Exit 1 with the error on
// stderr if a step fails.
#include <cstdio>
#include <iostream>
#include <string>

#include "codeyard/backend/registry.hpp"

using namespace codeyard;

namespace {

int Failed(const std::string& step, const Error& error) {
  std::cerr << step << ": " << error.ToString() << "\n";
  return 1;
}

std::string Read(Pod& pod, const std::string& path) {
  const std::vector<std::string> paths = {path};
  auto files = pod.GetFiles(paths);
  return files ? files->at(0).content : "<" + files.error().ToString() + ">";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: pod_holder STATE_DIR (create ORPHAN_MS | reach POD_ID)\n";
    return 2;
  }
  const std::string mode = argv[2];
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      std::string("local:?state_dir=") + argv[1], BackendContext{});
  if (!executor) return Failed("open", executor.error());
  std::vector<std::shared_ptr<Pod>> held;
  std::unique_ptr<Process> sleeper;
  if (mode == "create") {
    PodSpec spec;
    spec.labels["test"] = "lifetime";
    spec.limits.memory_bytes = uint64_t{256} << 20;
    spec.limits.pids = 64;
    spec.limits.workspace_bytes = uint64_t{64} << 20;
    auto one_shot = (*executor)->CreatePod(spec);
    if (!one_shot) return Failed("create one-shot", one_shot.error());
    spec.survive_owner = true;
    spec.orphan_timeout = std::chrono::milliseconds(std::stoll(argv[3]));
    auto kept = (*executor)->CreatePod(spec);
    if (!kept) return Failed("create", kept.error());
    const std::vector<FileData> files = {{"by-api.txt", FileKind::kFile, "api\n", 0644, {}}};
    if (auto put = (*kept)->PutFiles(files); !put) return Failed("put", put.error());
    ExecSpec write;
    write.argv = {"sh", "-c", "echo written by the creator > note.txt"};
    auto wrote = (*kept)->Exec(write);
    if (!wrote) return Failed("exec", wrote.error());
    if (auto done = (*wrote)->Wait(); !done || done->exit_code != 0) {
      std::cerr << "the write did not succeed\n";
      return 1;
    }
    ExecSpec busy;  // still running when this process goes
    busy.argv = {"sleep", "1000"};
    auto running = (*kept)->Exec(busy);
    if (!running) return Failed("sleeper", running.error());
    sleeper = std::move(*running);
    std::cout << (*kept)->id() << " " << (*one_shot)->id() << std::endl;
    held = {*kept, *one_shot};
  } else if (mode == "reach") {
    auto pod = (*executor)->GetPod(argv[3]);
    if (!pod) return Failed("get", pod.error());
    ExecSpec write;
    write.argv = {"sh", "-c", "echo written by another process > reach.txt"};
    auto wrote = (*pod)->Exec(write);
    if (!wrote) return Failed("exec", wrote.error());
    if (auto done = (*wrote)->Wait(); !done || done->exit_code != 0) {
      std::cerr << "the write did not succeed\n";
      return 1;
    }
    std::cout << Read(**pod, "note.txt") << std::flush;
    held = {*pod};
  } else {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  std::string line;
  if (!std::getline(std::cin, line)) return 0;
  for (const auto& pod : held) std::cout << PodPhaseName(pod->Info().phase) << "\n";
  std::cout << std::flush;
  return 0;
}
