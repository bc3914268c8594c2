// What the pod benches (`pods`, `kube`, `agent`, `attach`) share: a workspace-like pod spec,
// the `true` exec round trip, and a pod made for one measurement and removed after it.
// Each call blocks; none keeps state, so they are safe from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "codeyard/platform.hpp"

namespace codeyard::bench {

// A workspace's limits (256 MiB, 64 pids, 64 MiB of files), labelled bench=`label`, kept
// when the executor that made it goes (another executor reaches it).
PodSpec WorkspaceLikeSpec(std::string_view label);

// Exec + Wait of `true` in `pod`: false when the backend cannot exec in this build
// (kUnimplemented); BenchFailed on any other failure or a non-zero exit.
[[nodiscard]] bool ExecTrue(Pod& pod);

// Opens an executor on `executor_uri`, creates a pod of 512 MiB and 128 pids, runs `body` on
// it and deletes it. Any failure on the way, `body`'s included, becomes BenchFailed.
void WithPod(const std::string& executor_uri,
             const std::function<void(const std::shared_ptr<Pod>&)>& body);

}  // namespace codeyard::bench
