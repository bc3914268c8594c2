#include <catch2/catch.hpp>

#include <string>

#include "codeyard/exec_limits.hpp"

namespace codeyard {
namespace {

ExecSpec Spec(std::vector<std::string> argv) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

bool RefusedNaming(const Result<void>& r, const std::string& text) {
  return !r && r.error().code() == Error::Code::kInvalidArgument &&
         r.error().message().find(text) != std::string::npos;
}

TEST_CASE("ValidateExecSpec refuses NUL bytes instead of letting exec cut them", "[security]") {
  const ExecSpecLimits limits;
  CHECK(ValidateExecSpec(Spec({"echo", "plain"}), limits));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({"echo", std::string("a\0b", 3)}), limits),
                      "argv[1] contains a NUL"));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({}), limits), "argv[0]"));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({""}), limits), "argv[0]"));
  ExecSpec env = Spec({"env"});
  env.env["A"] = std::string("x\0y", 3);
  CHECK(RefusedNaming(ValidateExecSpec(env, limits), "value of A"));
  env.env.clear();
  env.env["A=B"] = "x";
  CHECK(RefusedNaming(ValidateExecSpec(env, limits), "environment name"));
}

TEST_CASE("ValidateExecSpec bounds argv and environment by their keys", "[security]") {
  ExecSpecLimits limits;
  limits.max_args = 3;
  limits.max_arg_bytes = 10;
  limits.max_env = 1;
  limits.max_total_bytes = 30;
  CHECK(ValidateExecSpec(Spec({"a", "0123456789"}), limits));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({"a", "b", "c", "d"}), limits), "exec.max_args"));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({"a", "0123456789x"}), limits), "exec.max_arg_bytes"));
  CHECK(RefusedNaming(ValidateExecSpec(Spec({"0123456789", "0123456789", "0123456789"}), limits),
                      "exec.max_total_bytes"));
  ExecSpec env = Spec({"a"});
  env.env["X"] = "1";
  env.env["Y"] = "2";
  CHECK(RefusedNaming(ValidateExecSpec(env, limits), "exec.max_env"));
  env.env.erase("Y");
  env.env["X"] = "0123456789";  // "X=0123456789" is 12 bytes
  CHECK(RefusedNaming(ValidateExecSpec(env, limits), "exec.max_arg_bytes"));
}

}  // namespace
}  // namespace codeyard
