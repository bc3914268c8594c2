// What an executor keeps for workspaces and jobs that are gone: the sweep `codeyard gc` runs
// (k18, issue 18). A workspace's deletion frees its pod and its home volume (the k8s:
// backend's PersistentVolumeClaim), and a one-shot pod dies with its holder; but a deletion
// that raced a start, a replica killed mid-delete, or a row removed behind the library's back
// leaves them behind. This finds them by the labels every pod and volume carries
// (`codeyard.dev/workspace=<id>`, `codeyard.dev/job=<name>`) and removes those whose
// workspace row is gone, then runs the backend's own sweep (Executor::SweepOrphans: pods whose
// orphan lease passed, one-shot pods that ended). Safe beside running servers: a workspace's
// row is written before its pod or volume is made, and a pod a live holder renews is kept.
// Threading: one call at a time per platform is enough; each call is independent.
#pragma once

#include <string>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard {

class Platform;

struct OrphanSweepReport {
  // Workspace ids whose home volumes were deleted (their workspace row is gone).
  std::vector<std::string> volume_workspaces;
  // Ids of workspace pods deleted because their workspace row is gone.
  std::vector<std::string> workspace_pods;
  // Pods the backend's own sweep deleted (lease passed, or a one-shot pod that ended).
  int backend_pods = 0;
};

// One pass over platform.executor() against platform.storage(). Errors: the first failing
// executor or storage call (what was deleted before it stays deleted).
[[nodiscard]] Result<OrphanSweepReport> SweepExecutorOrphans(Platform& platform);

}  // namespace codeyard
