// The private wire protocol between the local executor (in the library) and `codeyard-pod`,
// the small init that holds a pod. Both ends live in this repository and are built together,
// so the protocol has no versioning. Transport: SOCK_SEQPACKET unix sockets (one message is
// one JSON object, at most kMaxMessage bytes) with file descriptors attached by SCM_RIGHTS.
//
// Start-up. The library creates a socketpair, starts `codeyard-pod` with its end as fd 3, and
// sends one "config" message (PodConfig). `codeyard-pod` (the shim) joins the cgroups, makes
// the namespaces, forks the init (PID 1 of the pod) and sends {"type":"init","pid":<host pid>}.
// The init builds the root file system, enters the user namespace, drops every privilege and
// sends {"type":"ready"} with one fd attached: an O_DIRECTORY fd of the pod's /workspace.
// On failure either sends {"type":"error","code":"<error code name>","message":"..."} and
// exits. The library never gets "ready" later than the shim's and init's exit: EOF on the
// control socket means the pod is gone. If the library's end closes, the init kills the pod,
// unless the config message carried one fd: a listening SOCK_SEQPACKET socket bound at
// <pod dir>/control.sock (kControlSocket). Such a pod (PodSpec::survive_owner) belongs to
// no process: any process of the library's user that opens the same state directory
// connects there (Executor::GetPod), as many at once as like, and the init answers each
// connection with {"type":"ready"} and the workspace fd, as at start-up. Every connection,
// the start-up socketpair included, is a control socket of its own ("a holder"); exec
// requests may arrive on any of them. When the last holder hangs up, the init arms a timer
// of `orphan_timeout_ms` (0: none); a new connection disarms it, and when it fires the init
// kills the pod and exits. Running execs do not hold the pod: each ends when its own status
// socket hangs up. Only the library's user can connect: the socket is 0600 in the state
// directory, which pods never see.
//
// Container mode (pod/container.hpp, for pods a container runtime made): no shim, no config
// and no start-up socketpair; the init listens on the abstract socket @codeyard-pod.control
// and `codeyard-pod agent` connects there as a holder, on the library's behalf
// (pod/agent_protocol.hpp). Everything below is the same.
//
// Exec. The library sends {"type":"exec", ...ExecRequest} on the control socket with fds:
// [status, stdin, stdout, stderr] for pipes, or [status] for a terminal. `status` is one end
// of a fresh socketpair private to this process. On the status socket the init answers
// {"type":"started","pid":N} (with the pty master fd attached for a terminal) or
// {"type":"error",...}; later {"type":"exit", ...ExitReport}. The library may send
// {"type":"signal","signal":N} on the status socket; closing it kills the process group.
//
// Sessions. The library sends {"type":"attach"} with one fd: its end of a fresh stream
// socket, on which the init then speaks the session protocol (pod/session_frames.hpp: open
// or join a named terminal session, its output, input, resize, signal, exit). Unlike an
// exec's, the session's PTY stays with the init, so closing the stream only detaches.
//
// Requests answered on a socket of their own. {"type":"reset"} or {"type":"usage"} with one
// fd attached: one end of a fresh socketpair, on which the init answers once:
// {"type":"reset"} when the pod is clean again (pod/reset.cpp), {"type":"usage","cpu_ms":N}
// with the pod's CPU counter (pod/pod_cpu.hpp), or an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "codeyard/error.hpp"

namespace codeyard::local {

inline constexpr size_t kMaxMessage = size_t{256} * 1024;
inline constexpr int kMaxFds = 4;
inline constexpr int kControlFd = 3;       // where the shim finds its control socket
inline constexpr uint32_t kPodUid = 1000;  // the pod user's uid and gid, as seen inside
inline constexpr const char* kWorkspace = "/workspace";
inline constexpr const char* kControlSocket = "control.sock";  // in the pod's state directory

struct PodConfig {
  std::string pod_id;
  std::string hostname = "pod";
  // Host uid/gid the pod user maps to. Root mode: a dedicated unprivileged id per pod.
  // Rootless mode: the caller's own ids.
  uint32_t host_uid = 0;
  uint32_t host_gid = 0;
  bool rootless = false;
  // An empty directory on the host where the init assembles the pod's root (a tmpfs is
  // mounted over it inside the pod's mount namespace; the host never sees its content).
  std::string root_dir;
  bool network = false;
  uint64_t workspace_bytes = 0;  // tmpfs size caps; 0 means the kernel's default (half RAM)
  uint64_t tmp_bytes = 0;
  uint64_t shm_bytes = 64ull << 20;
  // With a control socket (survive_owner): how long the pod lives with no holder; 0 forever.
  uint64_t orphan_timeout_ms = 0;
  // cgroup "cgroup.procs" (v2) or "tasks"/"cgroup.procs" (v1) files the shim writes its own
  // pid into before making namespaces, so everything in the pod is accounted and limited.
  std::vector<std::string> cgroup_procs_files;
  // Read-only bind mounts from the host beyond /usr and the /bin-style links (absolute paths
  // that are the same inside; missing ones are skipped).
  std::vector<std::string> extra_ro_binds;
  // A workspace image's directory (<images>/<name>, holding root/ and manifest.json) whose
  // root replaces the host's as the source of /usr, the /bin-style links and the /etc
  // entries; "" keeps the host's.
  std::string image_dir;
};

struct ExecRequest {
  std::vector<std::string> argv;
  std::string cwd = kWorkspace;
  std::vector<std::string> env;  // "KEY=value", complete (the library merges pod + exec env)
  bool tty = false;
  uint16_t rows = 24;
  uint16_t cols = 80;
  std::optional<int64_t> cpu_ms;       // RLIMIT_CPU (rounded up to whole seconds) + accounting
  std::optional<int64_t> wall_ms;      // the init kills the process group at this deadline
  std::optional<uint64_t> file_bytes;  // RLIMIT_FSIZE
  std::optional<uint32_t> open_files;  // RLIMIT_NOFILE
};

struct ExitReport {
  std::optional<int> exit_code;
  std::optional<int> signal;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  uint64_t memory_kb = 0;  // ru_maxrss
  bool time_limit_exceeded = false;
};

// JSON mapping (field names as the struct members).
boost::json::object ToJson(const PodConfig& config);
Result<PodConfig> PodConfigFromJson(const boost::json::object& object);
boost::json::object ToJson(const ExecRequest& request);
Result<ExecRequest> ExecRequestFromJson(const boost::json::object& object);
boost::json::object ToJson(const ExitReport& report);
Result<ExitReport> ExitReportFromJson(const boost::json::object& object);

// {"type":"error","code":...,"message":...} and back.
boost::json::object ErrorMessage(const Error& error);
Error ErrorFromMessage(const boost::json::object& object);

struct Message {
  boost::json::object body;
  std::vector<int> fds;  // owned by the receiver
  [[nodiscard]] std::string_view type() const;
};

// Sends one message with optional fds (not closed). Retries EINTR; kAborted on EPIPE.
Result<void> SendMessage(int socket, const boost::json::object& body,
                         const std::vector<int>& fds = {});

// Receives one message. nullopt on EOF. Received fds are marked close-on-exec.
Result<std::optional<Message>> ReceiveMessage(int socket);

// Closes every fd in the list (for received fds nobody took).
void CloseAll(std::vector<int>& fds);

}  // namespace codeyard::local
