// Kubernetes' answers turned into the library's errors, and the retry arithmetic of the
// client. The API server explains a failure with a `Status` object
// ({"kind":"Status","status":"Failure","reason":"NotFound","code":404,...}); ErrorFromStatus
// maps it to an Error::Code and a message that starts with "kubernetes:" and says what was
// asked. Pure functions: any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::kube {

// The error for an HTTP answer `http_status` with `body` (a Status, or anything else) to the
// request described by `what` ("create pods in ns \"x\""):
//   401 kUnauthenticated, 403 kPermissionDenied (RBAC: the message names verb and resource;
//   quota: kResourceExhausted), 404 kNotFound, 409 AlreadyExists kAlreadyExists,
//   409 Conflict kConflict, 410 kAborted (see IsExpired), 400/422 kInvalidArgument naming the
//   field of `details.causes[].field`, 429 and 5xx kUnavailable, others kInternal.
[[nodiscard]] Error ErrorFromStatus(long http_status, std::string_view body, std::string_view what);

// True for the error of a 410 Gone / reason Expired (a watch or list from a resourceVersion
// the server no longer keeps): the caller lists again.
[[nodiscard]] bool IsExpired(const Error& error) noexcept;

// Whether a request that got `http_status` may be sent again (429 and 5xx but 501).
[[nodiscard]] bool IsRetryableStatus(long http_status) noexcept;

// Exponential backoff with jitter: attempt 0 waits about `initial`, each next one twice as
// long up to `max`; `random01` in [0,1) spreads it over [d/2, d). A server's Retry-After
// (seconds) wins when it is longer. The caller stops when the deadline would pass.
struct Backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{4000};
};
[[nodiscard]] std::chrono::milliseconds BackoffDelay(
    const Backoff& backoff, int attempt, double random01,
    std::optional<std::chrono::seconds> retry_after);

// A Retry-After header's value in seconds (the delta form; an HTTP date counts as absent).
[[nodiscard]] std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) noexcept;

}  // namespace codeyard::kube
