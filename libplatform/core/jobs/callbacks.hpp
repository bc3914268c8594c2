// Job callbacks: the URL rule (http only, an allow-listed host) and one delivery, a POST of
// the job's JSON over a plain socket with a deadline. Pure functions plus blocking I/O; safe
// from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/jobs.hpp"

namespace codeyard::jobs {

struct CallbackTarget {
  std::string host;  // as in the URL (an IPv6 literal without its brackets)
  std::string port = "80";
  std::string authority;  // host[:port] as written, for the Host header and the allow-list
  std::string path = "/";
};

// "http://host[:port]/path?query" whose host or host:port is in `hosts` (lower-case);
// kInvalidArgument naming field 'callback_url' otherwise.
[[nodiscard]] Result<CallbackTarget> ParseCallbackUrl(std::string_view url,
                                                      const std::vector<std::string>& hosts);

// The JSON a receiver gets: the job's id, kind, state, attempt, times and verdict, and for a
// run job the fields POST /api/v1/run answers (invalid UTF-8 replaced).
[[nodiscard]] std::string CallbackBody(const Job& job);

// POSTs `body` as application/json; returns the HTTP status. kUnavailable for a connection or
// protocol failure, kDeadlineExceeded past `timeout` in all.
[[nodiscard]] Result<int> PostJson(const CallbackTarget& target, std::string_view body,
                                   std::chrono::milliseconds timeout);

}  // namespace codeyard::jobs
