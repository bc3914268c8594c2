#include "executor/local/protocol.hpp"
#include "core/errno_text.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace codeyard::local {
namespace json = boost::json;

namespace {

Error Bad(std::string_view what) {
  return Error(Error::Code::kInternal, "pod protocol: " + std::string(what));
}

json::array Strings(const std::vector<std::string>& values) {
  json::array out;
  out.reserve(values.size());
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

bool GetStrings(const json::object& o, std::string_view key, std::vector<std::string>& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_array()) return false;
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return false;
    out.emplace_back(item.get_string());
  }
  return true;
}

bool GetString(const json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

template <class T>
bool GetInt(const json::object& o, std::string_view key, T& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return true;
  if (v->is_int64()) {
    out = static_cast<T>(v->get_int64());
    return true;
  }
  if (v->is_uint64()) {
    out = static_cast<T>(v->get_uint64());
    return true;
  }
  return false;
}

template <class T>
bool GetOptInt(const json::object& o, std::string_view key, std::optional<T>& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  T value{};
  if (!GetInt(o, key, value)) return false;
  out = value;
  return true;
}

bool GetBool(const json::object& o, std::string_view key, bool& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_bool()) return false;
  out = v->get_bool();
  return true;
}

template <class T>
void PutOpt(json::object& o, std::string_view key, const std::optional<T>& value) {
  if (value) o[key] = *value;
}

}  // namespace

json::object ToJson(const PodConfig& c) {
  json::object o;
  o["type"] = "config";
  o["pod_id"] = c.pod_id;
  o["hostname"] = c.hostname;
  o["host_uid"] = c.host_uid;
  o["host_gid"] = c.host_gid;
  o["rootless"] = c.rootless;
  o["root_dir"] = c.root_dir;
  o["network"] = c.network;
  o["workspace_bytes"] = c.workspace_bytes;
  o["tmp_bytes"] = c.tmp_bytes;
  o["shm_bytes"] = c.shm_bytes;
  o["orphan_timeout_ms"] = c.orphan_timeout_ms;
  o["cgroup_procs_files"] = Strings(c.cgroup_procs_files);
  o["extra_ro_binds"] = Strings(c.extra_ro_binds);
  o["image_dir"] = c.image_dir;
  return o;
}

Result<PodConfig> PodConfigFromJson(const json::object& o) {
  PodConfig c;
  if (!GetString(o, "pod_id", c.pod_id) || !GetString(o, "hostname", c.hostname) ||
      !GetInt(o, "host_uid", c.host_uid) || !GetInt(o, "host_gid", c.host_gid) ||
      !GetBool(o, "rootless", c.rootless) || !GetString(o, "root_dir", c.root_dir) ||
      !GetBool(o, "network", c.network) || !GetInt(o, "workspace_bytes", c.workspace_bytes) ||
      !GetInt(o, "tmp_bytes", c.tmp_bytes) || !GetInt(o, "shm_bytes", c.shm_bytes) ||
      !GetInt(o, "orphan_timeout_ms", c.orphan_timeout_ms) ||
      !GetStrings(o, "cgroup_procs_files", c.cgroup_procs_files) ||
      !GetStrings(o, "extra_ro_binds", c.extra_ro_binds) ||
      !GetString(o, "image_dir", c.image_dir)) {
    return std::unexpected(Bad("malformed config"));
  }
  if (c.pod_id.empty() || c.root_dir.empty() || c.root_dir.front() != '/') {
    return std::unexpected(Bad("config needs pod_id and an absolute root_dir"));
  }
  return c;
}

json::object ToJson(const ExecRequest& r) {
  json::object o;
  o["type"] = "exec";
  o["argv"] = Strings(r.argv);
  o["cwd"] = r.cwd;
  o["env"] = Strings(r.env);
  o["tty"] = r.tty;
  o["rows"] = r.rows;
  o["cols"] = r.cols;
  PutOpt(o, "cpu_ms", r.cpu_ms);
  PutOpt(o, "wall_ms", r.wall_ms);
  PutOpt(o, "file_bytes", r.file_bytes);
  PutOpt(o, "open_files", r.open_files);
  return o;
}

Result<ExecRequest> ExecRequestFromJson(const json::object& o) {
  ExecRequest r;
  r.argv.clear();
  if (!GetStrings(o, "argv", r.argv) || !GetString(o, "cwd", r.cwd) ||
      !GetStrings(o, "env", r.env) || !GetBool(o, "tty", r.tty) || !GetInt(o, "rows", r.rows) ||
      !GetInt(o, "cols", r.cols) || !GetOptInt(o, "cpu_ms", r.cpu_ms) ||
      !GetOptInt(o, "wall_ms", r.wall_ms) || !GetOptInt(o, "file_bytes", r.file_bytes) ||
      !GetOptInt(o, "open_files", r.open_files)) {
    return std::unexpected(Bad("malformed exec request"));
  }
  if (r.argv.empty()) return Fail(Error::Code::kInvalidArgument, "exec needs a non-empty argv");
  return r;
}

json::object ToJson(const ExitReport& r) {
  json::object o;
  o["type"] = "exit";
  PutOpt(o, "exit_code", r.exit_code);
  PutOpt(o, "signal", r.signal);
  o["cpu_ms"] = r.cpu_ms;
  o["wall_ms"] = r.wall_ms;
  o["memory_kb"] = r.memory_kb;
  o["time_limit_exceeded"] = r.time_limit_exceeded;
  return o;
}

Result<ExitReport> ExitReportFromJson(const json::object& o) {
  ExitReport r;
  if (!GetOptInt(o, "exit_code", r.exit_code) || !GetOptInt(o, "signal", r.signal) ||
      !GetInt(o, "cpu_ms", r.cpu_ms) || !GetInt(o, "wall_ms", r.wall_ms) ||
      !GetInt(o, "memory_kb", r.memory_kb) ||
      !GetBool(o, "time_limit_exceeded", r.time_limit_exceeded)) {
    return std::unexpected(Bad("malformed exit report"));
  }
  return r;
}

json::object ErrorMessage(const Error& error) {
  json::object o;
  o["type"] = "error";
  o["code"] = CodeName(error.code());
  o["message"] = error.message();
  return o;
}

Error ErrorFromMessage(const json::object& o) {
  std::string code = "internal";
  std::string message = "pod error";
  GetString(o, "code", code);
  GetString(o, "message", message);
  return {CodeFromName(code), message};
}

std::string_view Message::type() const {
  const auto* v = body.if_contains("type");
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

Result<void> SendMessage(int socket, const json::object& body, const std::vector<int>& fds) {
  const std::string text = json::serialize(body);
  if (text.size() > kMaxMessage) return std::unexpected(Bad("message too large"));
  if (fds.size() > static_cast<size_t>(kMaxFds)) return std::unexpected(Bad("too many fds"));
  iovec iov{const_cast<char*>(text.data()), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  while (true) {
    const ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) {
      return Fail(Error::Code::kAborted, "the pod closed its end of the socket");
    }
    return std::unexpected(Bad(std::string("sendmsg: ") + ErrnoText(errno)));
  }
}

Result<std::optional<Message>> ReceiveMessage(int socket) {
  // One buffer per thread: zeroing and faulting in 256 KiB for every message showed up in
  // profiles of pod start-up.
  thread_local std::unique_ptr<char[]> buffer(new char[kMaxMessage]);
  iovec iov{buffer.get(), kMaxMessage};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = 0;
  while (true) {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return std::optional<Message>();
    return std::unexpected(Bad(std::string("recvmsg: ") + ErrnoText(errno)));
  }
  Message out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out.fds.push_back(fd);
    }
  }
  if (n == 0 && out.fds.empty()) return std::optional<Message>();
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    CloseAll(out.fds);
    return std::unexpected(Bad("truncated message"));
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(std::string_view(buffer.get(), static_cast<size_t>(n)), ec);
  if (ec || !parsed.is_object()) {
    CloseAll(out.fds);
    return std::unexpected(Bad("message is not a JSON object"));
  }
  out.body = std::move(parsed.get_object());
  return std::optional<Message>(std::move(out));
}

void CloseAll(std::vector<int>& fds) {
  for (const int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  fds.clear();
}

}  // namespace codeyard::local
