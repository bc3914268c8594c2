// Starting one exec'd process inside the pod. The init forks; the child becomes a session
// leader (so its process group can be killed as one), takes its stdio pipes or a fresh
// pseudo-terminal, sheds every other descriptor, makes itself OOM-killable again, sets the
// requested limits, enters the cwd, loads the seccomp filter and execs. A close-on-exec pipe
// carries the first failure back (step + errno), so the init can answer "started" or a
// precise error without guessing from an exit status. Once reaped, a child's exit is told
// with ReapedReport.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>

#include <vector>

#include "codeyard/error.hpp"
#include "executor/local/pod/seccomp_filter.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

struct StartedChild {
  pid_t pid = 0;
  UniqueFd terminal;  // the pty master, for a tty exec
};

// Starts `request`. `stdio` holds the stdin, stdout and stderr fds (pipes) or is empty for a
// terminal; the init's copies are closed either way. Returns once the child has exec'd or
// failed (a failed child exits 127 and is reaped as any orphan).
[[nodiscard]] Result<StartedChild> StartChild(const ExecRequest& request,
                                              std::vector<UniqueFd> stdio,
                                              const ChildFilter& filter);

// The exit report of a reaped child: its wait status and rusage, started at `start_ms`
// (NowMs), under `cpu_limit_ms`. RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL at
// the hard one: either is the time limit exceeded.
[[nodiscard]] ExitReport ReapedReport(int wait_status, const rusage& usage, int64_t start_ms,
                                      std::optional<int64_t> cpu_limit_ms);

}  // namespace codeyard::local::pod
