// SweepExecutorOrphans: the library's rule for what `codeyard gc` frees on an executor
// (codeyard/orphan_sweep.hpp).
#include "codeyard/orphan_sweep.hpp"

#include <set>

#include "codeyard/backend/executor.hpp"
#include "codeyard/platform.hpp"
#include "core/store/transact.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by";
constexpr std::string_view kWorkspace = "codeyard.dev/workspace";

// Whether workspace `id` still has its row; an error is a storage failure.
Result<bool> WorkspaceExists(Platform& platform, const std::string& id) {
  return store::Transact(platform.storage(), TxKind::kRead, [&](Transaction& tx) -> Result<bool> {
    auto ws = store::workspaces::Get(tx, id);
    if (ws) return true;
    if (ws.error().code() == Error::Code::kNotFound) return false;
    return Fail(ws.error());
  });
}

}  // namespace

Result<OrphanSweepReport> SweepExecutorOrphans(Platform& platform) {
  if (!platform.executor()) {
    return Fail(Error::Code::kFailedPrecondition, "gc: the platform has no executor");
  }
  Executor& executor = *platform.executor();
  OrphanSweepReport report;
  std::set<std::string> gone;  // workspace ids without a row, looked up once each
  std::set<std::string> present;
  const auto is_gone = [&](const std::string& id) -> Result<bool> {
    if (gone.contains(id)) return true;
    if (present.contains(id)) return false;
    CY_TRY(const bool exists, WorkspaceExists(platform, id));
    (exists ? present : gone).insert(id);
    return !exists;
  };

  CY_TRY(const auto volumes, executor.ListVolumes({{std::string(kManagedBy), "codeyard"}}));
  for (const Labels& labels : volumes) {
    const auto it = labels.find(std::string(kWorkspace));
    if (it == labels.end() || it->second.empty()) continue;
    CY_TRY(const bool orphan, is_gone(it->second));
    if (!orphan) continue;
    CY_CHECK(executor.DeleteVolumes({{std::string(kWorkspace), it->second}}));
    report.volume_workspaces.push_back(it->second);
  }

  CY_TRY(const auto pods, executor.ListPods({}));
  for (const PodInfo& pod : pods) {
    const auto it = pod.spec.labels.find(std::string(kWorkspace));
    if (it == pod.spec.labels.end() || it->second.empty()) continue;
    CY_TRY(const bool orphan, is_gone(it->second));
    if (!orphan) continue;
    auto deleted = executor.DeletePod(pod.id);
    if (!deleted && deleted.error().code() != Error::Code::kNotFound) {
      return Fail(deleted.error().WithContext("gc: deleting pod " + pod.id));
    }
    report.workspace_pods.push_back(pod.id);
  }

  CY_TRY(report.backend_pods, executor.SweepOrphans());
  return report;
}

}  // namespace codeyard
