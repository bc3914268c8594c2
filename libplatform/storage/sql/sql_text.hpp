// Text helpers shared by the SQL backends: splitting a migration into statements and
// rewriting the portable `?` placeholders into a backend's own form. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codeyard::sql {

// Splits on ';' outside quotes and `--` comments; drops empty statements.
[[nodiscard]] std::vector<std::string> SplitStatements(std::string_view script);

// Rewrites each `?` outside single-quoted literals as `$1`, `$2`, ... (PostgreSQL) and
// returns the number of placeholders through `count`.
[[nodiscard]] std::string NumberPlaceholders(std::string_view sql, int* count);

// Counts `?` placeholders outside single-quoted literals.
[[nodiscard]] int CountPlaceholders(std::string_view sql);

// What a backend writes for each token of the portable dialect (storage.hpp).
struct Tokens {
  std::string_view blob;         // {blob}: a bytes column type
  std::string_view id;           // {id}: an auto-increment 64-bit primary key
  std::string_view skip_locked;  // {skip_locked}: row locks that skip rows others hold
  // {xact}: an expression for the writing transaction's id, ordered like the backend's commit
  // horizon (the events table's commit-order cursor); "0" where writers commit one at a time.
  std::string_view xact = "0";
};

// Replaces every "{name}" token outside single-quoted literals and `--` comments with its
// value; other text (unknown braces included) is copied as is.
[[nodiscard]] std::string ExpandTokens(std::string_view sql, const Tokens& tokens);

// True when `sql` may hold a token: statements without '{' need no expansion (the cheap
// test every statement passes through).
[[nodiscard]] inline bool MayHoldTokens(std::string_view sql) {
  return sql.find('{') != std::string_view::npos;
}

}  // namespace codeyard::sql
