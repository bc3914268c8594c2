#include <catch2/catch.hpp>

#include "storage/sql/sql_text.hpp"

namespace codeyard::sql {
namespace {

TEST_CASE("placeholders are numbered outside literals and comments", "[sql]") {
  int n = 0;
  CHECK(NumberPlaceholders("SELECT ? , '?', x FROM t WHERE a = ? -- why?\nAND b = ?", &n) ==
        "SELECT $1 , '?', x FROM t WHERE a = $2 -- why?\nAND b = $3");
  CHECK(n == 3);
  CHECK(CountPlaceholders("INSERT INTO t VALUES (?, 'it''s ?', ?)") == 2);
}

TEST_CASE("scripts split on semicolons outside quotes, comment-only parts vanish", "[sql]") {
  const auto parts = SplitStatements(
      "-- header; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');\n\n"
      "CREATE INDEX i ON a (x);\n-- trailing comment\n");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].find("DEFAULT ';'") != std::string::npos);
  CHECK(parts[1].find("CREATE INDEX") != std::string::npos);
}

TEST_CASE("dialect tokens expand outside literals and comments", "[sql]") {
  const Tokens pg{"BYTEA", "BIGSERIAL", "FOR UPDATE SKIP LOCKED"};
  CHECK(ExpandTokens("id {id}, b {blob}, j TEXT DEFAULT '{}'", pg) ==
        "id BIGSERIAL, b BYTEA, j TEXT DEFAULT '{}'");
  CHECK(ExpandTokens("SELECT id FROM t LIMIT 1 {skip_locked}", pg) ==
        "SELECT id FROM t LIMIT 1 FOR UPDATE SKIP LOCKED");
  CHECK(ExpandTokens("SELECT id FROM t LIMIT 1 {skip_locked}", Tokens{"BLOB", "INTEGER", ""}) ==
        "SELECT id FROM t LIMIT 1 ");
  // A token inside a literal or a comment is data, not dialect.
  CHECK(ExpandTokens("SELECT '{blob}', '{skip_locked}' -- {id}\n", pg) ==
        "SELECT '{blob}', '{skip_locked}' -- {id}\n");
  CHECK(ExpandTokens("{unknown} {id", pg) == "{unknown} {id");
  CHECK_FALSE(MayHoldTokens("SELECT 1"));
  CHECK(MayHoldTokens("SELECT 1 {skip_locked}"));
}

}  // namespace
}  // namespace codeyard::sql
