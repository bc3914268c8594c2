#include "executor/local/pod/seccomp_filter.hpp"

#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "core/try.hpp"
#include "executor/local/pod/sys.hpp"

namespace codeyard::local::pod {
namespace {

constexpr std::array kDeniedCalls = {
    // Mounts, roots and namespaces (the mounts are locked anyway: this is defense in depth).
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(fsopen),
    SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(fspick), SCMP_SYS(move_mount),
    SCMP_SYS(open_tree), SCMP_SYS(mount_setattr), SCMP_SYS(unshare), SCMP_SYS(setns),
    // Other processes' memory, and file handles that bypass path checks.
    SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
    SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
    // Kernel attack surface with a history of privilege escalations.
    SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup),
    SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(fanotify_init),
    SCMP_SYS(lookup_dcookie),
    // Host-wide state.
    SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
    SCMP_SYS(delete_module), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(reboot),
    SCMP_SYS(syslog), SCMP_SYS(acct), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime),
    SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex), SCMP_SYS(quotactl),
    // State that outlives every process and that Pod::Reset could not find to remove: a POSIX
    // message queue is named only by its creator (reset.cpp removes System V IPC instead), and
    // the pod's host name is the next program's too.
    SCMP_SYS(mq_open), SCMP_SYS(sethostname), SCMP_SYS(setdomainname)};

constexpr std::array<uint64_t, 8> kNamespaceFlags = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                                     CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                                     CLONE_NEWNET, CLONE_NEWTIME};

// ioctls that push input into a terminal (another process's, via an inherited fd).
constexpr std::array<uint64_t, 2> kDeniedIoctls = {TIOCSTI, TIOCLINUX};

// One comparison (arg & mask) == value, built without libseccomp's SCMP_A* macros, which
// are C compound literals.
scmp_arg_cmp Masked(unsigned argument, uint64_t mask, uint64_t value) {
  scmp_arg_cmp comparison{};
  comparison.arg = argument;
  comparison.op = SCMP_CMP_MASKED_EQ;
  comparison.datum_a = mask;
  comparison.datum_b = value;
  return comparison;
}

Result<void> Checked(int rc, int call) {
  if (rc < 0) return std::unexpected(SystemError("seccomp rule " + std::to_string(call), -rc));
  return {};
}

Result<void> Deny(scmp_filter_ctx context, uint32_t action, int call) {
  return Checked(seccomp_rule_add(context, action, call, 0), call);
}

Result<void> Deny(scmp_filter_ctx context, uint32_t action, int call, scmp_arg_cmp argument) {
  return Checked(seccomp_rule_add(context, action, call, 1, argument), call);
}

// personality(2) may only query (0xffffffff) or set plain PER_LINUX (0): the other
// personalities turn off address randomization or make data executable. libseccomp allows
// one comparison per argument, so "low 32 bits neither all 0 nor all 1" is spelled as "some
// bit i is 1 while bit i+1 (cyclically) is 0", one masked rule per i.
Result<void> AddPersonalityRules(scmp_filter_ctx context) {
  for (unsigned bit = 0; bit < 32; ++bit) {
    const uint64_t one = uint64_t{1} << bit;
    const uint64_t next = uint64_t{1} << ((bit + 1) % 32);
    CY_CHECK(
        Deny(context, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), Masked(0, one | next, one)));
  }
  return {};
}

// The address families a pod may open sockets of: local sockets, IP (whose reach the pod's
// network namespace decides) and netlink, which glibc's resolver and `ip` use for routes.
// Everything else (vsock reaches the VM host and other guests; packet, bluetooth, alg, key,
// xdp, can, tipc, rds... are kernel surface nobody's program needs) fails with
// EAFNOSUPPORT, the errno a kernel without that family gives, so programs fall back cleanly.
constexpr std::array<uint64_t, 4> kAllowedFamilies = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

bool FamilyAllowed(uint64_t family) {
  for (const uint64_t allowed : kAllowedFamilies) {
    if (family == allowed) return true;
  }
  return false;
}

// socket(2) and socketpair(2) take the family in argument 0 and the protocol in argument 2,
// both read by the kernel as 32-bit ints. libseccomp cannot say "not in a set", so the
// refused low-32-bit values are spelled out: each value below 64 that is not allowed, then
// any value with a bit at or above 6 set (which covers 64 and up, negatives included).
// Netlink is allowed for NETLINK_ROUTE (protocol 0) only: a protocol with any bit set is
// refused, so audit, netfilter, uevents, sock_diag and the rest stay closed.
Result<void> AddSocketFamilyRules(scmp_filter_ctx context, int call) {
  const uint32_t refuse = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  constexpr uint64_t kLow32 = 0xffffffffULL;
  constexpr unsigned kEnumerated = 6;  // values below 1 << 6 one by one
  for (uint64_t family = 0; family < (uint64_t{1} << kEnumerated); ++family) {
    if (FamilyAllowed(family)) continue;
    CY_CHECK(Deny(context, refuse, call, Masked(0, kLow32, family)));
  }
  for (unsigned bit = kEnumerated; bit < 32; ++bit) {
    const uint64_t one = uint64_t{1} << bit;
    CY_CHECK(Deny(context, refuse, call, Masked(0, one, one)));
  }
  static_assert(NETLINK_ROUTE == 0);
  for (unsigned bit = 0; bit < 32; ++bit) {
    const uint64_t one = uint64_t{1} << bit;
    CY_CHECK(Checked(seccomp_rule_add(context, refuse, call, 2, Masked(0, kLow32, AF_NETLINK),
                                      Masked(2, one, one)),
                     call));
  }
  return {};
}

}  // namespace

Result<ChildFilter> ChildFilter::Build() {
  scmp_filter_ctx raw = seccomp_init(SCMP_ACT_ALLOW);
  if (raw == nullptr) return Fail(Error::Code::kInternal, "seccomp_init failed");
  ChildFilter filter(raw);
  const int rc = seccomp_attr_set(raw, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) return std::unexpected(SystemError("seccomp bad-arch action", -rc));
  for (const int call : kDeniedCalls) CY_CHECK(Deny(raw, SCMP_ACT_ERRNO(EPERM), call));
  for (const uint64_t flag : kNamespaceFlags) {
    CY_CHECK(Deny(raw, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), Masked(0, flag, flag)));
  }
  // clone3 passes its flags in memory, out of a filter's sight: ENOSYS makes glibc and the
  // language runtimes fall back to clone, whose flags the rules above can see.
  CY_CHECK(Deny(raw, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3)));
  for (const uint64_t request : kDeniedIoctls) {
    // The kernel reads the request as 32 bits: compare only those, or high bits slip past.
    CY_CHECK(Deny(raw, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), Masked(1, 0xffffffffULL, request)));
  }
  CY_CHECK(AddPersonalityRules(raw));
  CY_CHECK(AddSocketFamilyRules(raw, SCMP_SYS(socket)));
  CY_CHECK(AddSocketFamilyRules(raw, SCMP_SYS(socketpair)));
  CY_CHECK(filter.Compile());
  return filter;
}

Result<void> ChildFilter::Compile() {
  const int memory = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (memory < 0) return std::unexpected(SystemError("memfd_create"));
  const int rc = seccomp_export_bpf(context_.get(), memory);
  const off_t size = ::lseek(memory, 0, SEEK_END);
  if (rc < 0 || size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    ::close(memory);
    return Fail(Error::Code::kInternal, "seccomp: cannot export the filter's BPF program");
  }
  program_.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  const ssize_t got = ::pread(memory, program_.data(), static_cast<size_t>(size), 0);
  ::close(memory);
  if (got != size) {
    program_.clear();
    return Fail(Error::Code::kInternal, "seccomp: cannot read the filter's BPF program back");
  }
  return {};
}

int ChildFilter::Load() const {
  if (program_.empty()) return seccomp_load(context_.get());
  // What seccomp_load does with this context's attributes: no_new_privs, then the filter
  // with no flags (no thread sync, no logging).
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  sock_fprog program{static_cast<unsigned short>(program_.size()),
                     const_cast<sock_filter*>(program_.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) return -errno;
  return 0;
}

}  // namespace codeyard::local::pod
