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
      "91e10cebbeb7e76d5027070aebcedca082c97309e7d11b70de1e40264ea16e6f",  // 0004_pod_leases.sql
      "26a6f0940a3e184d02d3d0a62f1e4b164ed5f487fea843fd9b1986ee0b5464c8",  // 0005_events.sql
      "4d9b60c91a9ffdf652276abfa42edbeb7940a6335bf0f1c34997415d36f63ec6",  // 0006_content_blobs.sql
      "2ff0d976927f816109615cb4342a233b63394fdd6d811c22ce0a72c228c89a0d",  // 0007_reviews.sql
      "f3eb6c3f591754c4ffbcb70dabb003974f36ec118ba829533c1a8d502d9de1ba",  // 0008_event_stalls.sql
      "637bf531dfb94bf21655b1204fe8eb0c8d733f64f3ef36d219b3bbfa223da133",  // 0009_terminal_sharing.sql
      "16bbfe19a8d5e609d0e2c0c2697161dc8a7d5fed8c6484546dc19cd94e87816b",  // 0010_jobs.sql
      "184902d5134c83bc4a4f27b3b4be61fbf7acdad47f1ecb4769755dbc7649c4ba",  // 0011_problems.sql
      "0ba6cf2608e28d7cc9ed8c0f136a2bc70300f90f8bddfccb7e0226c1045cfafc",  // 0012_progress.sql
      "b470932781f5383b6ed9d5568f2ed98e1ddf55210ff28e1a7fe7d912dbc6da24",  // 0013_job_problem.sql
      "bf43c1a3ee8be3f7a2e86687f51407bca20fc730d40f830684a82c27fa08b063",  // 0014_user_settings.sql
      "dc9f6e2b0df82dad1e9f430e152e2b13c68a448f4a68708147a8ca028fbe354c",  // 0015_server_secrets.sql
      "947ab281a1744113a9d7e16469fd96e9f18bdbac02f833672ddf15364428f20f",  // 0016_images.sql
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
