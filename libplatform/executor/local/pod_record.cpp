#include "executor/local/pod_record.hpp"

#include "core/errno_text.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace codeyard::local {
namespace json = boost::json;

namespace {

json::object LimitsJson(const ResourceLimits& l) {
  json::object o;
  if (l.memory_bytes) o["memory_bytes"] = *l.memory_bytes;
  if (l.cpus) o["cpus"] = *l.cpus;
  if (l.pids) o["pids"] = *l.pids;
  if (l.workspace_bytes) o["workspace_bytes"] = *l.workspace_bytes;
  if (l.tmp_bytes) o["tmp_bytes"] = *l.tmp_bytes;
  if (l.file_bytes) o["file_bytes"] = *l.file_bytes;
  if (l.open_files) o["open_files"] = *l.open_files;
  return o;
}

template <class T>
void ReadOpt(const json::object& o, std::string_view key, std::optional<T>& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return;
  if constexpr (std::is_floating_point_v<T>) {
    if (v->is_number()) out = v->to_number<double>();
  } else {
    if (v->is_int64()) out = static_cast<T>(v->get_int64());
    if (v->is_uint64()) out = static_cast<T>(v->get_uint64());
  }
}

ResourceLimits LimitsFromJson(const json::object& o) {
  ResourceLimits l;
  ReadOpt(o, "memory_bytes", l.memory_bytes);
  ReadOpt(o, "cpus", l.cpus);
  ReadOpt(o, "pids", l.pids);
  ReadOpt(o, "workspace_bytes", l.workspace_bytes);
  ReadOpt(o, "tmp_bytes", l.tmp_bytes);
  ReadOpt(o, "file_bytes", l.file_bytes);
  ReadOpt(o, "open_files", l.open_files);
  return l;
}

int64_t Int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return 0;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Result<void> WritePodRecord(const std::string& dir, const PodRecord& r) {
  json::object o;
  o["id"] = r.info.id;
  json::object labels;
  for (const auto& [k, v] : r.info.spec.labels) labels[k] = v;
  o["labels"] = std::move(labels);
  o["limits"] = LimitsJson(r.info.spec.limits);
  o["network"] = r.info.spec.network;
  o["survive_owner"] = r.info.spec.survive_owner;
  o["orphan_timeout_ms"] = r.info.spec.orphan_timeout.count();
  json::object env;
  for (const auto& [k, v] : r.info.spec.env) env[k] = v;
  o["env"] = std::move(env);
  o["created_unix_ms"] = r.info.created_unix_ms;
  o["owner_pid"] = r.owner_pid;
  o["owner_start"] = r.owner_start;
  o["shim_pid"] = r.shim_pid;
  o["init_pid"] = r.init_pid;
  o["init_start"] = r.init_start;
  o["host_uid"] = r.host_uid;
  const std::string text = json::serialize(o);
  const std::string tmp = dir + "/pod.json.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Fail(Error::Code::kInternal, "cannot write " + tmp + ": " + ErrnoText(errno));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (dir + "/pod.json").c_str()) != 0) {
    return Fail(Error::Code::kInternal, "cannot write pod record in " + dir);
  }
  return {};
}

Result<PodRecord> ReadPodRecord(const std::string& dir) {
  std::ifstream in(dir + "/pod.json");
  if (!in) return Fail(Error::Code::kNotFound, "no pod record in " + dir);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return Fail(Error::Code::kDataLoss, "unreadable pod record in " + dir);
  const auto& o = v.get_object();
  PodRecord r;
  r.info.id = Str(o, "id");
  if (const auto* labels = o.if_contains("labels"); labels != nullptr && labels->is_object()) {
    for (const auto& [k, val] : labels->get_object()) {
      if (val.is_string()) r.info.spec.labels[std::string(k)] = std::string(val.get_string());
    }
  }
  if (const auto* limits = o.if_contains("limits"); limits != nullptr && limits->is_object()) {
    r.info.spec.limits = LimitsFromJson(limits->get_object());
  }
  if (const auto* env = o.if_contains("env"); env != nullptr && env->is_object()) {
    for (const auto& [k, val] : env->get_object()) {
      if (val.is_string()) r.info.spec.env[std::string(k)] = std::string(val.get_string());
    }
  }
  if (const auto* net = o.if_contains("network"); net != nullptr && net->is_bool()) {
    r.info.spec.network = net->get_bool();
  }
  if (const auto* survive = o.if_contains("survive_owner");
      survive != nullptr && survive->is_bool()) {
    r.info.spec.survive_owner = survive->get_bool();
  }
  r.info.spec.orphan_timeout = std::chrono::milliseconds(Int(o, "orphan_timeout_ms"));
  r.info.created_unix_ms = Int(o, "created_unix_ms");
  r.info.phase = PodPhase::kRunning;
  r.owner_pid = static_cast<pid_t>(Int(o, "owner_pid"));
  r.owner_start = static_cast<uint64_t>(Int(o, "owner_start"));
  r.shim_pid = static_cast<pid_t>(Int(o, "shim_pid"));
  r.init_pid = static_cast<pid_t>(Int(o, "init_pid"));
  r.init_start = static_cast<uint64_t>(Int(o, "init_start"));
  r.host_uid = static_cast<uint32_t>(Int(o, "host_uid"));
  return r;
}

std::vector<PodRecord> ListPodRecords(const std::string& state_dir) {
  std::vector<PodRecord> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir, ec)) {
    if (!entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    auto record = ReadPodRecord(entry.path().string());
    if (record) {
      out.push_back(std::move(*record));
    } else {
      PodRecord bare;
      bare.info.id = name;
      bare.info.phase = PodPhase::kTerminated;
      bare.info.message = record.error().message();
      out.push_back(std::move(bare));
    }
  }
  return out;
}

uint64_t ProcessStartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return 0;
  // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
  }
  return std::strtoull(field.c_str(), nullptr, 10);
}

bool ProcessAlive(pid_t pid, uint64_t start) {
  return pid > 0 && start != 0 && ProcessStartTime(pid) == start;
}

Result<void> RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // does not follow symlinks
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Fail(Error::Code::kInternal, "cannot remove " + path + ": " + ec.message());
  }
  return {};
}

}  // namespace codeyard::local
