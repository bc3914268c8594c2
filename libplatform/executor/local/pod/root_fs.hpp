// The pod's root file system, built by the init in a mount namespace of its own: a small
// read-only tmpfs holding the host's /usr (and the /bin-style links) read-only, or those of
// a workspace image when the config names one (codeyard/images.hpp), a synthetic /etc with
// only what programs need to run (a few entries taken from the same source) (never the host's
// shadow, home or state directories), a minimal /dev with its own devpts, the pod's own /proc, and
// the writable tmpfs /tmp, /dev/shm and /workspace. The init then pivots into it, so nothing else
// of the host stays reachable. Runs before the init leaves the privileged user namespace.
#pragma once

#include "codeyard/error.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

// Checks the parts of the config the init turns into paths and file contents.
[[nodiscard]] Result<void> ValidateRootConfig(const PodConfig& config);

// Builds the root at config.root_dir and makes it the process's (read-only) root.
[[nodiscard]] Result<void> BuildRootFs(const PodConfig& config);

// Writes the synthetic /etc files (passwd, group, hosts, ...) into `etc`.
[[nodiscard]] Result<void> WriteEtcFiles(const std::string& etc, const PodConfig& config);

}  // namespace codeyard::local::pod
