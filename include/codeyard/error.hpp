// Error model of the whole library. Every fallible call returns `Result<T>`, an
// `std::expected<T, Error>`; exceptions never cross the public API. `Error::Code` is a small
// closed set that shells map to HTTP statuses, exit codes and Python exceptions, so a
// backend must pick the code that describes what the caller can do about the failure
// (retry, fix the input, give up), not where it happened. Values of these types are plain
// data: safe to copy and to move between threads.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace codeyard {

class Error {
 public:
  enum class Code {
    kInvalidArgument,     // the input is wrong; retrying the same call fails again
    kNotFound,            // the named thing does not exist (or the caller may not see it)
    kAlreadyExists,       // a unique name or id is taken
    kConflict,            // a stale version: re-read and retry the edit
    kFailedPrecondition,  // the system is not in a state that allows the call
    kPermissionDenied,    // authenticated, but not allowed
    kUnauthenticated,     // no valid credentials
    kResourceExhausted,   // a quota, cap or rate limit was hit
    kAborted,             // a concurrency failure (deadlock, serialization); retry the call
    kUnavailable,         // a dependency is down or busy; retry later
    kDeadlineExceeded,    // the call ran out of time
    kUnimplemented,       // the backend does not offer this optional capability
    kDataLoss,            // stored data is corrupt or unreadable
    kInternal,            // a bug or an unexpected failure of a dependency
  };

  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] Code code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // Returns a copy whose message is "<context>: <message>", for adding what the caller was
  // doing as an error travels up.
  [[nodiscard]] Error WithContext(std::string_view context) const;

  // Returns a copy marked as refused by a named limit: `limit` is the configuration key of
  // the quota, cap or rate limit ("workspace.max_per_user"), `retry_after_s` how many whole
  // seconds the caller should wait before trying again (0 when waiting will not help, e.g. a
  // quota that only a deletion frees). Shells turn it into HTTP 429 with Retry-After and
  // count refusals per limit; WithContext keeps both.
  [[nodiscard]] Error WithLimit(std::string_view limit, int64_t retry_after_s) const;

  // The limit that refused the call (empty for other errors) and the suggested wait.
  [[nodiscard]] const std::string& limit() const noexcept { return limit_; }
  [[nodiscard]] int64_t retry_after_s() const noexcept { return retry_after_s_; }

  // "invalid_argument: <message>"; for logs and one-line CLI errors.
  [[nodiscard]] std::string ToString() const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  Code code_;
  std::string message_;
  std::string limit_;
  int64_t retry_after_s_ = 0;
};

// The snake_case name of a code ("not_found"), stable for JSON and logs.
[[nodiscard]] std::string_view CodeName(Error::Code code) noexcept;

// The code named by CodeName's text, or kInternal for a name it does not know.
[[nodiscard]] Error::Code CodeFromName(std::string_view name) noexcept;

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for `return Fail(Error::Code::kNotFound, "...")` in functions returning Result.
[[nodiscard]] inline std::unexpected<Error> Fail(Error::Code code, std::string message) {
  return std::unexpected<Error>(std::in_place, code, std::move(message));
}
[[nodiscard]] inline std::unexpected<Error> Fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

}  // namespace codeyard
