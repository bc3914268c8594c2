// Early-return helpers for Result<T>, in the style of Abseil's ASSIGN_OR_RETURN, so that a
// chain of fallible storage calls reads as straight-line code.
#pragma once

#include <expected>
#include <utility>

#define CY_CONCAT_INNER(a, b) a##b
#define CY_CONCAT(a, b) CY_CONCAT_INNER(a, b)

// CY_TRY(auto x, Expr()); declares x from the value or returns the error.
#define CY_TRY(lhs, expr)                                                       \
  auto CY_CONCAT(cy_result_, __LINE__) = (expr);                                \
  if (!CY_CONCAT(cy_result_, __LINE__)) {                                       \
    return std::unexpected(std::move(CY_CONCAT(cy_result_, __LINE__)).error()); \
  }                                                                             \
  lhs = std::move(*CY_CONCAT(cy_result_, __LINE__))

// CY_CHECK(Expr()); returns the error of a Result<void> (or any Result) if it failed.
#define CY_CHECK(expr)                                                    \
  do {                                                                    \
    auto cy_status = (expr);                                              \
    if (!cy_status) return std::unexpected(std::move(cy_status).error()); \
  } while (false)
