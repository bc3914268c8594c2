#include "executor/local/pod/user_namespace.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "core/try.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {
namespace {

std::string OneIdMap(uint32_t host_id) {
  return std::to_string(kPodUid) + " " + std::to_string(host_id) + " 1\n";
}

// Zero permitted, effective and inheritable sets (no glibc wrapper for capset).
Result<void> ClearCapabilitySets() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
  CY_CHECK(Check(::syscall(SYS_capset, &header, data.data()), "capset"));
  // Read back: a silently kept capability would defeat the whole sandbox.
  CY_CHECK(Check(::syscall(SYS_capget, &header, data.data()), "capget"));
  for (const auto& set : data) {
    if (set.effective != 0 || set.permitted != 0 || set.inheritable != 0) {
      return Fail(Error::Code::kInternal, "capabilities survived capset");
    }
  }
  return {};
}

}  // namespace

Result<void> WriteIdMaps(const std::string& proc_dir, uint32_t host_uid, uint32_t host_gid) {
  CY_CHECK(WriteExisting(proc_dir + "/uid_map", OneIdMap(host_uid)));
  CY_CHECK(WriteExisting(proc_dir + "/setgroups", "deny"));
  return WriteExisting(proc_dir + "/gid_map", OneIdMap(host_gid));
}

Result<void> DropPrivileges() {
  CY_CHECK(Check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient caps"));
  // Needs CAP_SETPCAP, so before capset; EINVAL marks the first number past CAP_LAST_CAP.
  for (int cap = 0;; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL && cap > 0) break;
    return std::unexpected(SystemError("drop capability " + std::to_string(cap)));
  }
  CY_CHECK(Check(::setresgid(kPodUid, kPodUid, kPodUid), "setresgid"));
  CY_CHECK(Check(::setresuid(kPodUid, kPodUid, kPodUid), "setresuid"));
  CY_CHECK(ClearCapabilitySets());
  CY_CHECK(Check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs"));
  return Check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "clear dumpable");
}

}  // namespace codeyard::local::pod
