// The seccomp filter every process of a pod runs under, built once by the init and loaded
// by each exec'd child just before execve (the init itself stays unfiltered so it can keep
// serving). Default allow, so ordinary programs, compilers and runtimes work; denied with
// EPERM are the calls that reach the kernel's less-hardened surfaces or could undo the
// sandbox if a namespace or capability check failed: mounting, namespaces, ptrace and
// cross-process memory, keyrings, bpf, perf, io_uring, module and clock changes, terminal
// input injection. Sockets may be of the families AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK
// (NETLINK_ROUTE only); any other family fails with EAFNOSUPPORT. Other architectures' system call
// tables (x32, i386) kill the process.
#pragma once

#include <seccomp.h>

#include <linux/filter.h>

#include <memory>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard::local::pod {

class ChildFilter {
 public:
  [[nodiscard]] static Result<ChildFilter> Build();

  // Installs the filter on the calling process (a forked child). Returns 0 or -errno. The
  // BPF program was generated once by Build: libseccomp would generate it again in every
  // child (about a millisecond of CPU per exec, a few percent of a short run's cost).
  [[nodiscard]] int Load() const;

 private:
  struct Release {
    void operator()(void* context) const { seccomp_release(context); }
  };
  explicit ChildFilter(scmp_filter_ctx context) : context_(context) {}
  // The BPF program of context_, as seccomp_load would install it.
  [[nodiscard]] Result<void> Compile();

  std::unique_ptr<void, Release> context_;
  std::vector<sock_filter> program_;
};

}  // namespace codeyard::local::pod
