// The schema's migrations as files: in order, named, and the shipped ones unchanged.
#include <catch2/catch.hpp>

#include "codeyard/backend/schema.hpp"
#include "codeyard/id.hpp"

namespace codeyard {
namespace {

TEST_CASE("migrations are numbered 1..N with names, from one file each", "[storage][migrations]") {
  const auto migrations = BuiltinMigrations();
  REQUIRE(migrations.size() >= 4);
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    CHECK(migrations[i].version == static_cast<int64_t>(i) + 1);
    CHECK_FALSE(migrations[i].name.empty());
    CHECK(migrations[i].sql.find(';') != std::string_view::npos);
  }
  CHECK(migrations[0].name == "core entities");
  CHECK(migrations[1].name == "workspace quotas and unique names");
  CHECK(migrations[2].name == "rate limits");
  CHECK(migrations[3].name == "pod leases");
}

TEST_CASE("shipped migrations never change", "[storage][migrations]") {
  // SHA-256 of each shipped file's bytes. A mismatch means a shipped migration was edited:
  // databases that already ran it would differ from new ones. Add a new migration instead.
  constexpr std::string_view kShipped[] = {
      "dde678074832934946c3153c8a2d42e5a2466719969046aa43726b20629fcbf7",
      "e46bb9a8a3d11dda9303f46b1b31e2ba73d68a282bb8a9ac353d48b86659497e",
      "ffb404b612f6a0179c9661a1b0579363ec54713822271e8829a630e7c04bac68",
  };
  const auto migrations = BuiltinMigrations();
  REQUIRE(migrations.size() >= std::size(kShipped));
  for (std::size_t i = 0; i < std::size(kShipped); ++i) {
    INFO("migration " << migrations[i].version << " (" << migrations[i].name << ")");
    CHECK(Sha256Hex(migrations[i].sql) == kShipped[i]);
  }
}

}  // namespace
}  // namespace codeyard
