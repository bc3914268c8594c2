#include <catch2/catch.hpp>

#include "codeyard/error.hpp"

namespace codeyard {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Fail(Error::Code::kInvalidArgument, std::to_string(n) + " is odd");
  return n / 2;
}

TEST_CASE("Result carries a value or an error with a stable code name", "[error]") {
  CHECK(*Half(4) == 2);
  const auto odd = Half(3);
  REQUIRE_FALSE(odd);
  CHECK(odd.error().code() == Error::Code::kInvalidArgument);
  CHECK(odd.error().ToString() == "invalid_argument: 3 is odd");
  CHECK(odd.error().WithContext("halving").message() == "halving: 3 is odd");
  CHECK(CodeName(Error::Code::kNotFound) == "not_found");
  CHECK(CodeName(Error::Code::kResourceExhausted) == "resource_exhausted");
  CHECK(CodeName(Error::Code::kDataLoss) == "data_loss");
}

TEST_CASE("an error names the limit that refused it, and keeps it through context", "[error]") {
  const Error plain(Error::Code::kResourceExhausted, "too many");
  CHECK(plain.limit().empty());
  CHECK(plain.retry_after_s() == 0);
  const Error limited = plain.WithLimit("auth.login_per_account", 30).WithContext("login");
  CHECK(limited.limit() == "auth.login_per_account");
  CHECK(limited.retry_after_s() == 30);
  CHECK(limited.message() == "login: too many");
  CHECK(plain.WithLimit("x", -5).retry_after_s() == 0);
}

}  // namespace
}  // namespace codeyard
