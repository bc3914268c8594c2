// The pod's init: PID 1 of the pod, forked by the shim inside the new namespaces. It builds
// the root file system, brings up the isolated loopback, becomes the unprivileged pod user
// in its own user namespace, reports "ready" with the workspace fd and then runs the exec
// loop (init_loop.hpp) until the pod ends.
//
// The shim and the init talk over two pipes, one byte at a time: the shim sends kGo once
// it has sent {"type":"init"} (so that message always comes first on the control socket);
// the init sends kMapRequest when its user namespace is ready for the shim to write its
// uid/gid maps (root mode; in rootless mode the shim only acknowledges); the shim answers
// kMapped. EOF on either pipe means the other side died.
#pragma once

#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

inline constexpr char kGo = 'g';
inline constexpr char kMapRequest = 'm';
inline constexpr char kMapped = 'a';

struct ShimLink {
  UniqueFd from_shim;  // the init reads kGo and kMapped here
  UniqueFd to_shim;    // and writes kMapRequest here
};

// Runs the init in the shim's freshly forked child; never returns. `listener` is the control
// socket a survivable pod takes holders on (protocol.hpp), or invalid.
[[noreturn]] void RunInit(const PodConfig& config, ShimLink link, UniqueFd listener);

// Sends `error` on the control socket (ignoring failure: the library may be gone) and
// repeats it on stderr for whoever watches the pod's own output.
void ReportError(const Error& error);

}  // namespace codeyard::local::pod
