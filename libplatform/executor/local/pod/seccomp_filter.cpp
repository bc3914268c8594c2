#include "executor/local/pod/seccomp_filter.hpp"

#include <sched.h>
#include <sys/ioctl.h>

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
    SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex), SCMP_SYS(quotactl)};

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
  return filter;
}

int ChildFilter::Load() const { return seccomp_load(context_.get()); }

}  // namespace codeyard::local::pod
