// A byte stream to a TCP port on a pod's own loopback, what `kubectl port-forward` gives:
// Pod::ConnectPort opens one (the pod has no network, so the pod's init makes the connection
// inside the pod's network namespace), and the caller relays bytes over it (the server's
// preview of a web server started in a workspace, core/relay). A backend whose pods are
// reached over an API (Kubernetes' port-forward stream) implements it over that stream; the
// local backend hands over the connected socket itself. One thread may read while another
// writes; Shutdown may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard {

class PortStream {
 public:
  PortStream() = default;
  PortStream(const PortStream&) = delete;
  PortStream& operator=(const PortStream&) = delete;
  virtual ~PortStream() = default;

  // Writes all of `data`. kAborted once the program in the pod closed its side;
  // kDeadlineExceeded when it took nothing for `timeout` (no timeout: wait).
  [[nodiscard]] virtual Result<void> Write(std::string_view data,
                                           std::optional<std::chrono::milliseconds> timeout) = 0;

  // Up to `max` bytes as they come; "" once the program closed its side (end of stream).
  // kDeadlineExceeded when nothing came within `timeout` (no timeout: wait).
  [[nodiscard]] virtual Result<std::string> Read(
      std::size_t max, std::optional<std::chrono::milliseconds> timeout) = 0;

  // Ends this side's writing (the program reads end of stream); reading goes on.
  [[nodiscard]] virtual Result<void> CloseWrite() = 0;

  // Ends both directions at once: a Read or Write blocked on another thread returns.
  virtual void Shutdown() = 0;
};

}  // namespace codeyard
