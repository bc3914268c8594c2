#include <catch2/catch.hpp>

#include "core/words.hpp"

namespace codeyard {
namespace {

TEST_CASE("words are what runs of whitespace separate", "[words]") {
  CHECK(Words("deb  http://x\tbookworm main\n") ==
        std::vector<std::string>{"deb", "http://x", "bookworm", "main"});
  CHECK(Words(" \t\n").empty());
  CHECK(Words("").empty());
  CHECK(Words("one") == std::vector<std::string>{"one"});
}

}  // namespace
}  // namespace codeyard
