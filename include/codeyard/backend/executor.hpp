// The executor interface: where code runs. The model is Kubernetes' own (a pod is a
// long-lived sandbox with limits and labels; exec starts a process inside it), so the local
// sandbox backend and the Kubernetes backend implement the same classes. An embedding app
// gets one from `BackendRegistry::OpenExecutor("local:")` or builds its own; a
// backend writer implements Executor, Pod and Process. Every method may be called from any
// thread; a Process is driven by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/port_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

using Labels = std::map<std::string, std::string, std::less<>>;

// Resource limits of a pod. A limit left empty is "none"; the local executor refuses a pod
// without memory and pids limits unless it was opened with allow_unlimited.
struct ResourceLimits {
  std::optional<uint64_t> memory_bytes;     // RAM of the whole pod, swap off
  std::optional<double> cpus;               // CPU quota in cores (0.5 = half a core)
  std::optional<uint32_t> pids;             // processes + threads in the pod
  std::optional<uint64_t> workspace_bytes;  // size of the writable workspace
  std::optional<uint64_t> tmp_bytes;        // size of the pod's /tmp
  std::optional<uint64_t> file_bytes;       // largest single file a process may write
  std::optional<uint32_t> open_files;       // descriptors per process
};

struct PodSpec {
  Labels labels;
  ResourceLimits limits;
  bool network = false;  // false: the pod sees only its own loopback
  // The root file system programs see: "" is the backend's default (the local backend: the
  // host's /usr; the Kubernetes backend: the image its URI names); otherwise the name of an
  // image (the local backend: one `codeyard image build NAME` made under the data dir; the
  // Kubernetes backend: a name its URI maps to a container image, or the image reference).
  std::string image;
  // Environment every exec starts from (an ExecSpec's env is merged over it).
  std::map<std::string, std::string> env;
  // The pod belongs to no process: it keeps running when the process that created it lets
  // go of it or dies, and any process using the same executor (for the local backend: the
  // same state directory) reaches it with GetPod, several at once. It ends on DeletePod (from
  // any process), or by itself once no process has held it for `orphan_timeout`. Off: the
  // pod dies with the process that created it (one-shot runs, warm pools).
  bool survive_owner = false;
  // How long a survive_owner pod lives with no holder (no process that got it from CreatePod
  // or GetPod still has it open): long enough for a restarted server, or another replica,
  // to reach it; short enough that a crashed host leaves nothing running for long. Zero:
  // until DeletePod. Ignored without survive_owner.
  std::chrono::milliseconds orphan_timeout = std::chrono::minutes(10);
};

enum class PodPhase { kPending, kRunning, kTerminated };

[[nodiscard]] std::string_view PodPhaseName(PodPhase phase) noexcept;

struct PodInfo {
  std::string id;
  PodSpec spec;
  PodPhase phase = PodPhase::kPending;
  int64_t created_unix_ms = 0;
  std::string message;  // why a pod is terminated, if known
};

struct TerminalSize {
  uint16_t rows = 24;
  uint16_t cols = 80;
};

struct ExecSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::string cwd = "/workspace";          // inside the pod
  std::map<std::string, std::string> env;  // merged over PodSpec::env
  // Bytes fed to stdin, which is then closed; ignored when stdin_open is set.
  std::string stdin_data;
  // Keeps stdin open for Process::WriteStdin/CloseStdin (terminals, interactive runs).
  bool stdin_open = false;
  // Runs on a pseudo-terminal: stdout and stderr arrive merged as kStdout.
  bool tty = false;
  TerminalSize tty_size;
  std::optional<std::chrono::milliseconds> cpu_time_limit;
  std::optional<std::chrono::milliseconds> wall_time_limit;
  // Output kept per process (stdout + stderr together). Past it, further output is dropped,
  // ExitStatus::output_truncated is set and, with kill_on_output_limit, the process is killed.
  uint64_t output_limit_bytes = uint64_t{64} << 20;
  bool kill_on_output_limit = true;
};

struct ExitStatus {
  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when a signal ended it
  int64_t cpu_ms = 0;            // user + system time of the process and its children
  int64_t wall_ms = 0;
  uint64_t memory_kb = 0;   // peak resident memory
  bool oom_killed = false;  // killed because the pod ran out of memory
  bool time_limit_exceeded = false;
  bool output_truncated = false;
};

enum class OutputStream { kStdout, kStderr };

struct OutputChunk {
  OutputStream stream = OutputStream::kStdout;
  std::string data;
};

// A process started by Pod::Exec. Destroying a Process that is still running kills it.
class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  virtual ~Process() = default;

  // Next piece of output as it comes. Returns nullopt once the process has ended and what
  // it wrote has been read (background processes it left holding stdout are not waited
  // for), or once stdout and stderr are both closed. kDeadlineExceeded if nothing arrived
  // within `timeout` (no timeout: wait as long as it takes); kAborted after Interrupt().
  [[nodiscard]] virtual Result<std::optional<OutputChunk>> ReadOutput(
      std::optional<std::chrono::milliseconds> timeout) = 0;

  // Writes to stdin (ExecSpec::stdin_open). kFailedPrecondition if stdin is closed,
  // kAborted if the process no longer reads it.
  [[nodiscard]] virtual Result<void> WriteStdin(std::string_view data) = 0;
  [[nodiscard]] virtual Result<void> CloseStdin() = 0;

  // Queues bytes for stdin without blocking: what the process cannot take at once is kept
  // and written by later ReadOutput calls as it reads. For a driver thread that must never
  // block on input while the process waits for its output to be read (a terminal pasting
  // into `cat`). kResourceExhausted, queuing nothing, when more than `max_pending` bytes
  // would wait; kFailedPrecondition if stdin is closed. The default blocks in WriteStdin.
  [[nodiscard]] virtual Result<void> QueueStdin(std::string_view data, std::size_t max_pending) {
    (void)max_pending;
    return WriteStdin(data);
  }

  // The one call allowed from any thread while another drives the process: makes a
  // ReadOutput blocked on that thread (or the next one to start) return kAborted
  // ("interrupted") at once, so the driver can take new input. The default does nothing,
  // and a blocked ReadOutput then waits for output or its timeout.
  virtual void Interrupt() {}

  // Changes the terminal size (ExecSpec::tty); kFailedPrecondition without a terminal.
  [[nodiscard]] virtual Result<void> Resize(TerminalSize size) = 0;

  // Sends a signal to the process (SIGKILL also kills what it started in its session).
  [[nodiscard]] virtual Result<void> Signal(int signal) = 0;

  // Waits for the process to end. Output not yet read is drained and dropped (it still
  // counts against the output limit). Calling it again returns the same status.
  [[nodiscard]] virtual Result<ExitStatus> Wait() = 0;
};

enum class FileKind { kFile, kDirectory, kSymlink };

// One entry of a pod's workspace manifest. Paths are relative to the workspace, '/'-separated,
// never absolute and never containing "." or ".." segments.
struct FileEntry {
  std::string path;
  FileKind kind = FileKind::kFile;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint32_t mode = 0;   // permission bits
  std::string sha256;  // lower-case hex, files only
  std::string target;  // symlinks only
};

// A file to write into, or read from, a workspace.
struct FileData {
  std::string path;
  FileKind kind = FileKind::kFile;
  std::string content;  // file bytes; the target for a symlink
  uint32_t mode = 0644;
  std::optional<int64_t> mtime_ns;

  // Problems compare their helper programs' files (codeyard/problems.hpp).
  friend bool operator==(const FileData&, const FileData&) = default;
};

struct ListFilesOptions {
  std::string under;                   // a directory to list, "" for the whole workspace
  bool with_sha256 = true;             // skip hashing for a cheap listing
  std::vector<std::string> skip_dirs;  // directory names not descended into
};

// One attachment to a pod's named terminal session (Pod::OpenSession).
struct SessionAttachment {
  // Reads the session's scrollback first, then its live output; writes, resizes and signals
  // go to the session's shell. Destroying it detaches: the shell keeps running for the next
  // attachment. ReadOutput returns nullopt and Wait the status once the shell has ended.
  std::unique_ptr<Process> process;
  bool started = false;  // true: this call started the shell; false: attached to a running one
};

class Pod {
 public:
  Pod() = default;
  Pod(const Pod&) = delete;
  Pod& operator=(const Pod&) = delete;
  virtual ~Pod() = default;

  [[nodiscard]] virtual const std::string& id() const = 0;
  [[nodiscard]] virtual PodInfo Info() const = 0;

  // Starts a process. Errors: kInvalidArgument (empty argv, relative cwd), kNotFound
  // (program not found), kFailedPrecondition (pod not running), kResourceExhausted.
  [[nodiscard]] virtual Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) = 0;

  // Writes files (creating parent directories), replacing what is there. Never follows a
  // symlink: a path through one is kPermissionDenied. Over the disk cap: kResourceExhausted.
  [[nodiscard]] virtual Result<void> PutFiles(std::span<const FileData> files) = 0;

  // Reads files. kNotFound for a missing path, kPermissionDenied through a symlink.
  [[nodiscard]] virtual Result<std::vector<FileData>> GetFiles(
      std::span<const std::string> paths) = 0;

  // Removes files and directories (recursively); a missing path is not an error.
  [[nodiscard]] virtual Result<void> DeleteFiles(std::span<const std::string> paths) = 0;

  // The manifest of the workspace (or a directory of it), sorted by path.
  [[nodiscard]] virtual Result<std::vector<FileEntry>> ListFiles(
      const ListFilesOptions& options) = 0;

  // Attaches to the pod's terminal session `name` ([a-z0-9._-], 1-64 characters), starting
  // it with `spec` (which must ask for a tty) when none of that name runs. The session lives
  // in the pod, not in the calling process: it keeps its shell, its last 64 KiB of output and
  // any other attachments (from this process or another) when an attachment goes away, and
  // ends when its shell exits or the pod is deleted. Optional: the default is kUnimplemented,
  // and a caller then falls back to Exec, whose shell ends with its Process.
  // `spec` matters only when the shell starts (joining keeps the session's size and env;
  // Resize to change it); a wall_time_limit is kInvalidArgument, since a session lasts until
  // its shell exits; output_limit_bytes counts per attachment. An attachment that falls
  // behind the shell is skipped forward: it reads a one-line note, then the scrollback, then
  // live output again. A pod holds a bounded number of sessions and attachments (the local
  // backend: 8 and 16 each); past it, kResourceExhausted.
  [[nodiscard]] virtual Result<SessionAttachment> OpenSession(std::string_view name,
                                                              const ExecSpec& spec) {
    (void)spec;
    return Fail(Error::Code::kUnimplemented,
                "this pod has no detachable sessions (" + std::string(name) + ")");
  }

  // Attaches to the running session `name` like OpenSession, but never starts one: kNotFound
  // when no session of that name runs. For a caller that must only watch (a reviewer
  // watching the author's shell must not start a shell in the author's pod). Optional: the
  // default is kUnimplemented, as for OpenSession.
  [[nodiscard]] virtual Result<SessionAttachment> JoinSession(std::string_view name) {
    return Fail(Error::Code::kUnimplemented,
                "this pod has no detachable sessions (" + std::string(name) + ")");
  }

  // A TCP connection to `port` on the pod's own loopback (127.0.0.1), made inside the pod's
  // network namespace, as `kubectl port-forward` does (a pod without network is reached only
  // this way). kInvalidArgument for port 0; kUnavailable when nothing listens there;
  // kFailedPrecondition when the pod is not running. Optional: the default is kUnimplemented.
  [[nodiscard]] virtual Result<std::unique_ptr<PortStream>> ConnectPort(uint16_t port) {
    return Fail(Error::Code::kUnimplemented,
                "this pod cannot forward ports (port " + std::to_string(port) + ")");
  }

  // Reset: makes the pod fit to run the next program as a fresh pod of the same spec would
  // be (docs/sandbox.md, "Reusing a pod"), so one pod can serve many runs. Kills every
  // process in the pod (its terminal sessions too; a running Process then reads its end, as
  // killed), waits until they are gone, removes the System V IPC objects they left, and
  // empties /workspace, /tmp and /dev/shm, restoring those directories' modes. Limits are
  // the pod's own (cgroup) or set per exec, so nothing a program does survives into the
  // next exec. kUnavailable, kInternal: the pod could not be made clean (something would
  // not die, a tree too deep to empty); the caller must then delete it. Optional: the
  // default is kUnimplemented, and a caller then deletes the pod and takes a fresh one.
  [[nodiscard]] virtual Result<void> Reset() {
    return Fail(Error::Code::kUnimplemented, "this pod cannot be reset; use a fresh one");
  }

  // The pod's CPU counter (issue 20's metering): user + system milliseconds every process
  // the pod ran has used since the pod started, ended or still running, terminal sessions,
  // language servers and what a process left behind included; the backend's own machinery
  // (the init, agents) left out. It only grows, except that a sample taken while a process
  // is being reaped may read a few ticks off, which the next sample corrects (a meter keeps
  // the highest value seen). Optional: the default is kUnimplemented, and usage then comes
  // from each process's ExitStatus alone.
  [[nodiscard]] virtual Result<int64_t> CpuMs() {
    return Fail(Error::Code::kUnimplemented, "this pod has no CPU counter");
  }

  // Fencing (faults21; docs/workspaces.md, "Leases"): runs `calls`, the caller's file calls
  // on this pod, while the pod's fence is held at `token` (the generation of the caller's
  // lease on the pod, > 0). The pod keeps the highest token any caller brought, whichever
  // process reached it; a lower token is refused with kFailedPrecondition, a message holding
  // kStaleFencingToken, and `calls` does not run. The check and the calls are one step for
  // every other fenced caller (they wait for it), so once a newer holder's call has run no
  // older holder's call runs again. Optional: the default runs `calls` unfenced (the pod has
  // no place shared by every process that reaches it).
  [[nodiscard]] virtual Result<void> Fenced(int64_t token,
                                            const std::function<Result<void>()>& calls) {
    (void)token;
    return calls();
  }
};

// In the message of Pod::Fenced's refusal.
inline constexpr std::string_view kStaleFencingToken = "stale fencing token";

// Equality on every listed label (Kubernetes' matchLabels); empty selects all.
using LabelSelector = Labels;

[[nodiscard]] bool LabelsMatch(const Labels& labels, const LabelSelector& selector);

// What the host offers, for `codeyard doctor`.
struct HostCheck {
  std::string name;  // "user namespaces", "cgroup memory limit", ...
  bool ok = false;
  bool required = false;  // pods cannot start without it
  std::string detail;     // plain words: what was found, what is missing and how to fix it
};

class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  virtual ~Executor() = default;

  // Creates and starts a pod; returns once it accepts Exec. Errors: kInvalidArgument (bad
  // spec), kFailedPrecondition (a limit this host cannot enforce, or no memory/pids limit
  // while unlimited pods are not allowed), kResourceExhausted, kUnavailable.
  [[nodiscard]] virtual Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) = 0;

  // A running pod of this executor, whoever created it: a pod this object created, or a
  // survive_owner pod created by any process using the same executor state, which this call
  // then holds (PodSpec::orphan_timeout) until DeletePod or this executor goes. kNotFound if
  // no such pod runs; kFailedPrecondition for another process's pod that dies with it.
  [[nodiscard]] virtual Result<std::shared_ptr<Pod>> GetPod(std::string_view id) = 0;

  // Pods of this executor state matching `selector`, whoever created them (one that ended
  // and is not yet swept shows as kTerminated).
  [[nodiscard]] virtual Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) = 0;

  // Kills every process in the pod and frees what it held, whoever created it (any process
  // using the same executor state may). kNotFound for an unknown id.
  [[nodiscard]] virtual Result<void> DeletePod(std::string_view id) = 0;

  // Frees what the backend keeps for pods of `selector` beyond their life (the Kubernetes
  // backend keeps a workspace's home volume across its pods; the workspace's deletion frees
  // it). Idempotent. Optional: the default keeps nothing, so has nothing to free.
  [[nodiscard]] virtual Result<void> DeleteVolumes(const LabelSelector& selector) {
    (void)selector;
    return {};
  }

  // Protections and limits the host offers. Optional: the default says it is not supported.
  [[nodiscard]] virtual Result<std::vector<HostCheck>> Doctor() {
    return Fail(Error::Code::kUnimplemented, "this executor has no host checks");
  }

  // Whether pods naming `image` (PodSpec::image; "" is the backend's default) can run here.
  // Asked when a workspace, job or problem names an image, so one no pod could start on is
  // refused then (kInvalidArgument naming it and the images known), not when a pod starts.
  // The local backend knows the images under its images_dir; the Kubernetes backend the
  // names its URI maps (`image.<name>=REF`). Optional: the default accepts every name.
  [[nodiscard]] virtual Result<void> CheckImage(std::string_view image) {
    (void)image;
    return {};
  }

  // The labels of every volume the backend keeps beyond its pods (see DeleteVolumes) that
  // matches `selector`, so a sweep finds the volumes of workspaces that no longer exist.
  // Optional: the default keeps none.
  [[nodiscard]] virtual Result<std::vector<Labels>> ListVolumes(const LabelSelector& selector) {
    (void)selector;
    return std::vector<Labels>{};
  }

  // One pass of the backend's own sweep of what departed holders left: the local backend's
  // dead pods' remains; the Kubernetes backend's pods whose orphan lease passed. A process
  // using the backend sweeps by itself while it runs; this is for one that runs none
  // (`codeyard gc`). Never deletes a pod a live holder renews. Returns how many pods it
  // removed; the default none.
  [[nodiscard]] virtual Result<int> SweepOrphans() { return 0; }

  // The registry scheme of this backend ("local", "fake", later "k8s"), recorded in the
  // pods row (PodRecord::executor) so an operator sees which backend serves a workspace.
  // Optional: an executor from outside the registry says "custom".
  [[nodiscard]] virtual std::string scheme() const { return "custom"; }
};

// Forwards every call to a target executor. Derive and override one method to inject
// faults, count calls or add metrics.
class ExecutorWrapper : public Executor {
 public:
  explicit ExecutorWrapper(std::shared_ptr<Executor> target) : target_(std::move(target)) {}

  [[nodiscard]] Executor& target() const { return *target_; }

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override {
    return target_->CreatePod(spec);
  }
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override { return target_->GetPod(id); }
  Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) override {
    return target_->ListPods(selector);
  }
  Result<void> DeletePod(std::string_view id) override { return target_->DeletePod(id); }
  Result<void> DeleteVolumes(const LabelSelector& selector) override {
    return target_->DeleteVolumes(selector);
  }
  Result<std::vector<HostCheck>> Doctor() override { return target_->Doctor(); }
  Result<void> CheckImage(std::string_view image) override { return target_->CheckImage(image); }
  Result<std::vector<Labels>> ListVolumes(const LabelSelector& selector) override {
    return target_->ListVolumes(selector);
  }
  Result<int> SweepOrphans() override { return target_->SweepOrphans(); }
  std::string scheme() const override { return target_->scheme(); }

 private:
  std::shared_ptr<Executor> target_;
};

// Forwards every call to a target pod; the companion of ExecutorWrapper.
class PodWrapper : public Pod {
 public:
  explicit PodWrapper(std::shared_ptr<Pod> target) : target_(std::move(target)) {}

  [[nodiscard]] Pod& target() const { return *target_; }

  const std::string& id() const override { return target_->id(); }
  PodInfo Info() const override { return target_->Info(); }
  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override {
    return target_->Exec(spec);
  }
  Result<void> PutFiles(std::span<const FileData> files) override {
    return target_->PutFiles(files);
  }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    return target_->GetFiles(paths);
  }
  Result<void> DeleteFiles(std::span<const std::string> paths) override {
    return target_->DeleteFiles(paths);
  }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    return target_->ListFiles(options);
  }
  Result<SessionAttachment> OpenSession(std::string_view name, const ExecSpec& spec) override {
    return target_->OpenSession(name, spec);
  }
  Result<SessionAttachment> JoinSession(std::string_view name) override {
    return target_->JoinSession(name);
  }
  Result<std::unique_ptr<PortStream>> ConnectPort(uint16_t port) override {
    return target_->ConnectPort(port);
  }
  // Reset (reuse).
  Result<void> Reset() override { return target_->Reset(); }
  Result<int64_t> CpuMs() override { return target_->CpuMs(); }
  Result<void> Fenced(int64_t token, const std::function<Result<void>()>& calls) override {
    return target_->Fenced(token, calls);
  }

 private:
  std::shared_ptr<Pod> target_;
};

}  // namespace codeyard
