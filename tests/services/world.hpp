// What the service suites' worlds (admin_test, operator_test) start from: a test database of
// the backend under test and a manual clock, and the password their users are registered
// with. Header-only; a world is used on its test's thread.
#pragma once

#include <memory>
#include <string_view>

#include "codeyard/clock.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {

inline constexpr std::string_view kPassword = "correct horse battery";

struct DatabaseWorld {
  std::unique_ptr<TestDatabase> db;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
};

}  // namespace codeyard::testing
