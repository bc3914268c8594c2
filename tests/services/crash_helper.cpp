// A server stand-in that crashes, for the restart tests of the workspace suites:
//   workspace_crash_helper STORAGE_URI STATE_DIR USER WORKSPACE
// opens Workspaces over the storage and a local executor on STATE_DIR, runs one exec through
// Workspaces (synced), then writes unsynced.txt straight into the pod (as a terminal does;
// no pass runs after it), prints "ready" and waits to be SIGKILLed.
// Exit 1 with the error on stderr if a step fails.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"

int main(int argc, char** argv) {
  using namespace codeyard;
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s STORAGE_URI STATE_DIR USER WORKSPACE\n", argv[0]);
    return 2;
  }
  const auto fail = [](const Error& error) {
    std::fprintf(stderr, "%s\n", error.ToString().c_str());
    return 1;
  };
  Options options;
  options.storage_uri = argv[1];
  auto platform = Platform::Open(options);
  if (!platform) return fail(platform.error());
  auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
      std::string("local:?state_dir=") + argv[2], BackendContext{});
  if (!executor) return fail(executor.error());
  Workspaces workspaces(*platform, *executor, WorkspaceOptions{});
  ExecSpec spec;
  spec.argv = {"sh", "-c", "echo synced by exec > synced.txt"};
  auto ran = workspaces.Exec(argv[3], argv[4], spec);
  if (!ran) return fail(ran.error());
  auto pod = workspaces.PodOf(argv[3], argv[4]);
  if (!pod) return fail(pod.error());
  spec.argv = {"sh", "-c", "echo written after the last pass > unsynced.txt"};
  auto process = (*pod)->Exec(spec);
  if (!process) return fail(process.error());
  auto status = (*process)->Wait();
  if (!status) return fail(status.error());
  std::printf("ready\n");
  std::fflush(stdout);
  ::pause();
  return 0;
}
