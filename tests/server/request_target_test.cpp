#include <catch2/catch.hpp>

#include "request_target.hpp"

namespace codeyard::server {
namespace {

TEST_CASE("a request target is decoded exactly once and nothing else is rewritten", "[security]") {
  auto t = ParseRequestLine("PUT /w/files/a;b&c+d%25e%2Ff/%2e%2e/./x HTTP/1.1");
  REQUIRE(t);
  CHECK(t->method == "PUT");
  CHECK(t->path == "/w/files/a;b&c+d%e/f/.././x");
  CHECK(t->query.empty());
  t = ParseRequestLine("GET /q?a=1&b=x+y%26z&flag&=v HTTP/1.0");
  REQUIRE(t);
  CHECK(t->path == "/q");
  CHECK(t->query == Fields{{"a", "1"}, {"b", "x y&z"}, {"flag", ""}, {"", "v"}});
}

TEST_CASE("an encoded NUL, CR or LF, or a broken line, is refused", "[security]") {
  for (const char* line :
       {"PUT /f/victim.txt%0a.bak HTTP/1.1", "PUT /f/v%0D HTTP/1.1", "GET /f/a%00b HTTP/1.1",
        "GET /x?q=%0a HTTP/1.1", "GET /f/%zz HTTP/1.1", "GET /f/%2 HTTP/1.1", "GET /a b HTTP/1.1",
        "GET /a", "GET a HTTP/1.1", "GET /a HTTP/2", "GET /a\tb HTTP/1.1"}) {
    INFO(line);
    const auto t = ParseRequestLine(line);
    REQUIRE_FALSE(t);
    CHECK(t.error().code() == Error::Code::kInvalidArgument);
  }
}

TEST_CASE("logged paths hide download tokens and preview tickets, and keep the rest",
          "[request_target]") {
  CHECK(LoggedPath("/api/v1/downloads/abc.def") == "/api/v1/downloads/<redacted>");
  CHECK(LoggedPath("/api/v1/previews/t.k/") == "/api/v1/previews/<redacted>/");
  CHECK(LoggedPath("/api/v1/previews/t.k/img/a.png") == "/api/v1/previews/<redacted>/img/a.png");
  CHECK(LoggedPath("/api/v1/previews/t.k") == "/api/v1/previews/<redacted>");
  CHECK(LoggedPath("/api/v1/workspaces/w/files/a.txt") == "/api/v1/workspaces/w/files/a.txt");
  CHECK(LoggedPath("/api/v1/downloads") == "/api/v1/downloads");
}

}  // namespace
}  // namespace codeyard::server
