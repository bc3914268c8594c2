#include <catch2/catch.hpp>

#include <set>

#include "codeyard/clock.hpp"
#include "codeyard/id.hpp"

namespace codeyard {
namespace {

TEST_CASE("UUIDs are v4, canonical, and do not repeat", "[id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = NewUuid();
    REQUIRE(IsUuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(seen.insert(id).second);
  }
  CHECK_FALSE(IsUuid("3F2B8C1E-9A4D-4E7F-8B1A-2C3D4E5F6A7B"));  // upper case is not canonical
  CHECK_FALSE(IsUuid("3f2b8c1e9a4d4e7f8b1a2c3d4e5f6a7b"));
  CHECK_FALSE(IsUuid("../../etc/passwd"));
}

TEST_CASE("hex, SHA-256 and random bytes", "[id]") {
  CHECK(HexEncode(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 32);
  CHECK(*a != *b);
}

TEST_CASE("ManualClock moves only when told", "[clock]") {
  ManualClock clock;
  const int64_t start = clock.NowMillis();
  const auto steady = clock.Steady();
  CHECK(clock.NowMillis() == start);
  clock.Advance(std::chrono::minutes(15));
  CHECK(clock.NowMillis() - start == 15 * 60 * 1000);
  CHECK(clock.Steady() - steady == std::chrono::minutes(15));
  CHECK(DefaultClock()->NowMillis() > 1700000000000);  // the real clock is the real time
}

}  // namespace
}  // namespace codeyard
