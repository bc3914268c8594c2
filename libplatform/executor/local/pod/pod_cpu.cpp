#include "executor/local/pod/pod_cpu.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "executor/local/pod/init_loop.hpp"
#include "executor/local/pod/sys.hpp"

namespace codeyard::local::pod {
namespace {

struct ProcStat {
  pid_t ppid = 0;
  int64_t ticks = 0;  // utime + stime + cutime + cstime
};

// Fields of /proc/<pid>/stat after the command's closing parenthesis: state, ppid, ..., utime
// (14th of the line), stime, cutime, cstime.
bool ReadStat(pid_t pid, ProcStat* out) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  std::array<char, 1024> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size() - 1);
  if (n <= 0) return false;
  const std::string_view line(buf.data(), static_cast<size_t>(n));
  const size_t close = line.rfind(')');
  if (close == std::string_view::npos) return false;
  // Field 3 (state) starts two characters after ')'; count fields from there.
  std::array<int64_t, 18> fields{};
  size_t at = close + 2;
  for (int field = 3; field <= 17 && at < line.size(); ++field) {
    size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    if (field != 3) {
      int64_t value = 0;
      std::from_chars(line.data() + at, line.data() + end, value);
      fields.at(static_cast<size_t>(field)) = value;
    }
    at = end + 1;
  }
  out->ppid = static_cast<pid_t>(fields[4]);
  out->ticks = fields[14] + fields[15] + fields[16] + fields[17];
  return true;
}

int64_t MicrosOf(const timeval& t) { return int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; }

}  // namespace

int64_t PodCpuMs(pid_t self) {
  rusage reaped{};
  ::getrusage(RUSAGE_CHILDREN, &reaped);
  int64_t micros = MicrosOf(reaped.ru_utime) + MicrosOf(reaped.ru_stime);

  std::map<pid_t, ProcStat> live;
  if (DIR* proc = ::opendir("/proc")) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): each call has its own DIR stream
    while (const dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || pid <= 0 || pid == self) continue;
      ProcStat stat;
      if (ReadStat(static_cast<pid_t>(pid), &stat)) live.emplace(static_cast<pid_t>(pid), stat);
    }
    ::closedir(proc);
  }
  const int64_t hz = ::sysconf(_SC_CLK_TCK) > 0 ? ::sysconf(_SC_CLK_TCK) : 100;
  for (const auto& [pid, stat] : live) {
    // Only the init's descendants: an agent (the container runtime's child) is not the user's.
    pid_t up = stat.ppid;
    for (size_t depth = 0; up != self && depth <= live.size(); ++depth) {
      const auto parent = live.find(up);
      if (parent == live.end()) break;
      up = parent->second.ppid;
    }
    if (up == self) micros += stat.ticks * 1'000'000 / hz;
  }
  return micros / 1000;
}

}  // namespace codeyard::local::pod

namespace codeyard::local::pod {

void InitLoop::OnUsage(Message message) {
  if (message.fds.size() != 1) return CloseAll(message.fds);
  UniqueFd reply(message.fds.front());
  message.fds.clear();
  boost::json::object answer;
  answer["type"] = "usage";
  answer["cpu_ms"] = PodCpuMs(::getpid());
  (void)SendMessage(reply.get(), answer);
}

}  // namespace codeyard::local::pod
