// The Kubernetes API client the `k8s:` executor stands on: JSON over HTTPS (libcurl) to the
// API server named by a Config, with its credentials, TLS verified by default, a deadline on
// every call, retries with backoff for 429/5xx and connection failures, and Status bodies
// mapped to errors (kube_errors.hpp). Watches (kube_watch.hpp) and exec streams
// (kube_exec.hpp) open through it too.
//
// Threading: a Client is thread-safe; share one per API server (std::shared_ptr). Each call
// takes an easy handle from a small pool, so connections are reused across calls and
// threads. A call blocks its thread until the answer or its deadline.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/error.hpp"
#include "executor/kubernetes/kube_config.hpp"

namespace codeyard {
class PortStream;
}

namespace codeyard::kube {

class Watch;
class ExecSession;
struct ExecOptions;

// An object or collection of the API: /api/v1/namespaces/NS/pods/NAME/SUBRESOURCE.
struct Resource {
  std::string group_version = "v1";  // "v1" is the core group; else "coordination.k8s.io/v1"
  std::string resource;              // plural: "pods", "persistentvolumeclaims"
  std::string ns;                    // "" for cluster-scoped resources
  std::string name;                  // "" for the collection
  std::string subresource;           // "status", "log", "exec"; "" for none

  // The URL path, names percent-escaped.
  [[nodiscard]] std::string Path() const;
  // "pods \"x\" in ns \"y\"" or "pods in ns \"y\"", for messages.
  [[nodiscard]] std::string Describe() const;
};

// Query parameters in order (repeated keys allowed: `command=` for exec).
using Query = std::vector<std::pair<std::string, std::string>>;

struct CallOptions {
  // The whole call's deadline, retries included; unset: Config::request_timeout.
  std::optional<std::chrono::milliseconds> timeout;
};

// A raw answer, for what is not JSON (pod logs).
struct Response {
  long status = 0;
  std::string body;
  std::string content_type;
};

class Client {
 public:
  // Builds a client; no request is sent yet. kInvalidArgument for a config it cannot use
  // (no server URL, unreadable PEM).
  [[nodiscard]] static Result<std::shared_ptr<Client>> Create(Config config);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  [[nodiscard]] const Config& config() const noexcept;

  // GET an object or a list (query: labelSelector, fieldSelector, limit, resourceVersion).
  [[nodiscard]] Result<boost::json::value> Get(const Resource& target, const Query& query = {},
                                               CallOptions options = {});
  // POST (create) `body` into the collection `target`; the created object.
  [[nodiscard]] Result<boost::json::value> Post(const Resource& target,
                                                const boost::json::value& body,
                                                CallOptions options = {});
  // PUT (replace) the object.
  [[nodiscard]] Result<boost::json::value> Put(const Resource& target,
                                               const boost::json::value& body,
                                               CallOptions options = {});
  // PATCH with `application/merge-patch+json`.
  [[nodiscard]] Result<boost::json::value> Patch(const Resource& target,
                                                 const boost::json::value& patch,
                                                 CallOptions options = {});
  // DELETE the object (body: DeleteOptions, e.g. {"gracePeriodSeconds":1}, or null) or, on a
  // collection, every object the query selects. The answer (the object or a Status).
  [[nodiscard]] Result<boost::json::value> Delete(const Resource& target,
                                                  const boost::json::value& body = nullptr,
                                                  const Query& query = {},
                                                  CallOptions options = {});

  // Any request, answered as is when 2xx (errors and retries as above). `verb` is the HTTP
  // method; `body` is sent with `content_type` when not empty.
  [[nodiscard]] Result<Response> Send(std::string_view verb, const Resource& target,
                                      const Query& query, std::string_view body,
                                      std::string_view content_type, CallOptions options = {});

  // Starts a watch of the collection `target` (kube_watch.hpp); `query` adds selectors.
  [[nodiscard]] Result<std::unique_ptr<Watch>> StartWatch(const Resource& target,
                                                          const Query& query,
                                                          std::string_view resource_version,
                                                          int timeout_seconds = 290);

  // Opens an exec stream in a pod's container (kube_exec.hpp).
  [[nodiscard]] Result<std::unique_ptr<ExecSession>> Exec(const ExecOptions& options);

  // An exec of `argv` with stdin and stdout (no stderr, no tty) as a byte stream: what the
  // agent protocol speaks over. Write feeds stdin; Read returns stdout; CloseWrite closes
  // stdin (v5; kUnimplemented with a v4 server); end of stream once the command exited.
  [[nodiscard]] Result<std::unique_ptr<PortStream>> OpenExecStream(
      std::string_view ns, std::string_view pod, std::string_view container,
      const std::vector<std::string>& argv);

  // The bearer token to send now ("" for none), re-read from the token file when due or
  // when `force` (after a 401). Used by the exec and watch paths.
  [[nodiscard]] std::string Token(bool force = false);

  // The pieces behind the methods above, for watch and exec: the full URL, and an easy
  // handle's TLS and credentials set up.
  [[nodiscard]] std::string Url(const Resource& target, const Query& query) const;

  class Impl;
  [[nodiscard]] Impl& impl() noexcept { return *impl_; }

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard::kube
