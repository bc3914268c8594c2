// Unwrapping Results in Catch2 tests: Must fails the test on an error and returns the value;
// Failure requires an error and returns it. Header-only, for the service test files.
#pragma once

#include <catch2/catch.hpp>

#include <utility>

#include "codeyard/error.hpp"

namespace codeyard::testing {

template <class T>
T Must(Result<T> r) {
  if (!r) FAIL(r.error().ToString());
  return std::move(*r);
}
inline void Must(const Result<void>& r) {
  if (!r) FAIL(r.error().ToString());
}

// The error of a call that must fail.
template <class T>
Error Failure(const Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace codeyard::testing
