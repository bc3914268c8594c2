#include <string>
#include <string_view>

#include "codeyard/exec_limits.hpp"

namespace codeyard {
namespace {

std::unexpected<Error> Invalid(std::string message) {
  return Fail(Error::Code::kInvalidArgument, "exec: " + std::move(message));
}

std::string Bytes(std::size_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

ExecSpecLimits ExecSpecLimitsFrom(const Config& config) {
  ExecSpecLimits out;
  out.max_args = static_cast<std::size_t>(config.exec_max_args);
  out.max_arg_bytes = static_cast<std::size_t>(config.exec_max_arg_bytes);
  out.max_env = static_cast<std::size_t>(config.exec_max_env);
  out.max_total_bytes = static_cast<std::size_t>(config.exec_max_total_bytes);
  return out;
}

Result<void> ValidateExecSpec(const ExecSpec& spec, const ExecSpecLimits& limits) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    return Invalid("argv must name a program (argv[0] is empty)");
  }
  if (spec.argv.size() > limits.max_args) {
    return Invalid("argv has " + std::to_string(spec.argv.size()) + " elements; the limit is " +
                   std::to_string(limits.max_args) + " (exec.max_args)");
  }
  if (spec.env.size() > limits.max_env) {
    return Invalid("the environment has " + std::to_string(spec.env.size()) +
                   " entries; the limit is " + std::to_string(limits.max_env) + " (exec.max_env)");
  }
  if (spec.cwd.find('\0') != std::string::npos) return Invalid("cwd contains a NUL byte");
  std::size_t total = 0;
  for (std::size_t i = 0; i < spec.argv.size(); ++i) {
    const std::string& arg = spec.argv[i];
    const std::string name = "argv[" + std::to_string(i) + "]";
    if (arg.find('\0') != std::string::npos) {
      return Invalid(name + " contains a NUL byte, which a program's arguments cannot hold");
    }
    if (arg.size() > limits.max_arg_bytes) {
      return Invalid(name + " is " + Bytes(arg.size()) + "; the limit is " +
                     Bytes(limits.max_arg_bytes) + " (exec.max_arg_bytes)");
    }
    total += arg.size() + 1;
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos) {
      return Invalid("an environment name must be non-empty, without '=' or NUL");
    }
    if (value.find('\0') != std::string::npos) {
      return Invalid("the environment value of " + key + " contains a NUL byte");
    }
    const std::size_t entry = key.size() + 1 + value.size();
    if (entry > limits.max_arg_bytes) {
      return Invalid("the environment entry " + key + " is " + Bytes(entry) + "; the limit is " +
                     Bytes(limits.max_arg_bytes) + " (exec.max_arg_bytes)");
    }
    total += entry + 1;
  }
  if (total > limits.max_total_bytes) {
    return Invalid("argv and environment are " + Bytes(total) + "; the limit is " +
                   Bytes(limits.max_total_bytes) + " (exec.max_total_bytes)");
  }
  return {};
}

}  // namespace codeyard
