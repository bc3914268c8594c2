// A run job's payload: the RunRequest as the Runner will run it (limits resolved at Submit),
// encoded as JSON bytes. Parsed with invalid UTF-8 allowed, since file contents and output are
// bytes. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "codeyard/run.hpp"

namespace codeyard::jobs {

[[nodiscard]] std::string EncodeRunRequest(const RunRequest& request);
[[nodiscard]] Result<RunRequest> DecodeRunRequest(std::string_view data);

}  // namespace codeyard::jobs
