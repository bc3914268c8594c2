// The local sandbox executor, the embedded default ("local:" URIs). Each pod is a
// `codeyard-pod` process tree (see protocol.hpp) in its own user, pid, mount, network, ipc
// and uts namespaces, limited by cgroups (cgroup.hpp), with its bookkeeping in a state
// directory shared by every process that opens it: any of them lists, reaches (GetPod) and
// deletes the survive_owner pods of the others, and sweeps what dead pods left. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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
  // Host directories bound read-only into every pod at the same path (`ro_bind=` in the URI,
  // repeatable): a test's build directory, so a pod can run a freshly built `codeyard-pod`.
  std::vector<std::string> ro_binds;
  // Where workspace images live (`images_dir=` in the URI; codeyard/images.hpp): a pod whose
  // PodSpec::image names one sees that image's root as its /usr. Empty: only the host's.
  std::string images_dir;
};

// Parses "local:" or
// "local:?state_dir=/x&allow_unlimited=1&pod_binary=/y&uid_base=N&ro_bind=/d&images_dir=/i".
Result<LocalExecutorOptions> ParseLocalUri(std::string_view uri);

// The registry factory for "local".
Result<std::shared_ptr<Executor>> OpenLocalExecutor(std::string_view uri,
                                                    const BackendContext& context);

class LocalExecutor : public Executor, public std::enable_shared_from_this<LocalExecutor> {
 public:
  // Prepares the state directory and sweeps it (SweepOrphans). Pods themselves are checked
  // for at CreatePod.
  static Result<std::shared_ptr<LocalExecutor>> Open(LocalExecutorOptions options,
                                                     const BackendContext& context);
  // Deletes the one-shot pods it created and lets go of the survive_owner pods it holds,
  // which keep running for other processes (PodSpec::orphan_timeout).
  ~LocalExecutor() override;

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override;
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override;
  Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) override;
  Result<void> DeletePod(std::string_view id) override;
  Result<std::vector<HostCheck>> Doctor() override;
  // "" (the host's /usr) or an image under images_dir (`codeyard image build NAME`).
  Result<void> CheckImage(std::string_view image) override;
  std::string scheme() const override { return "local"; }

  // Removes what dead pods of this state directory left (cgroups, state directories): pods
  // whose init is gone, and one-shot pods whose owner process is gone. Never touches a
  // running survive_owner pod, nor a pod a live process is still starting. Runs at Open and
  // at most every 30 s at CreatePod; returns how many it removed.
  Result<int> SweepOrphans() override;

  [[nodiscard]] const LocalExecutorOptions& options() const { return options_; }
  [[nodiscard]] const CgroupManager& cgroups() const { return cgroups_; }
  // How many dead pods this object's sweeps removed.
  [[nodiscard]] int orphans_removed() const { return orphans_removed_.load(); }

 private:
  LocalExecutor(LocalExecutorOptions options, const BackendContext& context);
  // CreatePod, with the unlimited-pods rule given (Doctor allows them for its own probe).
  Result<std::shared_ptr<Pod>> CreatePodWith(const PodSpec& spec, bool allow_unlimited);
  // Kills the pod of a record (if its init still runs) and removes what it held; the caller
  // holds StateLock.
  Result<void> RemovePod(const PodRecord& record);
  Result<uint32_t> AllocateUid();
  // `<images_dir>/<image>` for PodSpec::image ("" for the host's /usr); kNotFound naming
  // an image that does not exist.
  [[nodiscard]] Result<std::string> ImageDirOf(const std::string& image) const;

  LocalExecutorOptions options_;
  std::shared_ptr<Logger> logger_;
  CgroupManager cgroups_;
  bool rootless_ = false;
  std::atomic<int> orphans_removed_ = 0;
  std::atomic<int64_t> last_sweep_ms_ = 0;  // steady clock
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<LocalPod>, std::less<>> pods_;
};

}  // namespace codeyard::local
