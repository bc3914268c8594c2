// What one command may be given: bounds on its argv and environment, and the byte rules
// (no NUL, an environment name without '='), checked by ValidateExecSpec before a pod sees the
// command. Workspaces::Exec and Runner::Run both call it, so every shell gives the same answer:
// a NUL inside an argv element would otherwise cut it silently (exec takes C strings), and a
// 5 MB argv failed inside the executor (E2BIG) as an internal error. Plain data and pure
// functions; thread-safe.
#pragma once

#include <cstddef>

#include "codeyard/backend/executor.hpp"
#include "codeyard/config.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

struct ExecSpecLimits {
  std::size_t max_args = 4096;                         // exec.max_args
  std::size_t max_arg_bytes = std::size_t{128} << 10;  // exec.max_arg_bytes (Linux MAX_ARG_STRLEN)
  std::size_t max_env = 256;                           // exec.max_env
  std::size_t max_total_bytes = std::size_t{1} << 20;  // exec.max_total_bytes
};

// The exec.* keys of `config`.
[[nodiscard]] ExecSpecLimits ExecSpecLimitsFrom(const Config& config);

// kInvalidArgument, naming the element and, for a bound, its configuration key: an empty
// argv or argv[0]; a NUL in an argv element, an environment name or value, or the cwd; an
// environment name that is empty or holds '='; more than max_args elements or max_env entries;
// an element or "NAME=value" entry over max_arg_bytes; all of them (each with its terminating
// NUL, as the kernel counts) over max_total_bytes.
[[nodiscard]] Result<void> ValidateExecSpec(const ExecSpec& spec, const ExecSpecLimits& limits);

}  // namespace codeyard
