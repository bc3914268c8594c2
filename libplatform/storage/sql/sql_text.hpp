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

// Replaces every "{name}" token with its value; other text is copied as is. `{xact}` is
// an expression for the writing transaction's id, ordered like the backend's commit horizon
// (the events table's commit-order cursor); "0" where writers commit one at a time.
[[nodiscard]] std::string ExpandTokens(std::string_view sql, std::string_view blob_type,
                                       std::string_view id_type, std::string_view xact = "0");

}  // namespace codeyard::sql
