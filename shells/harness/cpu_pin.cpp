#include "cpu_pin.hpp"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace codeyard::bench {

Result<int> PinSelf() {
  const int cpu = sched_getcpu();
  if (cpu < 0) return Fail(Error::Code::kUnavailable, "sched_getcpu failed");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    return Fail(Error::Code::kPermissionDenied,
                std::string("cannot pin the bench: ") +
                    std::strerror(errno));  // NOLINT(concurrency-mt-unsafe)
  }
  return cpu;
}

Result<void> PinServerProcess(pid_t pid, int cpu) {
  std::string comm;
  std::ifstream(std::string("/proc/") + std::to_string(pid) + "/comm") >> comm;
  if (comm != "postgres") {
    return Fail(Error::Code::kNotFound, "server process " + std::to_string(pid) +
                                            " is not a local postgres process (remote server?)");
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(pid, sizeof set, &set) != 0) {
    const int err = errno;
    return Fail(err == EPERM ? Error::Code::kPermissionDenied : Error::Code::kUnavailable,
                "cannot pin server process " + std::to_string(pid) + ": " +
                    std::strerror(err));  // NOLINT(concurrency-mt-unsafe)
  }
  return {};
}

void UnpinProcess(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &set);
  (void)sched_setaffinity(pid, sizeof set, &set);
}

}  // namespace codeyard::bench
