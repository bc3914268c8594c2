// The library's half of LocalPod::ConnectPort: asks the pod's init for a connection to a port
// on the pod's loopback ("forward", protocol.hpp) and wraps the socket it hands back as a
// PortStream. The socket is the pod's own (it lives in the pod's network namespace), so bytes
// go straight between this process and the program, as for an exec's pipes.
#pragma once

#include <cstdint>
#include <memory>

#include "codeyard/backend/port_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard::local {

// `control`: a control socket of the pod (one of its holders). Waits at most a few seconds
// for the init and the connect.
[[nodiscard]] Result<std::unique_ptr<PortStream>> ConnectPodPort(int control, uint16_t port);

}  // namespace codeyard::local
