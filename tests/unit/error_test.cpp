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

}  // namespace
}  // namespace codeyard
