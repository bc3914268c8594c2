// The pod user's identity. Inside every pod the user is kPodUid:kPodUid, mapped to one host
// id pair and nothing else: root of the namespace is unmapped, so no process of the pod can
// ever hold a host or namespace root identity. Root mode: the init enters a new user
// namespace after building its mounts (the mount namespace stays owned by the host's, which
// locks every mount) and the shim writes the maps. Rootless mode: the shim makes the user
// namespace first and maps itself, so its capabilities inside suffice for the mounts.
#pragma once

#include <cstdint>
#include <string>

#include "codeyard/error.hpp"

namespace codeyard::local::pod {

// Maps kPodUid to `host_uid` and kPodUid to `host_gid` for the process at `proc_dir`
// ("/proc/self" or "/proc/<pid>"), denying setgroups (required before an unprivileged
// gid_map, and it keeps the pod from ever changing its group list).
[[nodiscard]] Result<void> WriteIdMaps(const std::string& proc_dir, uint32_t host_uid,
                                       uint32_t host_gid);

// Becomes kPodUid and drops every capability: permitted, effective, inheritable, ambient
// and bounding sets, then sets no_new_privs and clears the dumpable flag (pod processes can
// neither ptrace the init nor read its /proc files). Done explicitly because the kernel only
// clears capabilities on a switch away from the namespace's root uid, and ours is unmapped.
[[nodiscard]] Result<void> DropPrivileges();

}  // namespace codeyard::local::pod
