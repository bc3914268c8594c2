// The local sandbox executor, the embedded default ("local:" URIs). Each pod is a
// `codeyard-pod` process tree (see protocol.hpp) in its own user, pid, mount, network, ipc
// and uts namespaces, limited by cgroups (cgroup.hpp), with its bookkeeping in a state
// directory so that pods left behind by a dead server are found and removed at start-up.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/registry.hpp"
#include "executor/local/cgroup.hpp"

namespace codeyard::local {

class LocalPod;
struct PodRecord;

struct LocalExecutorOptions {
  // Where pod records and root mount points live. Default: /run/codeyard/pods as root,
  // else $XDG_RUNTIME_DIR/codeyard/pods or /tmp/codeyard-<uid>/pods.
  std::string state_dir;
  // The codeyard-pod program. Default: $CODEYARD_POD_BINARY, else beside the running
  // program, else where the build put it.
  std::string pod_binary;
  // Start pods without memory and pids limits (the host cannot enforce them, or the caller
  // knows better). Off by default: such pods are refused.
  bool allow_unlimited = false;
  // Host uids handed to pods when running as root: [uid_base, uid_base + uid_count).
  uint32_t uid_base = 100000000;
  uint32_t uid_count = 1000000;
  CgroupOptions cgroups;
};

// Parses "local:" or "local:?state_dir=/x&allow_unlimited=1&pod_binary=/y&uid_base=N".
Result<LocalExecutorOptions> ParseLocalUri(std::string_view uri);

// The registry factory for "local".
Result<std::shared_ptr<Executor>> OpenLocalExecutor(std::string_view uri,
                                                    const BackendContext& context);

class LocalExecutor : public Executor, public std::enable_shared_from_this<LocalExecutor> {
 public:
  // Prepares the state directory and removes orphan pods (those whose owning process is
  // gone), except running pods made to survive their owner (PodSpec::survive_owner), which
  // wait for AdoptPod or DeletePod. Pods themselves are checked for at CreatePod.
  static Result<std::shared_ptr<LocalExecutor>> Open(LocalExecutorOptions options,
                                                     const BackendContext& context);
  ~LocalExecutor() override;  // deletes every pod it created

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override;
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override;
  Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) override;
  Result<void> DeletePod(std::string_view id) override;
  Result<std::vector<HostCheck>> Doctor() override;
  Result<std::shared_ptr<Pod>> AdoptPod(std::string_view id) override;

  [[nodiscard]] const LocalExecutorOptions& options() const { return options_; }
  [[nodiscard]] const CgroupManager& cgroups() const { return cgroups_; }
  // How many orphan pods the start-up sweep removed.
  [[nodiscard]] int orphans_removed() const { return orphans_removed_; }

 private:
  LocalExecutor(LocalExecutorOptions options, const BackendContext& context);
  // CreatePod, with the unlimited-pods rule given (Doctor allows them for its own probe).
  Result<std::shared_ptr<Pod>> CreatePodWith(const PodSpec& spec, bool allow_unlimited);
  Result<void> SweepOrphans();
  // Kills and removes the pod of a record whose owner is gone; the caller holds StateLock.
  Result<void> RemoveOrphan(const PodRecord& record);
  Result<uint32_t> AllocateUid();

  LocalExecutorOptions options_;
  std::shared_ptr<Logger> logger_;
  CgroupManager cgroups_;
  bool rootless_ = false;
  int orphans_removed_ = 0;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<LocalPod>, std::less<>> pods_;
};

}  // namespace codeyard::local
