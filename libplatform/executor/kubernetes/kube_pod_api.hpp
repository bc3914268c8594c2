// The few API server calls the `k8s:` executor makes, as one interface: JSON REST calls
// with a deadline, a watch stream, and an exec byte stream into a pod's container. The
// executor is written against it; the Kubernetes client (kube_http, kube_watch, kube_exec)
// implements it, and maps Kubernetes Status errors to Error codes (404 kNotFound,
// 409 kAlreadyExists/kConflict, 403 kPermissionDenied or, for a quota, kResourceExhausted,
// 422 kInvalidArgument, 429/5xx kUnavailable after its retries). Implementations are
// thread-safe; a WatchStream is read by one thread at a time.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/port_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard::kube {

// One event of a watch: type ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object
// (a Status for ERROR: code 410 means the resourceVersion is too old; relist).
struct WatchEvent {
  std::string type;
  boost::json::object object;
};

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; nullopt when the server ended the stream (timeoutSeconds, a restart).
  // kDeadlineExceeded when nothing came by `deadline`.
  [[nodiscard]] virtual Result<std::optional<WatchEvent>> Next(
      std::chrono::steady_clock::time_point deadline) = 0;
};

class KubeApi {
 public:
  virtual ~KubeApi() = default;

  // `method` GET/POST/DELETE/PATCH on `path` ("/api/v1/namespaces/ns/pods?labelSelector=..."),
  // with `body` as JSON when given; the response object. Finishes or fails by `deadline`.
  [[nodiscard]] virtual Result<boost::json::object> Call(
      std::string_view method, std::string_view path, const boost::json::object* body,
      std::chrono::steady_clock::time_point deadline) = 0;

  // A watch on `path` (which carries watch=true and its resourceVersion).
  [[nodiscard]] virtual Result<std::unique_ptr<WatchStream>> Watch(
      std::string_view path, std::chrono::steady_clock::time_point deadline) = 0;

  // Runs `argv` in `container` of pod `name` with stdin and stdout (no tty), as kubectl exec
  // -i does; its stdin and stdout as one byte stream (CloseWrite ends its stdin).
  [[nodiscard]] virtual Result<std::unique_ptr<PortStream>> Exec(
      std::string_view ns, std::string_view name, std::string_view container,
      const std::vector<std::string>& argv) = 0;
};

}  // namespace codeyard::kube
