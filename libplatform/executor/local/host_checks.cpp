// LocalExecutor::Doctor: what this host offers the local sandbox, in plain words. Beyond
// reading kernel settings it starts a real pod and runs each runtime in it, because the
// only convincing proof that the sandbox works is a process that ran in one.
#include <unistd.h>

#include <fstream>
#include <string>

#include "executor/local/local_executor.hpp"

namespace codeyard::local {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

struct RunOutcome {
  bool ok = false;
  std::string text;
};

RunOutcome RunIn(Pod& pod, std::vector<std::string> argv) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  spec.wall_time_limit = std::chrono::seconds(20);
  auto process = pod.Exec(spec);
  if (!process) return {false, process.error().message()};
  std::string text;
  while (true) {
    auto chunk = (*process)->ReadOutput(std::nullopt);
    if (!chunk) break;
    const std::optional<OutputChunk>& piece = *chunk;
    if (!piece) break;
    if (text.size() < 4096) text += piece->data;
  }
  auto status = (*process)->Wait();
  if (!status) return {false, status.error().message()};
  // The first line says what a version command printed; the last one why a command failed
  // (a Python traceback ends with the exception).
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (status->exit_code != 0) {
    const auto last = text.rfind('\n');
    if (last != std::string::npos) text.erase(0, last + 1);
  } else if (const auto newline = text.find('\n'); newline != std::string::npos) {
    text.resize(newline);
  }
  return {status->exit_code == 0, text};
}

}  // namespace

Result<std::vector<HostCheck>> LocalExecutor::Doctor() {
  std::vector<HostCheck> checks;
  const auto add = [&](std::string name, bool ok, bool required, std::string detail) {
    checks.push_back(HostCheck{std::move(name), ok, required, std::move(detail)});
  };
  if (rootless_) {
    add("privileges", true, false,
        "running as uid " + std::to_string(::geteuid()) +
            " (rootless): pods run in a user namespace as your own uid; limits need a "
            "delegated cgroup v2 subtree");
  } else {
    add("privileges", true, false,
        "running as root: each pod runs as its own unprivileged host uid (from " +
            std::to_string(options_.uid_base) + "), never as root");
  }
  const std::string max_ns = ReadFirstLine("/proc/sys/user/max_user_namespaces");
  add("user namespaces", !max_ns.empty() && max_ns != "0", true,
      max_ns.empty() ? "cannot read /proc/sys/user/max_user_namespaces"
                     : "user.max_user_namespaces = " + max_ns +
                           (max_ns == "0" ? "; set it above 0 (sysctl)" : ""));
  if (rootless_) {
    const std::string clone = ReadFirstLine("/proc/sys/kernel/unprivileged_userns_clone");
    if (!clone.empty()) {
      add("unprivileged user namespaces", clone == "1", true,
          "kernel.unprivileged_userns_clone = " + clone +
              (clone == "1" ? "" : "; set it to 1 or run as root"));
    }
  }
  bool seccomp = false;
  {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Seccomp:")) seccomp = true;
    }
  }
  add("seccomp", seccomp, true,
      seccomp ? "the kernel filters system calls (CONFIG_SECCOMP_FILTER)"
              : "this kernel has no seccomp; pods cannot be sandboxed");
  const bool binary = ::access(options_.pod_binary.c_str(), X_OK) == 0;
  add("pod program", binary, true,
      options_.pod_binary +
          (binary ? "" : " is missing or not executable; set CODEYARD_POD_BINARY"));
  for (auto& check : cgroups_.Checks()) checks.push_back(std::move(check));

  PodSpec spec;
  spec.labels["codeyard.dev/purpose"] = "doctor";
  if (cgroups_.CanLimitMemory()) spec.limits.memory_bytes = uint64_t{512} << 20;
  if (cgroups_.CanLimitPids()) spec.limits.pids = 128;
  spec.limits.workspace_bytes = uint64_t{64} << 20;
  spec.limits.tmp_bytes = uint64_t{64} << 20;
  // Unlimited is fine for this probe: the checks above already say which limits are missing.
  auto pod = CreatePodWith(spec, /*allow_unlimited=*/true);
  if (!pod) {
    add("sandbox", false, true, "cannot start a pod: " + pod.error().message());
    return checks;
  }
  const RunOutcome who = RunIn(**pod, {"id", "-u"});
  add("sandbox", who.ok && who.text == "1000", true,
      who.ok ? "a pod started; its user is uid " + who.text + " inside"
             : "a pod started but cannot run programs: " + who.text);
  const std::pair<const char*, std::vector<std::string>> runtimes[] = {
      {"runtime python3", {"python3", "--version"}},
      {"python3 numpy", {"python3", "-c", "import numpy; print('numpy', numpy.__version__)"}},
      {"python3 pandas", {"python3", "-c", "import pandas; print('pandas', pandas.__version__)"}},
      {"python3 scipy", {"python3", "-c", "import scipy; print('scipy', scipy.__version__)"}},
      {"runtime node", {"node", "--version"}},
      {"runtime gcc", {"gcc", "--version"}},
      {"runtime g++", {"g++", "--version"}},
      {"runtime bash", {"bash", "--version"}},
  };
  for (const auto& [name, argv] : runtimes) {
    const RunOutcome run = RunIn(**pod, argv);
    add(name, run.ok, false,
        run.ok ? run.text : "not usable in pods: " + (run.text.empty() ? "failed" : run.text));
  }
  (void)DeletePod((*pod)->id());
  return checks;
}

}  // namespace codeyard::local
