#include "executor/local/local_executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <random>

#include "codeyard/id.hpp"
#include "codeyard/images.hpp"
#include "core/errno_text.hpp"
#include "core/try.hpp"
#include "core/uri_query.hpp"
#include "executor/local/local_pod.hpp"
#include "executor/local/pod_record.hpp"

#ifndef CODEYARD_POD_BINARY_DEFAULT
#define CODEYARD_POD_BINARY_DEFAULT "codeyard-pod"
#endif

namespace codeyard::local {
namespace {

constexpr std::string_view kManagedBy = "codeyard.dev/executor";

Result<void> MakeDirs(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Fail(Error::Code::kPermissionDenied, "cannot create " + path + ": " + ec.message());
  ::chmod(path.c_str(), mode);
  return {};
}

std::string DefaultStateDir() {
  if (::geteuid() == 0) return "/run/codeyard/pods";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing here sets the environment
  if (const char* runtime = ::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime == '/') {
    return std::string(runtime) + "/codeyard/pods";
  }
  return "/tmp/codeyard-" + std::to_string(::geteuid()) + "/pods";
}

std::string FindPodBinary(const std::string& configured) {
  if (!configured.empty()) return configured;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing here sets the environment
  if (const char* env = ::getenv("CODEYARD_POD_BINARY"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "codeyard-pod";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return CODEYARD_POD_BINARY_DEFAULT;
}

bool ValidLabelText(std::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

Result<void> ValidateSpec(const PodSpec& spec) {
  for (const auto& [key, value] : spec.labels) {
    if (!ValidLabelText(key, 253) || (!value.empty() && !ValidLabelText(value, 63))) {
      std::string message = "label \"";
      message += key;
      message += "\"=\"";
      message += value;
      message += "\" is not valid (letters, digits, . _ - /; key <= 253, value <= 63 chars)";
      return Fail(Error::Code::kInvalidArgument, std::move(message));
    }
  }
  const auto& l = spec.limits;
  if (l.memory_bytes && *l.memory_bytes < (uint64_t{4} << 20)) {
    return Fail(Error::Code::kInvalidArgument, "memory limit must be at least 4 MiB");
  }
  if (l.pids && *l.pids < 2) {
    return Fail(Error::Code::kInvalidArgument, "pids limit must be at least 2 (init + one)");
  }
  if (l.cpus && !(*l.cpus > 0.0 && *l.cpus <= 1024.0)) {
    return Fail(Error::Code::kInvalidArgument, "cpu limit must be a positive number of cores");
  }
  if (spec.orphan_timeout.count() < 0) {
    return Fail(Error::Code::kInvalidArgument, "orphan_timeout must not be negative");
  }
  for (const auto& [key, _] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos) {
      return Fail(Error::Code::kInvalidArgument, "bad environment variable name \"" + key + "\"");
    }
  }
  return {};
}

constexpr int64_t kSweepEveryMs = 30000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSignal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

bool ValidPodId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && id.find('/') == std::string_view::npos &&
         id.front() != '.';
}

enum class PodLiveness { kStarting, kRunning, kDead };

// What a record says of its pod. A pod whose init runs is alive unless it is a one-shot pod
// whose owner is gone (its init is about to kill it). A record without an init is a pod its
// owner is still starting, or one whose owner died starting it.
PodLiveness Liveness(const PodRecord& record) {
  const bool owner = ProcessAlive(record.owner_pid, record.owner_start);
  if (record.init_pid <= 0) return owner ? PodLiveness::kStarting : PodLiveness::kDead;
  if (!ProcessAlive(record.init_pid, record.init_start)) return PodLiveness::kDead;
  return owner || record.info.spec.survive_owner ? PodLiveness::kRunning : PodLiveness::kDead;
}

// Holds an exclusive flock on the state directory's lock file.
class StateLock {
 public:
  explicit StateLock(const std::string& state_dir)
      : fd_(::open((state_dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

}  // namespace

Result<LocalExecutorOptions> ParseLocalUri(std::string_view uri) {
  LocalExecutorOptions options;
  if (!uri.starts_with("local:")) {
    return Fail(Error::Code::kInvalidArgument, "not a local executor URI: " + std::string(uri));
  }
  std::string_view rest = uri.substr(6);
  if (rest.starts_with("//")) rest.remove_prefix(2);
  if (rest.empty()) return options;
  if (rest.front() != '?') {
    return Fail(Error::Code::kInvalidArgument,
                "local executor URI takes only parameters, e.g. local:?state_dir=/run/pods");
  }
  rest.remove_prefix(1);
  for (const QueryParam& param : SplitQuery(rest)) {
    const std::string key(param.key);
    const std::string value(param.value);
    const auto number = [&](uint32_t& out) -> Result<void> {
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (ec != std::errc() || p != value.data() + value.size()) {
        return Fail(Error::Code::kInvalidArgument, "local executor: " + key + " must be a number");
      }
      return {};
    };
    if (key == "state_dir") {
      options.state_dir = value;
    } else if (key == "pod_binary") {
      options.pod_binary = value;
    } else if (key == "allow_unlimited") {
      options.allow_unlimited = value == "1" || value == "true";
    } else if (key == "uid_base") {
      CY_CHECK(number(options.uid_base));
    } else if (key == "uid_count") {
      CY_CHECK(number(options.uid_count));
    } else if (key == "cgroup_base") {
      options.cgroups.base_override = value;
    } else if (key == "ro_bind") {
      if (value.empty() || value.front() != '/' || value.find("/../") != std::string::npos ||
          value.ends_with("/..")) {
        return Fail(Error::Code::kInvalidArgument,
                    "local executor: ro_bind must be an absolute path without \"..\"");
      }
      options.ro_binds.push_back(value);
    } else if (key == "images_dir") {
      std::error_code ec;
      options.images_dir = std::filesystem::absolute(value, ec).lexically_normal().string();
      if (ec || value.empty()) {
        return Fail(Error::Code::kInvalidArgument, "local executor: bad images_dir " + value);
      }
      while (options.images_dir.size() > 1 && options.images_dir.back() == '/') {
        options.images_dir.pop_back();
      }
    } else {
      return Fail(Error::Code::kInvalidArgument,
                  "local executor: unknown parameter \"" + key +
                      "\" (known: state_dir, pod_binary, allow_unlimited, uid_base, uid_count, "
                      "cgroup_base, ro_bind, images_dir)");
    }
  }
  if (!options.state_dir.empty() && options.state_dir.front() != '/') {
    return Fail(Error::Code::kInvalidArgument, "local executor: state_dir must be absolute");
  }
  return options;
}

Result<std::shared_ptr<Executor>> OpenLocalExecutor(std::string_view uri,
                                                    const BackendContext& context) {
  CY_TRY(auto options, ParseLocalUri(uri));
  CY_TRY(auto executor, LocalExecutor::Open(std::move(options), context));
  return std::shared_ptr<Executor>(std::move(executor));
}

LocalExecutor::LocalExecutor(LocalExecutorOptions options, const BackendContext& context)
    : options_(std::move(options)),
      logger_(context.logger),
      cgroups_(CgroupManager::Detect(options_.cgroups)),
      rootless_(::geteuid() != 0) {}

Result<std::shared_ptr<LocalExecutor>> LocalExecutor::Open(LocalExecutorOptions options,
                                                           const BackendContext& context) {
  if (options.state_dir.empty()) options.state_dir = DefaultStateDir();
  options.pod_binary = FindPodBinary(options.pod_binary);
  if (options.uid_count == 0 || options.uid_base == 0) {
    return Fail(Error::Code::kInvalidArgument, "local executor: uid range must be non-empty");
  }
  CY_CHECK(MakeDirs(options.state_dir, 0700));
  std::shared_ptr<LocalExecutor> executor(new LocalExecutor(std::move(options), context));
  if (auto swept = executor->SweepOrphans(); !swept && executor->logger_) {
    executor->logger_->Warn("dead pod sweep incomplete", {{"error", swept.error().ToString()}});
  }
  return executor;
}

LocalExecutor::~LocalExecutor() {
  std::map<std::string, std::shared_ptr<LocalPod>, std::less<>> pods;
  {
    std::lock_guard lock(mu_);
    pods.swap(pods_);
  }
  for (auto& [id, pod] : pods) {
    if (pod->Info().spec.survive_owner) {
      pod->Release();  // it belongs to no process: another may still use it
    } else {
      (void)pod->Terminate();
    }
  }
}

Result<int> LocalExecutor::SweepOrphans() {
  last_sweep_ms_ = SteadyMs();
  StateLock lock(options_.state_dir);
  Result<void> outcome;
  int removed = 0;
  const LabelSelector ours = {{std::string(kManagedBy), "local"}};
  for (const auto& record : ListPodRecords(options_.state_dir)) {
    // A record that cannot be read (no labels) is ours too: nothing else writes here, and
    // it is written whole (rename) under the lock this sweep holds.
    const bool readable = record.owner_pid != 0;
    if (readable && !LabelsMatch(record.info.spec.labels, ours)) continue;
    if (readable && Liveness(record) != PodLiveness::kDead) continue;
    if (auto gone = RemovePod(record); !gone && outcome) outcome = gone;
    ++removed;
    if (logger_) logger_->Info("removed a dead pod", {{"pod", record.info.id}});
  }
  orphans_removed_ += removed;
  if (!outcome) return std::unexpected(outcome.error());
  return removed;
}

Result<void> LocalExecutor::RemovePod(const PodRecord& record) {
  Result<void> outcome;
  // Without cgroups (rootless), only the init reaches the whole pod: its death ends the rest
  // (the kernel tears its pid namespace down before the init is seen to exit).
  if (record.init_pid > 0) {
    const int pidfd = PidfdOpen(record.init_pid);
    // The pidfd first, then the start time: a pidfd of a reused pid would name another.
    if (pidfd >= 0 && ProcessAlive(record.init_pid, record.init_start)) {
      PidfdSignal(pidfd, SIGKILL);
      pollfd p{pidfd, POLLIN, 0};
      int ready = 0;
      do {
        ready = ::poll(&p, 1, 5000);
      } while (ready < 0 && errno == EINTR);
    }
    if (pidfd >= 0) ::close(pidfd);
  }
  if (auto cgroup = cgroups_.Open(record.info.id); cgroup) {
    if (auto killed = cgroup->KillAll(); !killed) outcome = killed;
    if (auto removed = cgroup->Remove(); !removed) outcome = removed;
  }
  if (auto removed = RemoveTree(options_.state_dir + "/" + record.info.id); !removed) {
    outcome = removed;
  }
  return outcome;
}

Result<void> LocalExecutor::CheckImage(std::string_view image) {
  auto dir = ImageDirOf(std::string(image));
  if (dir || dir.error().code() != Error::Code::kNotFound) {
    if (!dir) return Fail(dir.error());
    return {};
  }
  std::string known;
  if (!options_.images_dir.empty()) {
    for (const auto& info :
         images::List(options_.images_dir).value_or(std::vector<images::ImageInfo>{})) {
      known += (known.empty() ? "" : ", ") + info.name;
    }
  }
  return Fail(Error::Code::kInvalidArgument,
              dir.error().message() + " (known: " + (known.empty() ? "none" : known) + ")");
}

Result<std::string> LocalExecutor::ImageDirOf(const std::string& image) const {
  if (image.empty()) return std::string();
  if (!images::ValidateName(image)) {
    return Fail(Error::Code::kInvalidArgument, "local executor: bad image name \"" + image + "\"");
  }
  if (options_.images_dir.empty()) {
    return Fail(Error::Code::kNotFound,
                "local executor: no image \"" + image + "\" (the executor has no images_dir)");
  }
  const std::string dir = images::ImageDir(options_.images_dir, image);
  if (::access((dir + "/manifest.json").c_str(), R_OK) != 0) {
    return Fail(Error::Code::kNotFound, "local executor: no image \"" + image + "\" in " +
                                            options_.images_dir + " (codeyard image build " +
                                            image + ")");
  }
  return dir;
}

Result<uint32_t> LocalExecutor::AllocateUid() {
  if (rootless_) return static_cast<uint32_t>(::geteuid());
  std::vector<uint32_t> taken;
  for (const auto& record : ListPodRecords(options_.state_dir)) taken.push_back(record.host_uid);
  std::random_device seed;
  std::mt19937 gen(seed());
  std::uniform_int_distribution<uint32_t> pick(0, options_.uid_count - 1);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint32_t uid = options_.uid_base + pick(gen);
    if (std::find(taken.begin(), taken.end(), uid) == taken.end()) return uid;
  }
  return Fail(Error::Code::kResourceExhausted, "no free pod uid in the configured range");
}

Result<std::shared_ptr<Pod>> LocalExecutor::CreatePod(const PodSpec& requested) {
  if (SteadyMs() - last_sweep_ms_.load() > kSweepEveryMs) {
    if (auto swept = SweepOrphans(); !swept && logger_) {
      logger_->Warn("dead pod sweep incomplete", {{"error", swept.error().ToString()}});
    }
  }
  return CreatePodWith(requested, options_.allow_unlimited);
}

Result<std::shared_ptr<Pod>> LocalExecutor::CreatePodWith(const PodSpec& requested,
                                                          bool allow_unlimited) {
  CY_CHECK(ValidateSpec(requested));
  PodSpec spec = requested;
  spec.labels[std::string(kManagedBy)] = "local";
  if (!allow_unlimited) {
    if (!spec.limits.memory_bytes || !spec.limits.pids) {
      return Fail(Error::Code::kFailedPrecondition,
                  "pod has no memory or pids limit; set both (or open the executor with "
                  "allow_unlimited=1 to run without them)");
    }
  }
  CgroupLimits limits{spec.limits.memory_bytes, spec.limits.cpus, spec.limits.pids};
  if (allow_unlimited) {
    // Allowed to run unlimited: drop what this host cannot enforce instead of refusing.
    if (!cgroups_.CanLimitMemory()) limits.memory_bytes.reset();
    if (!cgroups_.CanLimitCpu()) limits.cpus.reset();
    if (!cgroups_.CanLimitPids()) limits.pids.reset();
  }

  PodInfo info;
  info.id = NewUuid();
  info.spec = spec;
  info.phase = PodPhase::kPending;
  info.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  PodLaunch launch;
  launch.info = info;
  launch.pod_binary = options_.pod_binary;
  launch.ro_binds = options_.ro_binds;
  CY_TRY(launch.image_dir, ImageDirOf(spec.image));
  launch.pod_dir = options_.state_dir + "/" + info.id;
  launch.rootless = rootless_;
  PodRecord record;
  record.info = info;
  record.owner_pid = ::getpid();
  record.owner_start = ProcessStartTime(record.owner_pid);
  {
    StateLock lock(options_.state_dir);
    CY_TRY(launch.host_uid, AllocateUid());
    launch.host_gid = rootless_ ? static_cast<uint32_t>(::getegid()) : launch.host_uid;
    record.host_uid = launch.host_uid;
    if (::mkdir(launch.pod_dir.c_str(), 0711) != 0) {
      return Fail(Error::Code::kInternal,
                  "cannot create " + launch.pod_dir + ": " + ErrnoText(errno));
    }
    CY_CHECK(WritePodRecord(launch.pod_dir, record));  // reserves the uid
  }
  if (cgroups_.version() != 0 &&
      (limits.memory_bytes || limits.cpus || limits.pids || !rootless_)) {
    auto cgroup = cgroups_.Create(info.id, limits);
    if (!cgroup) {
      (void)RemoveTree(launch.pod_dir);
      return std::unexpected(cgroup.error());
    }
    launch.cgroup = std::make_shared<Cgroup>(std::move(*cgroup));
  } else if (limits.memory_bytes || limits.cpus || limits.pids) {
    (void)RemoveTree(launch.pod_dir);
    return Fail(Error::Code::kFailedPrecondition,
                "this host offers no usable cgroups, so pod limits cannot be enforced; run "
                "`codeyard doctor`, or open the executor with allow_unlimited=1 to run pods "
                "without them");
  }
  CY_TRY(auto pod, LocalPod::Start(std::move(launch), logger_));
  record.info = pod->Info();
  record.shim_pid = pod->shim_pid();
  record.init_pid = pod->init_pid();
  record.init_start = ProcessStartTime(record.init_pid);
  (void)WritePodRecord(options_.state_dir + "/" + info.id, record);
  {
    std::lock_guard lock(mu_);
    pods_[info.id] = pod;
  }
  if (logger_) logger_->Debug("pod created", {{"pod", info.id}});
  return std::shared_ptr<Pod>(pod);
}

Result<std::shared_ptr<Pod>> LocalExecutor::GetPod(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    if (const auto it = pods_.find(id); it != pods_.end()) {
      if (it->second->Info().phase != PodPhase::kTerminated) {
        return std::shared_ptr<Pod>(it->second);
      }
      pods_.erase(it);  // ended (deleted by another process): ask the state directory
    }
  }
  if (!ValidPodId(id))
    return Fail(Error::Code::kInvalidArgument, "not a pod id: " + std::string(id));
  const std::string dir = options_.state_dir + "/" + std::string(id);
  Result<PodRecord> record = [&] {
    StateLock lock(options_.state_dir);
    return ReadPodRecord(dir);
  }();
  if (!record || !LabelsMatch(record->info.spec.labels, {{std::string(kManagedBy), "local"}})) {
    return Fail(Error::Code::kNotFound, "no pod " + std::string(id));
  }
  if (Liveness(*record) != PodLiveness::kRunning) {
    return Fail(Error::Code::kNotFound, "pod " + std::string(id) + " is not running");
  }
  if (!record->info.spec.survive_owner) {
    return Fail(Error::Code::kFailedPrecondition,
                "pod " + std::string(id) + " belongs to process " +
                    std::to_string(record->owner_pid) +
                    " and dies with it (it was not made with survive_owner)");
  }
  PodLaunch launch;
  launch.info = record->info;
  launch.info.phase = PodPhase::kRunning;
  launch.pod_binary = options_.pod_binary;
  launch.ro_binds = options_.ro_binds;
  launch.pod_dir = dir;
  launch.host_uid = record->host_uid;
  launch.host_gid = rootless_ ? static_cast<uint32_t>(::getegid()) : record->host_uid;
  launch.rootless = rootless_;
  if (auto cgroup = cgroups_.Open(id); cgroup) {
    launch.cgroup = std::make_shared<Cgroup>(std::move(*cgroup));
  }
  CY_TRY(auto pod,
         LocalPod::Connect(std::move(launch), record->init_pid, record->init_start, logger_));
  std::lock_guard lock(mu_);
  // Another thread may have connected meanwhile: keep one holder (this one lets go).
  const auto [it, inserted] = pods_.emplace(std::string(id), pod);
  return std::shared_ptr<Pod>(it->second);
}

Result<std::vector<PodInfo>> LocalExecutor::ListPods(const LabelSelector& selector) {
  std::vector<PodInfo> out;
  for (auto& record : ListPodRecords(options_.state_dir)) {
    if (!LabelsMatch(record.info.spec.labels, selector)) continue;
    std::shared_ptr<LocalPod> held;
    {
      std::lock_guard lock(mu_);
      if (const auto it = pods_.find(record.info.id); it != pods_.end()) held = it->second;
    }
    if (held) {
      out.push_back(held->Info());
      continue;
    }
    if (record.owner_pid != 0) {  // a record that could not be read is already terminated
      switch (Liveness(record)) {
        case PodLiveness::kStarting:
          record.info.phase = PodPhase::kPending;
          break;
        case PodLiveness::kRunning:
          record.info.phase = PodPhase::kRunning;
          break;
        case PodLiveness::kDead:
          record.info.phase = PodPhase::kTerminated;
          record.info.message = ProcessAlive(record.init_pid, record.init_start)
                                    ? "orphan: its owner process is gone"
                                    : "the pod's init exited";
          break;
      }
    }
    out.push_back(std::move(record.info));
  }
  std::sort(out.begin(), out.end(), [](const PodInfo& a, const PodInfo& b) {
    return a.created_unix_ms < b.created_unix_ms;
  });
  return out;
}

Result<void> LocalExecutor::DeletePod(std::string_view id) {
  std::shared_ptr<LocalPod> pod;
  {
    std::lock_guard lock(mu_);
    const auto it = pods_.find(id);
    if (it != pods_.end()) {
      pod = it->second;
      pods_.erase(it);
    }
  }
  if (pod) return pod->Terminate();
  if (!ValidPodId(id))
    return Fail(Error::Code::kInvalidArgument, "not a pod id: " + std::string(id));
  StateLock lock(options_.state_dir);
  auto record = ReadPodRecord(options_.state_dir + "/" + std::string(id));
  if (!record) return Fail(Error::Code::kNotFound, "no pod " + std::string(id));
  // Whoever started it: a process holding it sees its control socket hang up.
  return RemovePod(*record);
}

}  // namespace codeyard::local
