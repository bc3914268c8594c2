// One local pod as this process holds it: the `codeyard-pod` shim it started (its child, so
// the pid cannot be reused behind its back) or, for a pod another process started, only a
// pidfd of the pod's init; the control socket (this process's hold on the pod), the
// workspace directory fd, the pod's cgroups and its state directory. Exec sends one request
// to the init and gets back the process's channels; file calls go straight to the workspace
// through WorkspaceFiles. Destroying it ends a one-shot pod, and only lets go of a
// survive_owner pod (protocol.hpp). Thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/log.hpp"
#include "executor/local/cgroup.hpp"
#include "executor/local/protocol.hpp"
#include "executor/local/workspace_files.hpp"

namespace codeyard::local {

struct PodLaunch {
  PodInfo info;
  std::string pod_binary;
  std::string pod_dir;  // <state_dir>/<id>; its "root" subdirectory is the mount point
  uint32_t host_uid = 0;
  uint32_t host_gid = 0;
  bool rootless = false;
  std::shared_ptr<Cgroup> cgroup;     // null when the host has no usable cgroups
  std::vector<std::string> ro_binds;  // extra read-only binds (LocalExecutorOptions::ro_binds)
  std::string image_dir;              // PodConfig::image_dir: "" for the host's /usr
};

class LocalPod : public Pod {
 public:
  // Starts the pod and waits until its init accepts exec (or fails, or 30 s pass).
  static Result<std::shared_ptr<LocalPod>> Start(PodLaunch launch, std::shared_ptr<Logger> logger);
  // Connects to the control socket of a running survive_owner pod, whoever started it
  // (protocol.hpp): one more holder. `init_pid`/`init_start` name its init, as recorded.
  static Result<std::shared_ptr<LocalPod>> Connect(PodLaunch launch, pid_t init_pid,
                                                   uint64_t init_start,
                                                   std::shared_ptr<Logger> logger);
  ~LocalPod() override;

  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override;
  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override;
  Result<void> PutFiles(std::span<const FileData> files) override;
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override;
  Result<void> DeleteFiles(std::span<const std::string> paths) override;
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override;
  // The session lives in the init (local_session.hpp); this process only attaches.
  Result<SessionAttachment> OpenSession(std::string_view name, const ExecSpec& spec) override;
  Result<SessionAttachment> JoinSession(std::string_view name) override;
  // The init connects inside the pod and hands the socket over (local_port.hpp).
  Result<std::unique_ptr<PortStream>> ConnectPort(uint16_t port) override;
  // Asks the init to reset the pod (local_pod_reset.cpp, pod/reset.cpp).
  Result<void> Reset() override;
  // Asks the init for the pod's CPU counter (pod/pod_cpu.hpp).
  Result<int64_t> CpuMs() override;
  // The highest token is kept in <pod dir>/fence under flock (local_pod_fence.cpp): every
  // process of the state directory shares it.
  Result<void> Fenced(int64_t token, const std::function<Result<void>()>& calls) override;

  // Kills every process of the pod, waits until they are gone, and frees the cgroups and the
  // state directory. Idempotent.
  Result<void> Terminate();
  // Lets go of the pod without ending it (survive_owner): closes this process's control
  // socket. Idempotent.
  void Release();

  [[nodiscard]] pid_t shim_pid() const { return shim_pid_; }
  [[nodiscard]] pid_t init_pid() const { return init_pid_; }

 private:
  LocalPod(PodLaunch launch, std::shared_ptr<Logger> logger);
  Result<void> Launch();
  [[nodiscard]] bool Alive() const;
  // One request of `type` answered on a socket of its own (protocol.hpp), within
  // `timeout_ms`; the answer of that type, or the init's error.
  Result<Message> Ask(std::string_view type, int timeout_ms);

  PodInfo info_;
  PodLaunch launch_;
  std::shared_ptr<Logger> logger_;
  mutable std::mutex mu_;
  pid_t shim_pid_ = -1;
  pid_t init_pid_ = -1;
  int init_pidfd_ = -1;
  int shim_pidfd_ = -1;  // becomes readable when the shim exits (after every pod process)
  int control_fd_ = -1;
  std::unique_ptr<WorkspaceFiles> files_;
  bool terminated_ = false;
};

// Default environment of every exec before PodSpec::env and ExecSpec::env are merged in.
std::vector<std::string> MergedEnvironment(const PodSpec& pod, const ExecSpec& exec);

}  // namespace codeyard::local
