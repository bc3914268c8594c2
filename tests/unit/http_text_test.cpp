#include <catch2/catch.hpp>

#include "core/http_text.hpp"

namespace codeyard {
namespace {

TEST_CASE("http text: percent-encoding keeps the unreserved bytes and the ones asked for",
          "[http_text]") {
  CHECK(http::PercentEncode("aZ09-._~") == "aZ09-._~");
  CHECK(http::PercentEncode("a b/c?d") == "a%20b%2Fc%3Fd");
  CHECK(http::PercentEncode("a b/c?d", "/") == "a%20b/c%3Fd");
  CHECK(http::PercentEncode("\xc3\xa9\n%") == "%C3%A9%0A%25");
  CHECK(http::PercentEncode("").empty());
}

TEST_CASE("http text: a request target keeps a path's delimiters and escapes the query's",
          "[http_text]") {
  CHECK(http::EncodeTarget("/a b/(x);y=1@z", {}) == "/a%20b/(x);y=1@z");
  CHECK(http::EncodeTarget("/p", {{"q", "a&b=c"}, {"flag", ""}, {"x y", "/"}}) ==
        "/p?q=a%26b%3Dc&flag&x%20y=%2F");
  CHECK(http::EncodeTarget("/%", {}) == "/%25");
}

TEST_CASE("http text: reason phrases", "[http_text]") {
  CHECK(http::ReasonPhrase(404) == "Not Found");
  CHECK(http::ReasonPhrase(101) == "Switching Protocols");
  CHECK(http::ReasonPhrase(500) == "Internal Server Error");
  CHECK(http::ReasonPhrase(599) == "Status");
}

}  // namespace
}  // namespace codeyard
